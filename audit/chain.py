"""The hash that links each audit event to the one before it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Serialize ``value`` deterministically (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(
    *,
    prev_hash: str,
    agency_id: str,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> str:
    """Return the SHA-256 of an event's content chained to ``prev_hash``."""
    body = canonical_json(
        {
            "agency_id": agency_id,
            "seq": seq,
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "data": data,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()
