"""OPA decision logs into the audit trail, so OPA's own record can be checked against ours.

Each logged decision becomes an audit event of the agency it was for, noting whether the service
recorded the same decision id. A resent batch adds nothing twice: an event is known by the
SHA-256 of its full decision id (kept whole in the event's data). A token logs only the
agencies it represents, and a batch is written a bounded number of events per transaction, so
one agency's audit chain (and the searches writing to it) is never held for a whole batch.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from audit.models import AuditEvent
from audit.services import audit_record
from policy.models import PolicyDecision
from policy.opa_service_auth import ALL_AGENCIES
from policy.services import policy_input_digest
from tenants.context import agency_transaction
from tenants.models import Agency
from tenants.parsers import JsonRejectedError, json_parse

MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_EVENTS = 10_000
ACTION = "opa.decision_logged"
REFUSED_ACTION = "opa.decision_log_refused"
DECISION_LOG_EVENTS_PER_TRANSACTION = 25
PLATFORM_CHAIN = "_platform"


class DecisionLogRejectedError(ValueError):
    """A batch that is not a well-formed OPA decision-log upload."""


@dataclass(frozen=True)
class IngestReport:
    """What became of a batch."""

    recorded: int
    duplicates: int
    unattributed: int
    refused: int = 0


def decision_log_key(decision_id: str) -> str:
    """Return the fixed-length key an event is known by: ``sha256:`` and the id's digest."""
    return "sha256:" + hashlib.sha256(decision_id.encode()).hexdigest()


def decision_logs_parse(body: bytes, *, gzipped: bool) -> list[dict[str, Any]]:
    """Decode a batch (gzip JSON array of events), with hard limits on its size.

    The JSON is parsed strictly (``json_parse``): an event holding what the audit trail cannot
    store (NUL, a lone surrogate, a non-finite number, deep nesting) refuses the whole batch.
    """
    if len(body) > MAX_COMPRESSED_BYTES:
        raise DecisionLogRejectedError("batch too large")
    raw = body
    if gzipped:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
                raw = stream.read(MAX_DECOMPRESSED_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise DecisionLogRejectedError("not gzip") from exc
        if len(raw) > MAX_DECOMPRESSED_BYTES:
            raise DecisionLogRejectedError("batch too large once decompressed")
    try:
        events = json_parse(raw)
    except JsonRejectedError as exc:
        raise DecisionLogRejectedError(str(exc)) from exc
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise DecisionLogRejectedError("expected a JSON array of at most 10,000 events")
    if not all(isinstance(e, dict) and isinstance(e.get("decision_id"), str) for e in events):
        raise DecisionLogRejectedError("every event needs a decision_id")
    return events


def _agency_of(event: dict[str, Any]) -> str | None:
    agency = event.get("input", {}).get("agency") if isinstance(event.get("input"), dict) else None
    agency_id = agency.get("id") if isinstance(agency, dict) else None
    return agency_id if isinstance(agency_id, str) else None


def _summary(event: dict[str, Any]) -> dict[str, Any]:
    result = event.get("result")
    reasons = result.get("reasons") if isinstance(result, dict) else None
    bundles = event.get("bundles")
    if not isinstance(bundles, dict):
        bundles = {}
    policy_input = event.get("input")
    return {
        "path": event.get("path"),
        "timestamp": event.get("timestamp"),
        "revisions": {str(k): v.get("revision") for k, v in bundles.items() if isinstance(v, dict)},
        "allow": result.get("allow") if isinstance(result, dict) else None,
        "codes": [r.get("code") for r in reasons if isinstance(r, dict)]
        if isinstance(reasons, list)
        else [],
        "input_digest": policy_input_digest(policy_input)
        if isinstance(policy_input, dict)
        else None,
    }


def decision_logs_ingest(
    events: list[dict[str, Any]], *, represented: frozenset[str] = frozenset()
) -> IngestReport:
    """Record each event in its agency's audit chain; count what cannot be attributed.

    Events of agencies outside ``represented`` (``*`` = all) are refused, and the refusal is
    recorded once per batch in the platform chain.
    """
    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unattributed = 0
    refused: dict[str, int] = defaultdict(int)
    known = set(Agency.objects.values_list("id", flat=True))
    for event in events:
        agency_id = _agency_of(event)
        if agency_id not in known or agency_id is None:
            unattributed += 1
        elif ALL_AGENCIES not in represented and agency_id not in represented:
            refused[agency_id] += 1
        else:
            by_agency[agency_id].append(event)
    if refused:
        audit_record(
            agency_id=PLATFORM_CHAIN,
            actor="opa",
            action=REFUSED_ACTION,
            object_type="opa_decision_log",
            data={"agencies": sorted(refused), "events": sum(refused.values())},
        )
    recorded = duplicates = 0
    for agency_id, agency_events in by_agency.items():
        for start in range(0, len(agency_events), DECISION_LOG_EVENTS_PER_TRANSACTION):
            chunk = agency_events[start : start + DECISION_LOG_EVENTS_PER_TRANSACTION]
            done, again = _ingest_chunk(agency_id, chunk)
            recorded += done
            duplicates += again
    return IngestReport(
        recorded=recorded,
        duplicates=duplicates,
        unattributed=unattributed,
        refused=sum(refused.values()),
    )


def _ingest_chunk(agency_id: str, events: list[dict[str, Any]]) -> tuple[int, int]:
    """Record one bounded chunk of an agency's events in one transaction."""
    recorded = duplicates = 0
    with agency_transaction(agency_id):
        ids = [e["decision_id"] for e in events]
        keys = {decision_log_key(i): i for i in ids}
        # Events logged before ids were keyed by digest carry the id itself (cut at 80).
        legacy = {i[:80]: i for i in ids}
        logged_keys = set(
            AuditEvent.objects.filter(
                agency_id=agency_id, action=ACTION, object_id__in=[*keys, *legacy]
            ).values_list("object_id", flat=True)
        )
        logged = {keys.get(k) or legacy[k] for k in logged_keys}
        ours = set(
            PolicyDecision.objects.filter(
                agency_id=agency_id, engine_decision_id__in=ids
            ).values_list("engine_decision_id", flat=True)
        )
        for event in events:
            decision_id = event["decision_id"]
            if decision_id in logged:
                duplicates += 1
                continue
            logged.add(decision_id)
            audit_record(
                agency_id=agency_id,
                actor="opa",
                action=ACTION,
                object_type="opa_decision",
                object_id=decision_log_key(decision_id),
                data={
                    **_summary(event),
                    "decision_id": decision_id,
                    "recorded_by_service": decision_id in ours,
                },
            )
            recorded += 1
    return recorded, duplicates
