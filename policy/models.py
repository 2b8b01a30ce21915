"""Recorded policy decisions: what was asked, under which bundle revision, and the answer."""

from __future__ import annotations

import uuid

from django.db import models

from tenants.models import Agency


class PolicyDecision(models.Model):
    """One decision of the policy engine, allow or deny, kept for audit and replay."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    search_id = models.UUIDField(null=True, blank=True, db_index=True)
    engine = models.CharField(max_length=40)
    engine_decision_id = models.TextField(blank=True)
    bundle_revision = models.CharField(max_length=80)
    input = models.JSONField()
    input_digest = models.CharField(max_length=64)
    allow = models.BooleanField()
    reasons = models.JSONField(default=list)
    obligations = models.JSONField(default=dict)
    latency_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)


from policy.revisions.models import (  # noqa: E402  (the app loads its models from here)
    PolicyActivation,
    PolicyReplay,
    PolicyRevision,
    ReplayStatus,
    RevisionScope,
    RevisionStatus,
)

__all__ = [
    "PolicyActivation",
    "PolicyDecision",
    "PolicyReplay",
    "PolicyRevision",
    "ReplayStatus",
    "RevisionScope",
    "RevisionStatus",
]
