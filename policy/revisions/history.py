"""What was decided under a revision, and how often a reason code was given.

A decision records the bundle revision it was made under; the activations say which revisions
were in force from when, so a revision's decisions are those of each activation that had it in
force, between that activation and the next. The callers pass the decisions the reader may list
(need-to-know), and run these in the agency's transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from policy.models import PolicyDecision
from policy.revisions.models import PolicyActivation, PolicyRevision


def revision_decisions(
    decisions: QuerySet[PolicyDecision], revision: PolicyRevision
) -> QuerySet[PolicyDecision]:
    """Return those of ``decisions`` made while ``revision`` was in force, newest first."""
    activations = list(PolicyActivation.objects.order_by("activated_at", "id"))
    windows = Q(pk__in=[])
    wanted = str(revision.id)
    for index, activation in enumerate(activations):
        if wanted not in (activation.revision_ids or []):
            continue
        window = Q(
            bundle_revision=activation.bundle_revision, created_at__gte=activation.activated_at
        )
        if index + 1 < len(activations):
            window &= Q(created_at__lt=activations[index + 1].activated_at)
        windows |= window
    return decisions.filter(windows).order_by("-created_at", "-id")


def reason_decision_count(
    decisions: QuerySet[PolicyDecision], *, code: str, since: datetime
) -> int:
    """Return how many of ``decisions`` since ``since`` gave the reason ``code``."""
    return decisions.filter(created_at__gte=since, reasons__contains=[{"code": code}]).count()
