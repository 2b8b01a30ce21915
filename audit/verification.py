"""Recompute an agency's chain, its MACs and its signed checkpoints; report the first break."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connections

from audit.chain import GENESIS_HASH, EventContent, event_hash, event_mac
from audit.checkpoints import SignedHead, checkpoints_of
from audit.keys import audit_mac_key, checkpoint_public_key
from tenants.context import agency_transaction

SEQUENCE_GAP = "sequence gap"
PREV_HASH_MISMATCH = "previous hash mismatch"
HASH_MISMATCH = "content hash mismatch"
MAC_MISMATCH = "MAC mismatch: not written by the service"
CHECKPOINT_BAD_SIGNATURE = "checkpoint signature invalid"
CHECKPOINT_MISMATCH = "chain differs from a signed checkpoint"
TRUNCATED = "chain ends before a signed checkpoint"


@dataclass(frozen=True)
class ChainReport:
    """The outcome of re-computing an agency's chain."""

    agency_id: str
    events: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoints: int = 0


@dataclass(frozen=True)
class _Row:
    seq: int
    prev_hash: str
    hash: str
    mac: str
    content: EventContent


_ROWS_SQL = """
SELECT seq, prev_hash, hash, mac, agency_id, uid::text,
       (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_id, actor, action,
       object_type, object_id, data::text
FROM audit_auditevent WHERE agency_id = %s ORDER BY seq
"""


def _rows(agency_id: str, using: str) -> Iterator[_Row]:
    with connections[using].cursor() as cursor:
        cursor.execute(_ROWS_SQL, [agency_id])
        while batch := cursor.fetchmany(2000):
            for seq, prev, digest, mac, *fields in batch:
                yield _Row(seq, prev, digest, mac, EventContent(*fields))


def audit_chain_verify(
    *, agency_id: str, using: str = "default", public_key: Ed25519PublicKey | None = None
) -> ChainReport:
    """Check every event's number, link, hash and MAC, and the chain against its checkpoints.

    A re-chained suffix is internally consistent, so where a checkpoint disagrees the first
    untrusted event is the one after the last checkpoint that still matches.
    """
    key = audit_mac_key()
    verifier = public_key or checkpoint_public_key()
    heads = checkpoints_of(agency_id=agency_id, using=using)
    for head in heads:
        if not head.valid_under(verifier):
            return ChainReport(agency_id, 0, False, head.seq, CHECKPOINT_BAD_SIGNATURE, len(heads))
    pending: list[SignedHead] = list(heads)
    trusted_through = 0
    prev = GENESIS_HASH
    count = 0

    def bad(seq: int, problem: str) -> ChainReport:
        return ChainReport(agency_id, count, False, seq, problem, len(heads))

    with agency_transaction(agency_id, using=using):
        for row in _rows(agency_id, using):
            count += 1
            if row.seq != count:
                return bad(count, SEQUENCE_GAP)
            if row.prev_hash != prev:
                return bad(row.seq, PREV_HASH_MISMATCH)
            expected = event_hash(prev_hash=prev, seq=row.seq, mac=row.mac, content=row.content)
            if not hmac.compare_digest(expected, row.hash):
                return bad(row.seq, HASH_MISMATCH)
            if not hmac.compare_digest(event_mac(key, row.content), row.mac):
                return bad(row.seq, MAC_MISMATCH)
            while pending and pending[0].seq == row.seq:
                if not hmac.compare_digest(pending.pop(0).hash, row.hash):
                    return bad(trusted_through + 1, CHECKPOINT_MISMATCH)
                trusted_through = row.seq
            prev = row.hash
    if pending:
        return bad(count + 1, TRUNCATED)
    return ChainReport(agency_id, count, True, checkpoints=len(heads))
