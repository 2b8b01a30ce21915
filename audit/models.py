"""The append-only audit trail, chained by PostgreSQL, and signed checkpoints of its heads.

The service supplies an event's content and a MAC over it; a BEFORE INSERT trigger numbers the
event within its agency and computes ``prev_hash`` and ``hash`` (see the migration and
``audit.chain``), overwriting whatever an INSERT supplied. PostgreSQL refuses UPDATE, DELETE
and TRUNCATE on both tables.
"""

from __future__ import annotations

import uuid

from django.db import models


class AuditEvent(models.Model):
    """One security-relevant event of one agency."""

    agency_id = models.CharField(max_length=40, db_index=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    seq = models.BigIntegerField(db_default=0, help_text="Set by the database.")
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Username or system component.")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict)
    mac = models.CharField(max_length=64, blank=True, help_text="HMAC-SHA256 of the content.")
    prev_hash = models.CharField(max_length=64, db_default="", help_text="Set by the database.")
    hash = models.CharField(
        max_length=64, unique=True, db_default="", help_text="Set by the database."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_id", "seq"], name="audit_event_agency_seq"),
        ]
        ordering = ["agency_id", "seq"]


class AuditCheckpoint(models.Model):
    """An Ed25519-signed statement that an agency's chain had ``hash`` at ``seq``."""

    agency_id = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16, help_text="First 16 hex of SHA-256(public key).")
    signature = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_id", "seq"], name="audit_checkpoint_agency_seq"
            ),
        ]
        ordering = ["agency_id", "seq"]
