"""The append-only, hash-chained audit trail.

PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the table (triggers, see the migration), and
each event stores the SHA-256 of the previous event of the same agency, so removing or editing a
row anywhere breaks every later hash.
"""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One security-relevant event of one agency."""

    agency_id = models.CharField(max_length=40, db_index=True)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Username or system component.")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_id", "seq"], name="audit_event_agency_seq"),
        ]
        ordering = ["agency_id", "seq"]
