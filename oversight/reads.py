"""What an oversight auditor reads in scope; each read is recorded in the overseen agency's chain.

Reads run in ``oversight_transaction``: PostgreSQL admits only the agencies the auditor's grants
name, for the grants' periods, whatever the query says. The service checks the grant first so
an out-of-scope request gets a clear 404 rather than an empty page. Nothing here reads faces,
photos, probes, subjects or candidates; audit event data loses the keys naming gallery records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent
from matching.models import DeletionCertificate, Search
from oversight import errors
from oversight.context import oversight_transaction
from oversight.models import OversightGrant
from oversight.services import is_national_admin, oversight_access_record
from policy.models import PolicyDecision
from tenants.errors import ApiError
from tenants.models import AgencyKind, User

# Audit data keys that name gallery records (candidates' subject references).
WITHHELD_DATA_KEYS = frozenset({"ref", "subject", "candidates", "display_name", "name"})
WITHHELD = "withheld"
MAX_ROWS = 500


@dataclass(frozen=True)
class ReadWindow:
    """Which rows of an agency a read asks for."""

    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100

    def facts(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "limit": self.limit,
        }


def _in_force() -> Q:
    now = timezone.now()
    return Q(revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now)


def oversight_grants_in_force(*, auditor: User) -> list[OversightGrant]:
    """Return the auditor's grants in force now, one per agency at most used at a time."""
    return list(
        OversightGrant.objects.filter(_in_force(), auditor=auditor)
        .select_related("agency", "body")
        .order_by("agency_id", "-ends_at")
    )


def oversight_grant_for(*, auditor: User, agency_id: str) -> OversightGrant:
    """Return the grant under which ``auditor`` reads ``agency_id`` now, or answer 404."""
    grant = (
        OversightGrant.objects.filter(_in_force(), auditor=auditor, agency_id=agency_id)
        .select_related("agency", "body")
        .order_by("-ends_at")
        .first()
    )
    if grant is None or auditor.agency is None or auditor.agency.kind != AgencyKind.OVERSIGHT:
        raise ApiError(
            errors.AGENCY_NOT_IN_SCOPE,
            "That agency is not in your oversight scope now.",
            http_status=404,
        )
    return grant


def oversight_grants_visible(*, user: User) -> list[OversightGrant]:
    """Return the grants ``user`` may see: all for a national administrator, the body's own
    for an oversight body, and those naming the agency for the overseen agency."""
    grants = OversightGrant.objects.select_related("agency", "body")
    if is_national_admin(user):
        return list(grants.all())
    if user.agency is None:
        return []
    if user.agency.kind == AgencyKind.OVERSIGHT:
        return list(grants.filter(body=user.agency))
    return list(grants.filter(agency=user.agency))


def _window(queryset: Any, field: str, window: ReadWindow) -> Any:
    if window.since:
        queryset = queryset.filter(**{f"{field}__gte": window.since})
    if window.until:
        queryset = queryset.filter(**{f"{field}__lt": window.until})
    return queryset


def _limit(window: ReadWindow) -> int:
    return max(1, min(window.limit, MAX_ROWS))


def _names_records(key: str, value: Any) -> bool:
    # ``candidates`` is a count in some events and the list of subject references in others.
    return key in WITHHELD_DATA_KEYS and not (key == "candidates" and isinstance(value, int))


def data_names_gallery_records(data: Any) -> bool:
    """Return whether an event's data names gallery records (subjects' references or names)."""
    return isinstance(data, dict) and any(_names_records(k, v) for k, v in data.items())


def event_data_redacted(data: dict[str, Any]) -> dict[str, Any]:
    """Return an event's data without the values naming gallery records."""
    return {k: (WITHHELD if _names_records(k, v) else v) for k, v in data.items()}


def oversight_audit_events(
    *, auditor: User, agency_id: str, window: ReadWindow, action: str = ""
) -> list[dict[str, Any]]:
    """Return the agency's audit events in the window, oldest first."""
    grant = oversight_grant_for(auditor=auditor, agency_id=agency_id)
    with oversight_transaction(auditor_id=auditor.pk):
        events = _window(AuditEvent.objects.filter(agency_id=agency_id), "occurred_at", window)
        if action:
            events = events.filter(action=action)
        rows = [
            {
                "seq": e.seq,
                "occurred_at": e.occurred_at,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "data": event_data_redacted(e.data),
                "hash": e.hash,
                "prev_hash": e.prev_hash,
            }
            for e in events.order_by("seq")[: _limit(window)]
        ]
        oversight_access_record(
            auditor=auditor,
            grant=grant,
            resource="audit_events",
            filters={**window.facts(), "action": action},
            rows=len(rows),
        )
    return rows


SEARCH_FIELDS = (
    "id",
    "status",
    "purpose",
    "offence",
    "case_number",
    "justification",
    "warrant",
    "exigent",
    "interagency",
    "handling",
    "decision_id",
    "max_candidates",
    "model_name",
    "model_version",
    "error_code",
    "created_at",
    "completed_at",
)


def oversight_searches(
    *, auditor: User, agency_id: str, window: ReadWindow
) -> list[dict[str, Any]]:
    """Return the agency's searches' metadata in the window, newest first (no probe, no
    candidates)."""
    grant = oversight_grant_for(auditor=auditor, agency_id=agency_id)
    with oversight_transaction(auditor_id=auditor.pk):
        searches = _window(Search.objects.filter(agency_id=agency_id), "created_at", window)
        rows = list(searches.order_by("-created_at").values(*SEARCH_FIELDS)[: _limit(window)])
        oversight_access_record(
            auditor=auditor,
            grant=grant,
            resource="searches",
            filters=window.facts(),
            rows=len(rows),
        )
    return rows


DECISION_FIELDS = (
    "id",
    "search_id",
    "allow",
    "reasons",
    "obligations",
    "engine",
    "bundle_revision",
    "created_at",
)


def oversight_decisions(
    *, auditor: User, agency_id: str, window: ReadWindow
) -> list[dict[str, Any]]:
    """Return the agency's policy decisions with their reasons, newest first."""
    grant = oversight_grant_for(auditor=auditor, agency_id=agency_id)
    with oversight_transaction(auditor_id=auditor.pk):
        decisions = _window(
            PolicyDecision.objects.filter(agency_id=agency_id), "created_at", window
        )
        rows = list(decisions.order_by("-created_at").values(*DECISION_FIELDS)[: _limit(window)])
        oversight_access_record(
            auditor=auditor,
            grant=grant,
            resource="decisions",
            filters=window.facts(),
            rows=len(rows),
        )
    return rows


CERTIFICATE_FIELDS = (
    "id",
    "gallery_slug",
    "photos_deleted",
    "faces_deleted",
    "held_photos_deleted",
    "uploads_deleted",
    "photo_sha256",
    "event_kind",
    "event_date",
    "event_reference",
    "rule_id",
    "citation",
    "deleted_by",
    "deleted_at",
)


def oversight_deletion_certificates(
    *, auditor: User, agency_id: str, window: ReadWindow
) -> list[dict[str, Any]]:
    """Return the agency's deletion certificates in the window, newest first.

    The subject's reference names a gallery record and is withheld, as in audit event data;
    the legal event's reference, the rule and the photos' digests are what an audit checks.
    """
    grant = oversight_grant_for(auditor=auditor, agency_id=agency_id)
    with oversight_transaction(auditor_id=auditor.pk):
        certificates = _window(
            DeletionCertificate.objects.filter(agency_id=agency_id), "deleted_at", window
        )
        rows = [
            {**row, "subject_ref": WITHHELD}
            for row in certificates.order_by("-deleted_at").values(*CERTIFICATE_FIELDS)[
                : _limit(window)
            ]
        ]
        oversight_access_record(
            auditor=auditor,
            grant=grant,
            resource="deletion_certificates",
            filters=window.facts(),
            rows=len(rows),
        )
    return rows
