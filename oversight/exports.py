"""Signed audit exports: request one for a scope, build it in a task, stream it to disk.

An export is a directory (and the same files in a .zip): ``events.jsonl`` (one record per
event, in chain order per agency), ``events.csv`` (the same records as a table),
``manifest.json`` (scope, counts, each file's SHA-256 and size, each agency's chain at both
ends of the range and its head, the latest signed checkpoint, the signer's key id, the previous
export of the same scope) and ``manifest.sig`` (the detached Ed25519 signature of the manifest's
bytes, hex). ``verifier/probity_verify.py`` checks it with nothing but the public key.

Each agency's range is contiguous in its chain, so nothing can be left out unseen. A record an
export does not disclose (its event type is outside the scope, or, for an oversight body, its
data names gallery records) keeps its place as ``withheld``: seq, prev_hash and hash only.
Events are read in keyset pages of short transactions and written as they come, so memory
stays flat however many there are.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, epoch_microseconds
from audit.keys import checkpoint_signing_key, public_key_id
from audit.services import audit_record
from oversight import errors
from oversight.context import oversight_transaction
from oversight.models import AuditExport, ExportStatus
from oversight.reads import data_names_gallery_records, oversight_grant_for
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Agency, AgencyKind, Role, User
from verifier.probity_verify import (
    CSV_COLUMNS,
    EVENTS_CSV,
    EVENTS_JSONL,
    FORMAT,
    MANIFEST,
    SIGNATURE,
)

PAGE = 5000
MAX_AGENCIES = 50
EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$")
WITHHELD_TYPE = "event type outside the scope"
WITHHELD_NAMES = "data names gallery records"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def scope_canonical(
    *, agencies: list[str], since: datetime | None, until: datetime | None, event_types: list[str]
) -> dict[str, Any]:
    """Return the scope as stored and signed: sorted, deduplicated, UTC."""
    return {
        "agencies": sorted(set(agencies)),
        "since": _iso(since),
        "until": _iso(until),
        "event_types": sorted(set(event_types)),
    }


def _scope_key(scope: dict[str, Any], withhold: bool) -> str:
    text = json.dumps({**scope, "withhold_names": withhold}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _may_export(user: User, agencies: list[str]) -> bool:
    """An oversight auditor exports agencies in scope; staff export their own agency's trail."""
    body = user.agency
    if body is None:
        return False
    if body.kind == AgencyKind.OVERSIGHT:
        for agency_id in agencies:
            oversight_grant_for(auditor=user, agency_id=agency_id)
        return user.has_role(Role.AUDITOR)
    own_staff = user.has_role(Role.COMPLIANCE_OFFICER) or user.has_role(Role.AUDITOR)
    return own_staff and agencies == [body.id]


def audit_export_request(
    *,
    user: User,
    agencies: list[str],
    since: datetime | None = None,
    until: datetime | None = None,
    event_types: list[str] | None = None,
) -> AuditExport:
    """Record an export request and queue its build once the request commits."""
    types = list(event_types or [])
    if not agencies or len(set(agencies)) > MAX_AGENCIES:
        raise ApiError(errors.EXPORT_SCOPE_INVALID, f"Name between 1 and {MAX_AGENCIES} agencies.")
    if since and until and until <= since:
        raise ApiError(errors.EXPORT_SCOPE_INVALID, "The period must end after it starts.")
    if any(not EVENT_TYPE_PATTERN.match(t) for t in types):
        raise ApiError(
            errors.EXPORT_SCOPE_INVALID,
            "Event types are actions (search.submitted) or prefixes (search.).",
        )
    scope = scope_canonical(agencies=agencies, since=since, until=until, event_types=types)
    if not _may_export(user, scope["agencies"]):
        raise ApiError(
            errors.EXPORT_NOT_PERMITTED,
            "You may not export these agencies' audit trails.",
            http_status=403,
        )
    body = user.agency
    assert body is not None  # noqa: S101 - checked by _may_export
    withhold = body.kind == AgencyKind.OVERSIGHT
    key = _scope_key(scope, withhold)
    with transaction.atomic():
        with agency_transaction(body.id):
            previous = (
                AuditExport.objects.filter(agency=body, scope_key=key, status=ExportStatus.DONE)
                .order_by("-finished_at")
                .first()
            )
            export = AuditExport.objects.create(
                agency=body,
                requested_by=user,
                scope=scope,
                scope_key=key,
                previous=previous,
                withhold_names=withhold,
            )
            audit_record(
                agency_id=body.id,
                actor=user,
                action="audit.export_requested",
                object_type="audit_export",
                object_id=str(export.id),
                data={"scope": scope},
            )
        if withhold:
            # Recorded as the auditor acting under its grants, outside the body's own context
            # (a portal request runs in the body's agency).
            with oversight_transaction(auditor_id=user.pk):
                for agency_id in scope["agencies"]:
                    audit_record(
                        agency_id=agency_id,
                        actor=user,
                        action="oversight.export",
                        object_type="audit_export",
                        object_id=str(export.id),
                        data={"body": body.id, "scope": scope},
                    )
        from oversight.tasks import audit_export_run

        transaction.on_commit(lambda: audit_export_run.delay(str(export.id), body.id))
    return export


@dataclass(frozen=True)
class _Range:
    agency_id: str
    first: int
    last: int
    prev_hash: str
    end_hash: str
    head_seq: int
    head_hash: str

    def chain(self) -> dict[str, Any]:
        return {
            "start": {"seq": self.first, "prev_hash": self.prev_hash},
            "end": {"seq": self.last, "hash": self.end_hash},
            "head": {"seq": self.head_seq, "hash": self.head_hash},
        }


class _Reader:
    """Short read transactions in the requester's context (its agency, or its grants)."""

    def __init__(self, export: AuditExport) -> None:
        self.export = export

    def __call__(self) -> Any:
        if self.export.withhold_names:
            return oversight_transaction(auditor_id=self.export.requested_by_id)
        return agency_transaction(self.export.agency_id)

    def one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        with self(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return tuple(row) if row is not None else None


def _range(read: _Reader, agency_id: str, scope: dict[str, Any]) -> _Range:
    head = read.one(
        "SELECT seq, hash FROM audit_auditevent WHERE agency_id = %s ORDER BY seq DESC LIMIT 1",
        [agency_id],
    )
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
    bounds = read.one(
        "SELECT min(seq), max(seq) FROM audit_auditevent WHERE agency_id = %s AND seq <= %s "
        "AND (%s::timestamptz IS NULL OR occurred_at >= %s::timestamptz) "
        "AND (%s::timestamptz IS NULL OR occurred_at < %s::timestamptz)",
        [agency_id, head_seq, scope["since"], scope["since"], scope["until"], scope["until"]],
    )
    if not bounds or bounds[0] is None:
        # Nothing in range: an empty run placed after everything before the period.
        before = read.one(
            "SELECT seq, hash FROM audit_auditevent WHERE agency_id = %s AND seq <= %s AND "
            "(%s::timestamptz IS NULL OR occurred_at < %s::timestamptz) "
            "ORDER BY seq DESC LIMIT 1",
            [agency_id, head_seq, scope["since"], scope["since"]],
        )
        seq, digest = (int(before[0]), str(before[1])) if before else (0, GENESIS_HASH)
        return _Range(agency_id, seq + 1, seq, digest, digest, head_seq, head_hash)
    first, last = int(bounds[0]), int(bounds[1])
    ends = read.one(
        "SELECT (SELECT prev_hash FROM audit_auditevent WHERE agency_id = %s AND seq = %s), "
        "(SELECT hash FROM audit_auditevent WHERE agency_id = %s AND seq = %s)",
        [agency_id, first, agency_id, last],
    )
    assert ends is not None  # noqa: S101 - both rows exist: they bound the range
    return _Range(agency_id, first, last, str(ends[0]), str(ends[1]), head_seq, head_hash)


_PAGE_SQL = """
SELECT seq, prev_hash, hash, mac, uid::text,
       (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_id, actor, action,
       object_type, object_id, data::text
FROM audit_auditevent WHERE agency_id = %s AND seq > %s AND seq <= %s ORDER BY seq LIMIT %s
"""


def _pages(read: _Reader, span: _Range) -> Iterator[list[tuple[Any, ...]]]:
    after = span.first - 1
    while after < span.last:
        with read(), connection.cursor() as cursor:
            cursor.execute(_PAGE_SQL, [span.agency_id, after, span.last, PAGE])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        after = int(rows[-1][0])


def _withheld(action: str, data_text: str, *, types: list[str], withhold: bool) -> str:
    if types and not any(action == t or (t.endswith(".") and action.startswith(t)) for t in types):
        return WITHHELD_TYPE
    if withhold and data_names_gallery_records(json.loads(data_text)):
        return WITHHELD_NAMES
    return ""


class _HashingWriter:
    """A binary file whose SHA-256 and size are computed as it is written."""

    def __init__(self, path: Path) -> None:
        self.handle: IO[bytes] = path.open("wb")
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.sha.update(data)
        self.size += len(data)

    def close(self) -> dict[str, Any]:
        self.handle.close()
        return {"sha256": self.sha.hexdigest(), "bytes": self.size}


class _CsvLine:
    """Turn one row into CSV bytes (the csv module writes to text streams)."""

    def __init__(self) -> None:
        self.buffer: list[str] = []
        self.writer = csv.writer(self, lineterminator="\n")

    def write(self, text: str) -> None:
        self.buffer.append(text)

    def __call__(self, row: list[Any]) -> bytes:
        self.writer.writerow(row)
        line = "".join(self.buffer).encode()
        self.buffer.clear()
        return line


def _progress(export: AuditExport, **fields: Any) -> None:
    with agency_transaction(export.agency_id):
        AuditExport.objects.filter(id=export.id).update(**fields)
    for name, value in fields.items():
        setattr(export, name, value)


def export_directory(export: AuditExport) -> Path:
    return Path(settings.AUDIT_EXPORT_DIR) / str(export.id)


def export_zip_path(export: AuditExport) -> Path:
    return Path(settings.AUDIT_EXPORT_DIR) / f"probity-audit-export-{export.id}.zip"


def _latest_checkpoint(read: _Reader, span: _Range) -> dict[str, Any] | None:
    row = read.one(
        "SELECT seq, hash, signed_at, key_id, signature FROM audit_auditcheckpoint "
        "WHERE agency_id = %s AND seq <= %s ORDER BY seq DESC LIMIT 1",
        [span.agency_id, span.head_seq],
    )
    if row is None:
        return None
    return {
        "agency_id": span.agency_id,
        "seq": int(row[0]),
        "hash": row[1],
        "signed_at_us": epoch_microseconds(row[2]),
        "key_id": row[3],
        "signature": row[4],
    }


def audit_export_build(*, agency_id: str, export_id: uuid.UUID) -> AuditExport | None:
    """Write the export's files, manifest and signature; safe to run again (it starts over)."""
    with agency_transaction(agency_id):
        export = (
            AuditExport.objects.select_related("previous", "requested_by__agency")
            .filter(id=export_id)
            .first()
        )
    if export is None or export.status == ExportStatus.DONE:
        return export
    if export.withhold_names:
        # The grants must still be in force: an export never outlives its scope.
        for agency_id in export.scope["agencies"]:
            oversight_grant_for(auditor=export.requested_by, agency_id=agency_id)
    _progress(export, status=ExportStatus.RUNNING, events_written=0)
    read = _Reader(export)
    scope = export.scope
    spans = [_range(read, a, scope) for a in scope["agencies"]]
    _progress(export, events_total=sum(max(0, s.last - s.first + 1) for s in spans))
    directory = export_directory(export)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, mode=0o700)
    jsonl, table = _HashingWriter(directory / EVENTS_JSONL), _HashingWriter(directory / EVENTS_CSV)
    to_csv = _CsvLine()
    table.write(to_csv(list(CSV_COLUMNS)))
    counts: dict[str, dict[str, int]] = {}
    written = 0
    for span in spans:
        counts[span.agency_id] = {"records": 0, "withheld": 0}
        for rows in _pages(read, span):
            for (
                seq,
                prev,
                digest,
                mac,
                uid,
                micros,
                actor_id,
                actor,
                action,
                otype,
                oid,
                data,
            ) in rows:
                reason = _withheld(
                    action, data, types=scope["event_types"], withhold=export.withhold_names
                )
                record: dict[str, Any] = {
                    "agency_id": span.agency_id,
                    "seq": seq,
                    "prev_hash": prev,
                    "hash": digest,
                }
                if reason:
                    record["withheld"] = reason
                    counts[span.agency_id]["withheld"] += 1
                    cells = [span.agency_id, seq, "", "", "", "", "", "", reason, prev, digest]
                else:
                    record.update(
                        mac=mac,
                        uid=uid,
                        occurred_at_us=micros,
                        actor_id=actor_id,
                        actor=actor,
                        action=action,
                        object_type=otype,
                        object_id=oid,
                        data=data,
                    )
                    when = (_EPOCH + timedelta(microseconds=micros)).isoformat()
                    cells = [
                        span.agency_id,
                        seq,
                        when,
                        actor,
                        action,
                        otype,
                        oid,
                        data,
                        "",
                        prev,
                        digest,
                    ]
                counts[span.agency_id]["records"] += 1
                jsonl.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                table.write(to_csv(cells))
            written += len(rows)
            _progress(export, events_written=written)
    files = {EVENTS_JSONL: jsonl.close(), EVENTS_CSV: table.close()}
    signer = checkpoint_signing_key()
    previous = export.previous
    manifest = {
        "format": FORMAT,
        "export_id": str(export.id),
        "created_at": _iso(timezone.now()),
        "requested_by": {"agency": export.agency_id, "user": export.requested_by.username},
        "scope": scope,
        "withhold_names": export.withhold_names,
        "previous": {"export_id": str(previous.id), "manifest_sha256": previous.manifest_sha256}
        if previous
        else None,
        "files": files,
        "counts": counts,
        "chains": {s.agency_id: s.chain() for s in spans},
        "checkpoints": {s.agency_id: _latest_checkpoint(read, s) for s in spans},
        "key_id": public_key_id(signer.public_key()),
    }
    raw = json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False).encode() + b"\n"
    (directory / MANIFEST).write_bytes(raw)
    (directory / SIGNATURE).write_text(signer.sign(raw).hex() + "\n")
    archive = export_zip_path(export)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in (MANIFEST, SIGNATURE, EVENTS_JSONL, EVENTS_CSV):
            zipped.write(directory / name, name)
    digest = hashlib.sha256(raw).hexdigest()
    with agency_transaction(export.agency_id):
        AuditExport.objects.filter(id=export.id).update(
            status=ExportStatus.DONE, manifest_sha256=digest, finished_at=timezone.now()
        )
        audit_record(
            agency_id=export.agency_id,
            actor="audit-export",
            action="audit.export_completed",
            object_type="audit_export",
            object_id=str(export.id),
            data={"manifest_sha256": digest, "events": written},
        )
    export.status, export.manifest_sha256 = ExportStatus.DONE, digest
    return export


def audit_export_fail(*, agency_id: str, export_id: uuid.UUID, error: str) -> None:
    """Mark an export failed (it left no signed manifest) and record why."""
    with agency_transaction(agency_id):
        AuditExport.objects.filter(id=export_id).exclude(status=ExportStatus.DONE).update(
            status=ExportStatus.FAILED, error_code=error[:60], finished_at=timezone.now()
        )
        audit_record(
            agency_id=agency_id,
            actor="audit-export",
            action="audit.export_failed",
            object_type="audit_export",
            object_id=str(export_id),
            data={"error": error[:60]},
        )


def audit_export_downloaded(*, user: User, export: AuditExport) -> None:
    """Record a download in the exporting agency's chain."""
    with agency_transaction(export.agency_id):
        audit_record(
            agency_id=export.agency_id,
            actor=user,
            action="audit.export_downloaded",
            object_type="audit_export",
            object_id=str(export.id),
            data={"manifest_sha256": export.manifest_sha256},
        )


def audit_export_get(*, user: User, export_id: uuid.UUID) -> AuditExport:
    """Return one of the user's agency's exports, or answer 404."""
    agency: Agency | None = user.agency
    if agency is None:
        raise ApiError(errors.EXPORT_NOT_FOUND, "No such export.", http_status=404)
    with agency_transaction(agency.id):
        export = (
            AuditExport.objects.select_related("requested_by")
            .filter(id=export_id, agency=agency)
            .first()
        )
    if export is None:
        raise ApiError(errors.EXPORT_NOT_FOUND, "No such export.", http_status=404)
    return export


def audit_export_list(*, user: User) -> list[AuditExport]:
    """Return the user's agency's exports, newest first."""
    if user.agency is None:
        return []
    with agency_transaction(user.agency.id):
        return list(
            AuditExport.objects.select_related("requested_by").filter(agency=user.agency)[:100]
        )
