"""Legal events and legal holds on gallery subjects: recording them, one by one or from a file.

An event is recorded with the retention rule of its kind (``matching.retention_rules``); one that
is due at once purges the subject in the same transaction (``matching.gallery_purge``) unless a
legal hold stops it, and the beat purges the rest when they fall due. Placing and lifting a hold
take the subject's row lock, as the purge does, and are audited.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from audit.services import audit_record
from matching.gallery_purge import subject_on_hold, subject_purge
from matching.models import DeletionCertificate, LegalEvent, LegalEventKind, LegalHold, Subject
from matching.retention_rules import date_refused, due_at, rule_for
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_require

SUBJECT_NOT_FOUND = "subject_not_found"
SUBJECT_AMBIGUOUS = "subject_ambiguous"
SUBJECT_PURGED = "subject_purged"
LEGAL_EVENT_KIND_UNKNOWN = "legal_event_kind_unknown"
LEGAL_EVENT_DATE_INVALID = "legal_event_date_invalid"
LEGAL_EVENT_DATE_FUTURE = "legal_event_date_future"
LEGAL_EVENT_FIELD_MISSING = "legal_event_field_missing"
LEGAL_EVENT_FIELD_TOO_LONG = "legal_event_field_too_long"
LEGAL_EVENT_DUPLICATE_ROW = "legal_event_duplicate_row"
LEGAL_EVENTS_FILE_INVALID = "legal_events_file_invalid"
LEGAL_EVENTS_ROWS_INVALID = "legal_events_rows_invalid"
LEGAL_HOLD_EXISTS = "legal_hold_exists"
LEGAL_HOLD_NOT_FOUND = "legal_hold_not_found"
LEGAL_HOLD_LIFTED = "legal_hold_lifted"

IMPORT_COLUMNS = ("subject_ref", "kind", "event_date", "reference")
IMPORT_MAX_ROWS = 10_000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
REFERENCE_MAX = 120
SUBJECT_REF_MAX = 120

# What recording an event did to its subject.
PURGED, HELD, SCHEDULED, ALREADY_PURGED = "purged", "held", "scheduled", "already_purged"


@dataclass(frozen=True)
class EventInput:
    subject_ref: str
    kind: str
    event_date: date
    reference: str
    note: str = ""
    gallery: str = ""


@dataclass
class Recorded:
    outcome: str
    event: LegalEvent | None = None
    certificate: DeletionCertificate | None = None


@dataclass
class ImportReport:
    """One entry per data row; ``applied`` is False when a bad row stopped every write."""

    applied: bool
    rows: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        statuses = [r["status"] for r in self.rows]
        return {s: statuses.count(s) for s in dict.fromkeys(statuses)}


def actor_name(user: User | None) -> str:
    return user.username if user is not None else "system"


def subject_find(*, agency_id: str, subject_ref: str, gallery: str = "") -> Subject:
    """Return the agency's subject with that reference, locked; in the caller's transaction.

    References are unique per gallery: without ``gallery`` the reference must name one subject.
    """
    found = Subject.objects.select_for_update(of=("self",)).select_related("gallery")
    found = found.filter(agency_id=agency_id, ref=subject_ref)
    if gallery:
        found = found.filter(gallery__slug=gallery)
    subjects = list(found[:2])
    if not subjects:
        raise ApiError(SUBJECT_NOT_FOUND, "No such subject.", http_status=404)
    if len(subjects) > 1:
        raise ApiError(
            SUBJECT_AMBIGUOUS,
            "Several galleries hold that reference: name the gallery.",
            fields={"gallery": ["Name the gallery."]},
        )
    return subjects[0]


def event_check(data: EventInput) -> None:
    """Refuse an event whose fields cannot be right (400)."""
    for name in ("subject_ref", "kind", "reference"):
        if not str(getattr(data, name)).strip():
            raise ApiError(
                LEGAL_EVENT_FIELD_MISSING,
                f"{name} is required.",
                fields={name: ["This field is required."]},
            )
    if data.kind not in LegalEventKind.values:
        raise ApiError(
            LEGAL_EVENT_KIND_UNKNOWN,
            f"kind must be one of {', '.join(LegalEventKind.values)}.",
            fields={"kind": ["Unknown kind."]},
        )
    for name, limit in (("subject_ref", SUBJECT_REF_MAX), ("reference", REFERENCE_MAX)):
        if len(getattr(data, name)) > limit:
            raise ApiError(
                LEGAL_EVENT_FIELD_TOO_LONG,
                f"{name} is longer than {limit}.",
                fields={name: [f"At most {limit} characters."]},
            )
    if date_refused(rule_for(data.kind), data.event_date):
        raise ApiError(
            LEGAL_EVENT_DATE_FUTURE,
            "That event cannot be dated in the future.",
            fields={"event_date": ["In the future."]},
        )


def _record(*, user: User | None, subject: Subject, data: EventInput, source: str) -> Recorded:
    """Record one event for a locked subject; purge it if due and not held. Caller's transaction."""
    if subject.purged_at is not None:
        return Recorded(ALREADY_PURGED)
    rule = rule_for(data.kind)
    now = timezone.now()
    event = LegalEvent.objects.create(
        agency_id=subject.agency_id,
        subject=subject,
        kind=data.kind,
        event_date=data.event_date,
        reference=data.reference,
        note=data.note,
        source=source,
        recorded_by=user,
        due_at=due_at(rule, data.event_date, recorded_at=now),
    )
    certificate = None
    if event.due_at > now:
        outcome = SCHEDULED
    elif subject_on_hold(subject):
        outcome = HELD
    else:
        certificate = subject_purge(subject=subject, event=event, actor=actor_name(user))
        outcome = PURGED
    audit_record(
        agency_id=subject.agency_id,
        actor=user or "system",
        action="legal_event.recorded",
        object_type="legal_event",
        object_id=str(event.id),
        data={
            "subject_id": subject.pk,
            "kind": event.kind,
            "event_date": str(event.event_date),
            "reference": event.reference,
            "source": source,
            "rule": rule.rule_id,
            "due_at": event.due_at.isoformat(),
            "outcome": outcome,
        },
    )
    return Recorded(outcome, event, certificate)


def legal_event_record(*, user: User, data: EventInput) -> Recorded:
    """Record a legal event for a subject of the user's agency (API)."""
    action_require(user=user, action="legal_event.record")
    event_check(data)
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        subject = subject_find(
            agency_id=user.agency_id, subject_ref=data.subject_ref, gallery=data.gallery
        )
        if subject.purged_at is not None:
            raise ApiError(SUBJECT_PURGED, "That subject has already been purged.", http_status=409)
        return _record(user=user, subject=subject, data=data, source="api")


def _row_input(row: dict[str, str], gallery: str) -> EventInput:
    raw_date = (row.get("event_date") or "").strip()
    try:
        event_date = date.fromisoformat(raw_date)
    except ValueError:
        raise ApiError(LEGAL_EVENT_DATE_INVALID, "event_date must be YYYY-MM-DD.") from None
    return EventInput(
        subject_ref=(row.get("subject_ref") or "").strip(),
        kind=(row.get("kind") or "").strip(),
        event_date=event_date,
        reference=(row.get("reference") or "").strip(),
        note=(row.get("note") or "").strip(),
        gallery=(row.get("gallery") or "").strip() or gallery,
    )


def _rows(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(LEGAL_EVENTS_FILE_INVALID, "The file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ApiError(
            LEGAL_EVENTS_FILE_INVALID,
            f"The header must name {', '.join(IMPORT_COLUMNS)}; missing: {', '.join(missing)}.",
        )
    try:
        rows = [dict(r) for r in reader]
    except csv.Error as exc:
        raise ApiError(LEGAL_EVENTS_FILE_INVALID, f"Unreadable CSV: {exc}.") from None
    if not rows:
        raise ApiError(LEGAL_EVENTS_FILE_INVALID, "The file holds no rows.")
    if len(rows) > IMPORT_MAX_ROWS:
        raise ApiError(LEGAL_EVENTS_FILE_INVALID, f"At most {IMPORT_MAX_ROWS} rows per file.")
    return rows


def _subjects_lock(agency_id: str, rows: list[dict[str, str]]) -> None:
    """Lock every subject the file may name, in id order, before any row locks its own.

    A search's completion locks its candidates' subjects in id order too; taking them in the
    file's order instead could deadlock with it. A reference held by several galleries locks
    each of them: more than needed, never fewer.
    """
    refs = {(r.get("subject_ref") or "").strip() for r in rows} - {""}
    list(
        Subject.objects.select_for_update(of=("self",))
        .filter(agency_id=agency_id, ref__in=refs)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def legal_events_import(
    *, agency_id: str, content: bytes, user: User | None = None, gallery: str = ""
) -> ImportReport:
    """Record the events of a CSV file from a records system: all of them, or none.

    Every row is checked first (fields, kind, date, subject, duplicates); one bad row and
    nothing is written, and the report says what is wrong with each. Otherwise every row is
    applied in one transaction, and the report says what each did (purged, held, scheduled,
    already purged). Rows are numbered as lines of the file, the header being line 1.
    """
    if user is not None:
        action_require(user=user, action="legal_event.record")
    rows = _rows(content)
    report = ImportReport(applied=False)
    with agency_transaction(agency_id):
        _subjects_lock(agency_id, rows)
        checked: list[tuple[EventInput, Subject] | None] = []
        seen: set[tuple[int, str, str]] = set()
        # One instance per subject: a purge by one row is seen by the subject's later rows.
        subjects: dict[int, Subject] = {}
        for line, row in enumerate(rows, start=2):
            ref = (row.get("subject_ref") or "").strip()
            entry: dict[str, Any] = {"row": line, "subject_ref": ref}
            try:
                data = _row_input(row, gallery)
                event_check(data)
                subject = subject_find(
                    agency_id=agency_id, subject_ref=data.subject_ref, gallery=data.gallery
                )
                key = (subject.pk, data.kind, data.reference)
                if key in seen:
                    raise ApiError(LEGAL_EVENT_DUPLICATE_ROW, "The same event appears above.")
                seen.add(key)
                subject = subjects.setdefault(subject.pk, subject)
            except ApiError as exc:
                report.rows.append(
                    {**entry, "status": "error", "code": exc.error_code, "message": exc.message}
                )
                checked.append(None)
                continue
            report.rows.append({**entry, "status": "valid"})
            checked.append((data, subject))
        if any(r["status"] == "error" for r in report.rows):
            return report
        for entry, item in zip(report.rows, checked, strict=True):
            assert item is not None  # noqa: S101 - no bad row above
            recorded = _record(user=user, subject=item[1], data=item[0], source="import")
            entry["status"] = recorded.outcome
            if recorded.event is not None:
                entry["event"] = str(recorded.event.id)
            if recorded.certificate is not None:
                entry["certificate"] = str(recorded.certificate.id)
        report.applied = True
        audit_record(
            agency_id=agency_id,
            actor=user or "system",
            action="legal_events.imported",
            object_type="legal_events_import",
            data={"rows": len(rows), **report.counts()},
        )
    return report


def legal_hold_place(*, user: User, subject_ref: str, gallery: str, reason: str) -> LegalHold:
    """Place a hold stopping the subject's purge until lifted; audited."""
    action_require(user=user, action="legal_hold.manage")
    if not reason.strip():
        raise ApiError(
            LEGAL_EVENT_FIELD_MISSING,
            "A hold needs a reason.",
            fields={"reason": ["This field is required."]},
        )
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        subject = subject_find(agency_id=user.agency_id, subject_ref=subject_ref, gallery=gallery)
        if subject.purged_at is not None:
            raise ApiError(SUBJECT_PURGED, "That subject has already been purged.", http_status=409)
        if subject_on_hold(subject):
            raise ApiError(LEGAL_HOLD_EXISTS, "That subject is already on hold.", http_status=409)
        hold = LegalHold.objects.create(
            agency_id=user.agency_id, subject=subject, reason=reason.strip(), placed_by=user
        )
        audit_record(
            agency_id=user.agency_id,
            actor=user,
            action="legal_hold.placed",
            object_type="legal_hold",
            object_id=str(hold.id),
            data={"subject_id": subject.pk, "reason": hold.reason},
        )
    return hold


def legal_hold_lift(*, user: User, hold_id: uuid.UUID, reason: str) -> LegalHold:
    """Lift a hold; a purge it stopped is made by the next periodic purge. Audited."""
    action_require(user=user, action="legal_hold.manage")
    if not reason.strip():
        raise ApiError(
            LEGAL_EVENT_FIELD_MISSING,
            "Lifting a hold needs a reason.",
            fields={"reason": ["This field is required."]},
        )
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        found = LegalHold.objects.filter(agency_id=user.agency_id, id=hold_id).first()
        if found is None:
            raise ApiError(LEGAL_HOLD_NOT_FOUND, "No such legal hold.", http_status=404)
        Subject.objects.select_for_update().filter(pk=found.subject_id).first()
        hold = (
            LegalHold.objects.select_for_update(of=("self",))
            .select_related("subject", "placed_by")
            .get(id=hold_id)
        )
        if hold.lifted_at is not None:
            raise ApiError(LEGAL_HOLD_LIFTED, "That hold has already been lifted.", http_status=409)
        hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), user, reason.strip()
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            agency_id=user.agency_id,
            actor=user,
            action="legal_hold.lifted",
            object_type="legal_hold",
            object_id=str(hold.id),
            data={"subject_id": hold.subject_id, "reason": hold.lift_reason},
        )
    return hold


def legal_holds_list(*, user: User, active_only: bool = True) -> list[LegalHold]:
    """Return the agency's legal holds (those in force, or all), newest first."""
    action_require(user=user, action="legal_hold.manage")
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        holds = LegalHold.objects.filter(agency_id=user.agency_id).select_related(
            "subject", "placed_by", "lifted_by"
        )
        if active_only:
            holds = holds.filter(lifted_at__isnull=True)
        return list(holds.order_by("-placed_at")[:500])


def deletion_certificate_get(
    *, user: User, certificate_id: uuid.UUID
) -> DeletionCertificate | None:
    """Return one of the agency's deletion certificates (None: not the agency's, or none)."""
    action_require(user=user, action="deletion_certificates.list")
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        return (
            DeletionCertificate.objects.select_related("legal_event")
            .filter(agency_id=user.agency_id, id=certificate_id)
            .first()
        )


def deletion_certificates_list(*, user: User, limit: int = 100) -> list[DeletionCertificate]:
    """Return the agency's deletion certificates, newest first."""
    action_require(user=user, action="deletion_certificates.list")
    assert user.agency_id is not None  # noqa: S101 - an agency user
    with agency_transaction(user.agency_id):
        return list(
            DeletionCertificate.objects.filter(agency_id=user.agency_id)[: max(1, min(limit, 500))]
        )
