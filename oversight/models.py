"""Read scopes that a national administrator grants an oversight body's auditors.

A grant names one auditor, one overseen agency and a period. PostgreSQL admits the overseen
agency's audit trail, searches and decisions to a transaction acting for that auditor only
while the grant is in force (``oversight.rls``). The table is part of the directory: it is not
row-level secured itself, because the predicate that secures the other tables reads it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tenants.models import Agency


class OversightGrant(models.Model):
    """``auditor`` may read ``agency``'s records from ``starts_at`` until ``ends_at``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    body = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="oversight_grants")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oversight_grants"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="overseen_grants")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    # Usernames as they were when the grant was made and revoked: the users belong to other
    # agencies than most readers of the grant, and the directory hides them from those readers.
    auditor_username = models.CharField(max_length=150)
    granted_by_username = models.CharField(max_length=150)
    revoked_by_username = models.CharField(max_length=150, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="oversight_grant_period_positive",
            ),
        ]


class ExportStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AuditExport(models.Model):
    """A signed export of audit events for a scope (agencies, period, event types).

    Owned by the requesting agency (an oversight body, or an agency exporting its own trail)
    and row-level secured by it. ``previous`` is the last completed export of the same scope,
    which this one must extend.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.JSONField(help_text="agencies, since, until, event_types")
    scope_key = models.CharField(max_length=64, help_text="SHA-256 of the canonical scope.")
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withhold_names = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    events_total = models.BigIntegerField(default=0)
    events_written = models.BigIntegerField(default=0)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
