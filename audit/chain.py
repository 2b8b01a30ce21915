"""The exact bytes an audit event's MAC and hash cover, so any verifier can recompute them.

Every field is encoded as a netstring: the decimal length in bytes of its UTF-8 text, ``:``,
the text, ``,``. A message is the concatenation of the netstrings of its fields in a fixed
order, starting with a version label, so no field can bleed into the next. PostgreSQL computes
the same bytes in the trigger that chains events (``audit_netstring`` in the migration); this
module is the reference a verifier outside the database follows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

GENESIS_HASH = "0" * 64
MAC_LABEL = "probity-audit-mac-v1"
HASH_LABEL = "probity-audit-v1"
CHECKPOINT_LABEL = "probity-audit-checkpoint-v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EventContent:
    """What the service states about an event; the database adds its place in the chain.

    ``data_text`` is the event's ``data`` as PostgreSQL prints the jsonb value (``data::text``):
    that text, not a re-serialization, is what the MAC and the hash cover.
    """

    agency_id: str
    uid: str
    occurred_at_us: int
    actor_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: str
    data_text: str

    def fields(self) -> list[str]:
        return [
            self.agency_id,
            self.uid,
            str(self.occurred_at_us),
            "" if self.actor_id is None else str(self.actor_id),
            self.actor,
            self.action,
            self.object_type,
            self.object_id,
            self.data_text,
        ]


def canonical_json(value: Any) -> str:
    """Serialize ``value`` deterministically (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def netstrings(fields: list[str]) -> bytes:
    """Encode ``fields`` as concatenated netstrings of their UTF-8 text."""
    out = bytearray()
    for value in fields:
        raw = value.encode()
        out += f"{len(raw)}:".encode() + raw + b","
    return bytes(out)


def epoch_microseconds(moment: datetime) -> int:
    """Return an aware datetime as whole microseconds since 1970-01-01T00:00:00Z."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def event_mac(key: bytes, content: EventContent) -> str:
    """Return the hex HMAC-SHA256 with which the service vouches for an event's content."""
    message = netstrings([MAC_LABEL, *content.fields()])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def event_hash(*, prev_hash: str, seq: int, mac: str, content: EventContent) -> str:
    """Return the hex SHA-256 linking an event to its predecessor (as the trigger computes it)."""
    message = netstrings([HASH_LABEL, prev_hash, str(seq), mac, *content.fields()])
    return hashlib.sha256(message).hexdigest()


def checkpoint_message(*, agency_id: str, seq: int, head_hash: str, signed_at_us: int) -> bytes:
    """Return the bytes an Ed25519 checkpoint signature covers."""
    return netstrings([CHECKPOINT_LABEL, agency_id, str(seq), head_hash, str(signed_at_us)])
