"""Write and verify audit events; callers pass the same transaction as the change they record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections

from audit.chain import GENESIS_HASH, event_hash
from audit.models import AuditEvent
from tenants.context import agency_transaction
from tenants.request_context import request_id_current


def audit_record(
    *,
    agency_id: str,
    action: str,
    actor: Any = None,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    using: str = "default",
) -> AuditEvent:
    """Append one event to the agency's chain inside the caller's transaction.

    A transaction-scoped advisory lock serialises writers of one agency's chain, so two
    concurrent events can never claim the same predecessor. The transaction's deferred
    foreign-key checks run first: the key-share locks they need are taken before the chain's
    lock, never waited for while holding it (which deadlocked with a concurrent row lock).
    """
    payload = json.loads(json.dumps(data or {}, default=str))
    if request_id := request_id_current():
        payload.setdefault("request_id", request_id)
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
    with agency_transaction(agency_id, using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"audit:{agency_id}"]
            )
        last = (
            AuditEvent.objects.using(using)
            .filter(agency_id=agency_id)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event = AuditEvent(
            agency_id=agency_id,
            seq=seq,
            occurred_at=datetime.now(tz=UTC),
            actor_id=actor_id,
            actor=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=payload,
            prev_hash=prev,
        )
        event.hash = event_hash(event)
        event.save(using=using, force_insert=True)
        return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of re-computing an agency's chain."""

    agency_id: str
    events: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""


def audit_chain_verify(*, agency_id: str, using: str = "default") -> ChainReport:
    """Recompute every hash of the agency's chain and report the first break."""
    prev = GENESIS_HASH
    count = 0
    with agency_transaction(agency_id, using=using):
        events = AuditEvent.objects.using(using).filter(agency_id=agency_id).order_by("seq")
        for event in events.iterator():
            count += 1
            if event.seq != count:
                return ChainReport(agency_id, count, False, event.seq, "sequence gap")
            if event.prev_hash != prev:
                return ChainReport(agency_id, count, False, event.seq, "previous hash mismatch")
            if event_hash(event) != event.hash:
                return ChainReport(agency_id, count, False, event.seq, "content hash mismatch")
            prev = event.hash
    return ChainReport(agency_id, count, True)
