"""Signed checkpoints of each agency's chain head, kept in the database and in a log beside it.

A checkpoint says "agency A's chain had hash H at seq N at time T", signed with an Ed25519 key
the database never sees. Removing the last events, or deleting one and re-chaining the rest,
then contradicts a checkpoint. The log file (``AUDIT_CHECKPOINT_LOG``, JSON Lines) is a second
copy outside PostgreSQL, for the case where someone with the owner role also removes
checkpoint rows; in production it belongs on write-once storage or with the oversight body.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction

from audit.chain import checkpoint_message, epoch_microseconds
from audit.keys import checkpoint_signing_key, public_key_id
from audit.models import AuditCheckpoint, AuditEvent
from tenants.context import agency_transaction


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint as the verifier reads it, from either copy."""

    agency_id: str
    seq: int
    hash: str
    signed_at_us: int
    key_id: str
    signature: str

    def valid_under(self, key: Ed25519PublicKey) -> bool:
        message = checkpoint_message(
            agency_id=self.agency_id,
            seq=self.seq,
            head_hash=self.hash,
            signed_at_us=self.signed_at_us,
        )
        try:
            key.verify(bytes.fromhex(self.signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _log_append(head: SignedHead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(head), sort_keys=True) + "\n")
        log.flush()
        os.fsync(log.fileno())


def audit_checkpoint_write(*, agency_id: str, using: str = "default") -> AuditCheckpoint | None:
    """Sign the agency's current chain head; nothing when it is empty or already signed."""
    key = checkpoint_signing_key()
    with agency_transaction(agency_id, using=using):
        head = (
            AuditEvent.objects.using(using)
            .filter(agency_id=agency_id)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        if (
            head is None
            or AuditCheckpoint.objects.using(using)
            .filter(agency_id=agency_id, seq=head[0])
            .exists()
        ):
            return None
        signed_at = datetime.now(tz=UTC)
        signed_at_us = epoch_microseconds(signed_at)
        signature = key.sign(
            checkpoint_message(
                agency_id=agency_id,
                seq=head[0],
                head_hash=head[1],
                signed_at_us=signed_at_us,
            )
        ).hex()
        checkpoint = AuditCheckpoint.objects.using(using).create(
            agency_id=agency_id,
            seq=head[0],
            hash=head[1],
            signed_at=signed_at,
            key_id=public_key_id(key.public_key()),
            signature=signature,
        )
        signed = SignedHead(agency_id, head[0], head[1], signed_at_us, checkpoint.key_id, signature)
        log = Path(settings.AUDIT_CHECKPOINT_LOG)
        transaction.on_commit(lambda: _log_append(signed, log), using=using)
        return checkpoint


def checkpoints_of(*, agency_id: str, using: str = "default") -> list[SignedHead]:
    """Return the agency's checkpoints from the database and the log, once each, by seq."""
    heads: set[SignedHead] = set()
    with agency_transaction(agency_id, using=using):
        for row in AuditCheckpoint.objects.using(using).filter(agency_id=agency_id):
            heads.add(
                SignedHead(
                    row.agency_id,
                    row.seq,
                    row.hash,
                    epoch_microseconds(row.signed_at),
                    row.key_id,
                    row.signature,
                )
            )
    log = Path(settings.AUDIT_CHECKPOINT_LOG)
    if log.exists():
        with log.open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                if entry["agency_id"] == agency_id:
                    heads.add(SignedHead(**entry))
    return sorted(heads, key=lambda h: (h.seq, h.signed_at_us))


def checkpoint_agencies() -> set[str]:
    """Return the agencies named in the checkpoint log (a verifier must not skip them)."""
    log = Path(settings.AUDIT_CHECKPOINT_LOG)
    if not log.exists():
        return set()
    with log.open(encoding="utf-8") as lines:
        return {json.loads(line)["agency_id"] for line in lines if line.strip()}
