"""Recompute an agency's chain, its MACs and its signed checkpoints; report the first break.

``audit_chain_verify`` re-computes the whole chain from its first event (the ``audit_verify``
command); ``audit_segment_verify`` re-computes the stretch covering a period, starting from
the latest signed checkpoint before it (a transparency report).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connections

from audit.chain import GENESIS_HASH, EventContent, epoch_microseconds, event_hash, event_mac
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
FROM audit_auditevent WHERE agency_id = %s AND seq > %s AND seq <= %s ORDER BY seq
"""
_LAST_BEFORE_SQL = "SELECT max(seq) FROM audit_auditevent WHERE agency_id = %s AND occurred_at < %s"
_NO_END = 2**63 - 1


def _rows(agency_id: str, using: str, after: int, through: int) -> Iterator[_Row]:
    with connections[using].cursor() as cursor:
        cursor.execute(_ROWS_SQL, [agency_id, after, through])
        while batch := cursor.fetchmany(2000):
            for seq, prev, digest, mac, *fields in batch:
                yield _Row(seq, prev, digest, mac, EventContent(*fields))


@dataclass(frozen=True)
class _Walk:
    """What walking a stretch of the chain found: events read, and the first break if any."""

    events: int
    first_bad_seq: int | None = None
    problem: str = ""


def _walk(
    agency_id: str, using: str, *, after: int, prev: str, through: int, heads: list[SignedHead]
) -> _Walk:
    """Check the events after ``after`` (whose hash is ``prev``) through ``through``.

    Each event's number, link, hash and MAC, and the chain against the signed ``heads`` in that
    stretch. A re-chained suffix is internally consistent, so where a checkpoint disagrees the
    first untrusted event is the one after the last checkpoint that still matches.
    """
    key = audit_mac_key()
    pending = [h for h in heads if after < h.seq <= through]
    trusted_through = after
    count = 0
    for row in _rows(agency_id, using, after, through):
        count += 1
        if row.seq != after + count:
            return _Walk(count, after + count, SEQUENCE_GAP)
        if row.prev_hash != prev:
            return _Walk(count, row.seq, PREV_HASH_MISMATCH)
        expected = event_hash(prev_hash=prev, seq=row.seq, mac=row.mac, content=row.content)
        if not hmac.compare_digest(expected, row.hash):
            return _Walk(count, row.seq, HASH_MISMATCH)
        if not hmac.compare_digest(event_mac(key, row.content), row.mac):
            return _Walk(count, row.seq, MAC_MISMATCH)
        while pending and pending[0].seq == row.seq:
            if not hmac.compare_digest(pending.pop(0).hash, row.hash):
                return _Walk(count, trusted_through + 1, CHECKPOINT_MISMATCH)
            trusted_through = row.seq
        prev = row.hash
    if pending:
        return _Walk(count, after + count + 1, TRUNCATED)
    return _Walk(count)


def audit_chain_verify(
    *, agency_id: str, using: str = "default", public_key: Ed25519PublicKey | None = None
) -> ChainReport:
    """Check every event from the first one, and the chain against all its checkpoints."""
    verifier = public_key or checkpoint_public_key()
    heads = checkpoints_of(agency_id=agency_id, using=using)
    for head in heads:
        if not head.valid_under(verifier):
            return ChainReport(agency_id, 0, False, head.seq, CHECKPOINT_BAD_SIGNATURE, len(heads))
    with agency_transaction(agency_id, using=using):
        walk = _walk(agency_id, using, after=0, prev=GENESIS_HASH, through=_NO_END, heads=heads)
    return ChainReport(
        agency_id,
        walk.events,
        walk.first_bad_seq is None,
        walk.first_bad_seq,
        walk.problem,
        len(heads),
    )


@dataclass(frozen=True)
class SegmentReport:
    """The outcome of re-computing the stretch of a chain that covers a period.

    ``start`` is the signed checkpoint the stretch starts from (None: the chain's first event);
    ``events`` counts the events read, those after it through ``through_seq``; ``checkpoints``
    counts the signed checkpoints inside the stretch that it was checked against. The events
    up to ``start`` are vouched for by its signature, not re-read: ``audit_chain_verify`` (the
    ``audit_verify`` command) is what re-computes them.
    """

    agency_id: str
    start: SignedHead | None
    through_seq: int
    events: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoints: int = 0

    @property
    def start_seq(self) -> int:
        return self.start.seq if self.start is not None else 0


def audit_segment_verify(
    *,
    agency_id: str,
    since: datetime,
    until: datetime,
    using: str = "default",
    public_key: Ed25519PublicKey | None = None,
) -> SegmentReport:
    """Check the chain from the latest checkpoint signed at or before ``since`` to ``until``.

    The stretch runs from the event after that checkpoint (from the first event when none
    was signed by then) through the last event that occurred before ``until``. The starting
    checkpoint's signature is checked, and so is every checkpoint inside the stretch, which
    the chain must match.
    """
    verifier = public_key or checkpoint_public_key()
    heads = checkpoints_of(agency_id=agency_id, using=using)
    signed_by = epoch_microseconds(since)
    earlier = [h for h in heads if h.signed_at_us <= signed_by]
    start = max(earlier, key=lambda h: (h.seq, h.signed_at_us)) if earlier else None
    with agency_transaction(agency_id, using=using):
        with connections[using].cursor() as cursor:
            cursor.execute(_LAST_BEFORE_SQL, [agency_id, until])
            row = cursor.fetchone()
        through = max(int(row[0]) if row and row[0] is not None else 0, start.seq if start else 0)
        inside = [h for h in heads if (start.seq if start else 0) < h.seq <= through]
        for head in ([start] if start else []) + inside:
            if not head.valid_under(verifier):
                return SegmentReport(
                    agency_id, start, through, 0, False, head.seq, CHECKPOINT_BAD_SIGNATURE
                )
        walk = _walk(
            agency_id,
            using,
            after=start.seq if start else 0,
            prev=start.hash if start else GENESIS_HASH,
            through=through,
            heads=inside,
        )
    return SegmentReport(
        agency_id,
        start,
        through,
        walk.events,
        walk.first_bad_seq is None,
        walk.first_bad_seq,
        walk.problem,
        len(inside),
    )
