"""Policy revisions: the national baseline and agencies' overlays as data, with their history.

A revision is editable only as a draft; from submission on, its text, author and checks are
fixed (a database trigger refuses any change but the next status), so a decision's revision
always names the exact text it was made under.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tenants.models import Agency


class RevisionScope(models.TextChoices):
    BASELINE = "baseline"
    OVERLAY = "overlay"


class RevisionStatus(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class PolicyRevision(models.Model):
    """One version of the baseline or of one agency's overlay: modules, data and tests."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=10, choices=RevisionScope.choices)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="The overlay's agency; empty for the national baseline.",
    )
    number = models.PositiveIntegerField(help_text="Sequence within its scope, from 1.")
    status = models.CharField(
        max_length=12, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    modules = models.JSONField(help_text="Rego modules and their tests: {path: text}.")
    data = models.JSONField(default=dict, help_text="The data document (baseline only).")
    digest = models.CharField(max_length=80)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    rollback_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rollbacks"
    )
    change_note = models.TextField(blank=True)
    justification = models.TextField(
        blank=True, help_text="Why decisions that were denied would now be allowed."
    )
    checks = models.JSONField(default=dict)
    checks_digest = models.CharField(max_length=80, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scope", "agency_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "agency", "number"],
                name="policy_revision_number",
                nulls_distinct=False,
            ),
            models.UniqueConstraint(
                fields=["scope", "agency"],
                condition=models.Q(status="active"),
                name="policy_revision_one_active",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="baseline", agency__isnull=True)
                    | models.Q(scope="overlay", agency__isnull=False)
                ),
                name="policy_revision_scope_agency",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="policy_revision_status")]

    def __str__(self) -> str:
        where = self.agency_id or "national"
        return f"{self.scope} {where} #{self.number} ({self.status})"


class PolicyActivation(models.Model):
    """One activation: which revisions were in force from then on, under which bundle revision.

    A decision records the bundle revision; this table turns it back into the revisions (and
    so the exact text) it was made under.
    """

    id = models.BigAutoField(primary_key=True)
    revision = models.ForeignKey(PolicyRevision, on_delete=models.PROTECT, related_name="+")
    bundle_revision = models.CharField(max_length=80, db_index=True)
    revision_ids = models.JSONField(help_text="Every revision in force after this activation.")
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    activated_at = models.DateTimeField(auto_now_add=True)


class ReplayStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PolicyReplay(models.Model):
    """A revision run against the policy inputs recorded in the last days, and what changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, help_text="The requesting officer's agency."
    )
    revision = models.ForeignKey(PolicyRevision, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    days = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ReplayStatus.choices, default=ReplayStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict)
    by_reason = models.JSONField(default=dict)
    changes = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
