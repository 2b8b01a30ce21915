"""Write audit events; callers pass the same transaction as the change they record."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connections

from audit.chain import EventContent, epoch_microseconds, event_mac
from audit.keys import audit_mac_key
from audit.models import AuditEvent
from audit.verification import ChainReport, audit_chain_verify
from tenants.context import agency_transaction
from tenants.request_context import request_id_current

# Verification lives in audit.verification; these names stay importable from here.
__all__ = ["ChainReport", "audit_chain_verify", "audit_record"]


def _event_data(data: dict[str, Any] | None) -> dict[str, Any]:
    """Return the JSON document an event stores: the one place its content is assembled."""
    result: dict[str, Any] = json.loads(json.dumps(data or {}, default=str))
    if request_id := request_id_current():
        result.setdefault("request_id", request_id)
    return result


def _jsonb_text(document: str, *, using: str) -> str:
    """Return ``document`` as PostgreSQL prints it once stored as jsonb (what the MAC covers)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [document])
        (text,) = cursor.fetchone() or ("",)
    return str(text)


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

    The service states the content and vouches for it with a MAC; PostgreSQL's trigger
    serializes the agency's writers, numbers the event and chains it (``audit.chain``). The
    transaction's deferred foreign-key checks run first: the key-share locks they need are
    taken before the chain's lock, never waited for while holding it (which deadlocked with a
    concurrent row lock).
    """
    payload = _event_data(data)
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
    occurred_at = datetime.now(tz=UTC)
    uid = uuid.uuid4()
    with agency_transaction(agency_id, using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        content = EventContent(
            agency_id=agency_id,
            uid=str(uid),
            occurred_at_us=epoch_microseconds(occurred_at),
            actor_id=actor_id,
            actor=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data_text=_jsonb_text(json.dumps(payload), using=using),
        )
        event = AuditEvent(
            agency_id=agency_id,
            uid=uid,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor=actor_label,
            action=action,
            object_type=object_type,
            object_id=content.object_id,
            data=payload,
            mac=event_mac(audit_mac_key(), content),
        )
        event.save(using=using, force_insert=True)
        return event
