"""The hash that links each audit event to the one before it."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.models import AuditEvent

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Serialize ``value`` deterministically (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent) -> str:
    """Return the SHA-256 of an event's content chained to its ``prev_hash``."""
    body = canonical_json(
        {
            "agency_id": event.agency_id,
            "seq": event.seq,
            "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": event.actor_id,
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "data": event.data,
        }
    )
    return hashlib.sha256((event.prev_hash + body).encode()).hexdigest()
