"""Reads of policy revisions: the revisions in force, one scope's history, a decision's text."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from policy.bundles.bundle import TEST_SUFFIX, Bundle
from policy.revisions.models import (
    PolicyActivation,
    PolicyRevision,
    RevisionScope,
    RevisionStatus,
)


def active_revision_key() -> tuple[str, ...]:
    """Return the ids of the revisions in force, in order: one indexed query, no text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text FROM policy_policyrevision WHERE status = 'active' ORDER BY id"
        )
        return tuple(row[0] for row in cursor.fetchall())


def active_revisions() -> list[PolicyRevision]:
    """Return the revisions in force: the baseline first, then the overlays by agency."""
    return list(
        PolicyRevision.objects.filter(status=RevisionStatus.ACTIVE).order_by("scope", "agency_id")
    )


def bundle_compose(revisions: list[PolicyRevision]) -> Bundle:
    """Return the bundle the engines serve: the baseline's modules and data plus every overlay."""
    baseline = [r for r in revisions if r.scope == RevisionScope.BASELINE]
    if len(baseline) != 1:
        raise LookupError(f"expected one active baseline revision, found {len(baseline)}")
    modules: dict[str, str] = {}
    for revision in sorted(revisions, key=lambda r: (r.scope, r.agency_id or "")):
        modules.update({p: t for p, t in revision.modules.items() if not p.endswith(TEST_SUFFIX)})
    return Bundle(modules=modules, data=baseline[0].data)


def active_bundle_revisions() -> tuple[tuple[str, ...], Bundle]:
    """Return the ids of the revisions in force and the bundle they compose."""
    revisions = active_revisions()
    return tuple(sorted(str(r.id) for r in revisions)), bundle_compose(revisions)


def revisions_for(*, scope: str, agency_id: str | None) -> QuerySet[PolicyRevision]:
    """Return one scope's revisions, newest first (the caller's agency context applies)."""
    return PolicyRevision.objects.filter(scope=scope, agency_id=agency_id).order_by("-number")


def revision_active(*, scope: str, agency_id: str | None) -> PolicyRevision | None:
    """Return the revision in force for a scope, if any."""
    return (
        revisions_for(scope=scope, agency_id=agency_id).filter(status=RevisionStatus.ACTIVE).first()
    )


def decision_revisions(*, bundle_revision: str, agency_id: str) -> list[PolicyRevision]:
    """Return the revisions a decision was made under: the baseline and its agency's overlay."""
    activation = (
        PolicyActivation.objects.filter(bundle_revision=bundle_revision).order_by("-id").first()
    )
    if activation is None:
        return []
    found = PolicyRevision.objects.filter(id__in=activation.revision_ids)
    return [r for r in found if r.agency_id in (None, agency_id)]


def revision_as_json(revision: PolicyRevision, *, with_text: bool = False) -> dict[str, Any]:
    """Return a revision as the API and the portal show it."""
    shown: dict[str, Any] = {
        "id": str(revision.id),
        "scope": revision.scope,
        "agency_id": revision.agency_id,
        "number": revision.number,
        "status": revision.status,
        "digest": revision.digest,
        "parent_id": str(revision.parent_id) if revision.parent_id else None,
        "rollback_of_id": str(revision.rollback_of_id) if revision.rollback_of_id else None,
        "change_note": revision.change_note,
        "justification": revision.justification,
        "author": revision.author.username if revision.author else None,
        "created_at": revision.created_at.isoformat(),
        "submitted_at": revision.submitted_at.isoformat() if revision.submitted_at else None,
        "reviewer": revision.reviewer.username if revision.reviewer else None,
        "reviewed_at": revision.reviewed_at.isoformat() if revision.reviewed_at else None,
        "review_comment": revision.review_comment,
        "activated_by": revision.activated_by.username if revision.activated_by else None,
        "activated_at": revision.activated_at.isoformat() if revision.activated_at else None,
        "superseded_at": revision.superseded_at.isoformat() if revision.superseded_at else None,
        "checks": revision.checks,
        "checks_current": revision.checks_digest == revision.digest,
    }
    if with_text:
        shown["modules"] = revision.modules
        shown["data"] = revision.data
    return shown
