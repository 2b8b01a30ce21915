"""Writes of policy revisions: draft, check, submit, four-eyes review, activate, roll back.

Who may do what: the national baseline belongs to the compliance officers of the agencies
named in ``POLICY_NATIONAL_AGENCIES`` (the platform's national compliance office); an agency's
overlay belongs to that agency's compliance officers. Every step is audited in the same
transaction, in the acting officer's agency chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from policy.bundles.bundle import Bundle
from policy.engines.following import policy_generation_bump
from policy.revisions import errors
from policy.revisions.checks import OVERLAY_PREFIX, revision_check
from policy.revisions.errors import RevisionError
from policy.revisions.models import PolicyActivation, PolicyRevision, RevisionScope, RevisionStatus
from policy.revisions.selectors import active_revisions, bundle_compose, revision_active
from tenants.context import agency_transaction
from tenants.models import Agency, Role, User

MODULE_PATH_RE = re.compile(r"^fr/[a-z0-9_]+(/[a-z0-9_]+)*\.rego$")
MAX_MODULES = 200
MAX_MODULE_CHARS = 200_000
MIN_JUSTIFICATION_CHARS = 20
MIN_COMMENT_CHARS = 3

OVERLAY_TEMPLATE = """# Stricter local rules of agency {agency}: each deny adds a reason.
package fr.overlays.{agency}

# METADATA
# title: Example local rule
# custom:
#   code: local_example
#   authority: Agency directive.
deny contains {{
\t"code": "local_example",
\t"message": "Denied by the agency's local rule.",
\t"authority": "Agency directive.",
}} if {{
\tinput.probe.source == "public_web"
}}
"""
OVERLAY_TEST_TEMPLATE = """package fr.overlays.{agency}_test

test_public_web_denied if {{
\tsome r in data.fr.overlays.{agency}.deny with input as {{"probe": {{"source": "public_web"}}}}
\tr.code == "local_example"
}}
"""


def scope_agency_id(*, user: User) -> str:
    """Return the agency whose chain records the officer's authoring steps."""
    if not user.agency_id:
        raise RevisionError(
            errors.REVISION_NOT_PERMITTED, "Only agency staff author policy.", http_status=403
        )
    return str(user.agency_id)


def officer_may_author(*, user: User, scope: str, agency_id: str | None) -> bool:
    """Return whether ``user`` is a compliance officer of the scope's owners."""
    if Role.COMPLIANCE_OFFICER.value not in (user.roles or []) or not user.is_active:
        return False
    if scope == RevisionScope.BASELINE:
        return bool(user.agency_id) and user.agency_id in settings.POLICY_NATIONAL_AGENCIES
    return bool(agency_id) and user.agency_id == agency_id


def _require_officer(user: User, scope: str, agency_id: str | None) -> None:
    if not officer_may_author(user=user, scope=scope, agency_id=agency_id):
        who = (
            "national compliance officers"
            if scope == RevisionScope.BASELINE
            else "the agency's compliance officers"
        )
        raise RevisionError(
            errors.REVISION_NOT_PERMITTED,
            f"Only {who} may author or review this policy.",
            http_status=403,
        )


@contextmanager
def _scope_transaction(user: User, revision_agency_id: str | None) -> Iterator[str]:
    agency_id = revision_agency_id or scope_agency_id(user=user)
    with agency_transaction(agency_id):
        yield agency_id


def _lock_scope(scope: str, agency_id: str | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"policy_revision:{scope}:{agency_id or ''}"],
        )


def _digest(modules: dict[str, str], data: dict[str, Any]) -> str:
    return Bundle(modules=modules, data=data).revision


def _validate_content(scope: str, modules: Any, data: Any) -> tuple[dict[str, str], dict[str, Any]]:
    if not isinstance(modules, dict) or not modules:
        raise RevisionError(errors.REVISION_INVALID, "modules must be an object {path: text}.")
    if len(modules) > MAX_MODULES:
        raise RevisionError(errors.REVISION_INVALID, f"At most {MAX_MODULES} modules.")
    for path, text in modules.items():
        if not isinstance(path, str) or not MODULE_PATH_RE.match(path):
            raise RevisionError(
                errors.REVISION_INVALID,
                f"Module path {path!r} must look like fr/<package>/<name>.rego.",
            )
        if not isinstance(text, str) or len(text) > MAX_MODULE_CHARS:
            raise RevisionError(
                errors.REVISION_INVALID,
                f"Module {path} must be text of at most {MAX_MODULE_CHARS} chars.",
            )
    if not isinstance(data, dict):
        raise RevisionError(errors.REVISION_INVALID, "data must be a JSON object.")
    if scope == RevisionScope.OVERLAY and data:
        raise RevisionError(
            errors.REVISION_INVALID, "An overlay has no data document; the baseline's applies."
        )
    return dict(sorted(modules.items())), data


def revision_checks_run(*, revision: PolicyRevision) -> dict[str, Any]:
    """Run every check on the revision's text (against the active baseline for an overlay)."""
    baseline = None
    if revision.scope == RevisionScope.OVERLAY:
        baseline = revision_active(scope=RevisionScope.BASELINE, agency_id=None)
        if baseline is None:
            raise RevisionError(
                errors.REVISION_STATE_CONFLICT, "No baseline is in force.", http_status=409
            )
    report = revision_check(
        modules=revision.modules,
        data=revision.data,
        overlay_agency_id=revision.agency_id if revision.scope == RevisionScope.OVERLAY else None,
        baseline_modules=baseline.modules if baseline else None,
        baseline_data=baseline.data if baseline else None,
    )
    return report.as_json()


def revision_draft_create(
    *, user: User, scope: str, agency: Agency | None = None, change_note: str = ""
) -> PolicyRevision:
    """Start a draft from the revision in force for the scope (or a template overlay)."""
    agency_id = agency.id if scope == RevisionScope.OVERLAY and agency else None
    if scope not in RevisionScope.values or (scope == RevisionScope.OVERLAY and not agency_id):
        raise RevisionError(errors.REVISION_INVALID, "scope is baseline, or overlay with agency.")
    _require_officer(user, scope, agency_id)
    with _scope_transaction(user, agency_id) as chain:
        _lock_scope(scope, agency_id)
        current = revision_active(scope=scope, agency_id=agency_id)
        if current is not None:
            modules, data = dict(current.modules), dict(current.data)
        else:
            modules = {
                f"{OVERLAY_PREFIX}{agency_id}/overlay.rego": OVERLAY_TEMPLATE.format(
                    agency=agency_id
                ),
                f"{OVERLAY_PREFIX}{agency_id}/overlay_test.rego": OVERLAY_TEST_TEMPLATE.format(
                    agency=agency_id
                ),
            }
            data = {}
        revision = _revision_new(
            user=user,
            scope=scope,
            agency_id=agency_id,
            modules=modules,
            data=data,
            parent=current,
            change_note=change_note,
        )
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_drafted",
            object_type="policy_revision",
            object_id=str(revision.id),
            data={
                "scope": scope,
                "overlay_agency_id": agency_id,
                "number": revision.number,
                "digest": revision.digest,
                "parent_id": str(current.id) if current else None,
            },
        )
    return revision


def _revision_new(
    *,
    user: User,
    scope: str,
    agency_id: str | None,
    modules: dict[str, str],
    data: dict[str, Any],
    parent: PolicyRevision | None,
    change_note: str,
    rollback_of: PolicyRevision | None = None,
) -> PolicyRevision:
    last = PolicyRevision.objects.filter(scope=scope, agency_id=agency_id).aggregate(
        n=Max("number")
    )["n"]
    return PolicyRevision.objects.create(
        scope=scope,
        agency_id=agency_id,
        number=(last or 0) + 1,
        modules=modules,
        data=data,
        digest=_digest(modules, data),
        parent=parent,
        rollback_of=rollback_of,
        change_note=change_note,
        author=user,
    )


def _locked(revision: PolicyRevision) -> PolicyRevision:
    return PolicyRevision.objects.select_for_update().get(pk=revision.pk)


def revision_draft_update(
    *, user: User, revision: PolicyRevision, modules: Any, data: Any, change_note: str
) -> PolicyRevision:
    """Replace a draft's text and run the checks on it; only its author edits a draft."""
    _require_officer(user, revision.scope, revision.agency_id)
    clean_modules, clean_data = _validate_content(revision.scope, modules, data)
    with _scope_transaction(user, revision.agency_id) as chain:
        fresh = _locked(revision)
        if fresh.status != RevisionStatus.DRAFT or fresh.author_id != user.pk:
            raise RevisionError(
                errors.REVISION_NOT_EDITABLE,
                "Only its author may change a revision, and only as a draft.",
                http_status=409,
            )
        fresh.modules, fresh.data = clean_modules, clean_data
        fresh.change_note = change_note[:5000]
        fresh.digest = _digest(clean_modules, clean_data)
        fresh.checks = revision_checks_run(revision=fresh)
        fresh.checks_digest = fresh.digest
        fresh.save()
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_saved",
            object_type="policy_revision",
            object_id=str(fresh.id),
            data={
                "digest": fresh.digest,
                "checks_passed": fresh.checks["passed"],
                "findings": len(fresh.checks["findings"]),
            },
        )
    return fresh


def revision_submit(
    *, user: User, revision: PolicyRevision, justification: str = ""
) -> PolicyRevision:
    """Submit a draft whose current text passed every check; it is immutable from now on."""
    _require_officer(user, revision.scope, revision.agency_id)
    with _scope_transaction(user, revision.agency_id) as chain:
        fresh = _locked(revision)
        if fresh.status != RevisionStatus.DRAFT or fresh.author_id != user.pk:
            raise RevisionError(
                errors.REVISION_STATE_CONFLICT,
                "Only its author submits a revision, once, from draft.",
                http_status=409,
            )
        if fresh.checks_digest != fresh.digest:
            fresh.checks = revision_checks_run(revision=fresh)
            fresh.checks_digest = fresh.digest
        if not fresh.checks.get("passed"):
            fresh.save()
            raise RevisionError(
                errors.REVISION_CHECKS_FAILED,
                "The revision fails its checks; fix them before submitting.",
                http_status=409,
            )
        flips = _deny_to_allow_flips(fresh)
        if flips and len(justification.strip()) < MIN_JUSTIFICATION_CHARS:
            raise RevisionError(
                errors.REVISION_JUSTIFICATION_REQUIRED,
                f"Replay shows {flips} decisions that were denied would be allowed: explain why "
                f"in at least {MIN_JUSTIFICATION_CHARS} characters.",
            )
        fresh.justification = justification.strip()[:5000]
        fresh.status = RevisionStatus.SUBMITTED
        fresh.submitted_at = timezone.now()
        fresh.save()
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_submitted",
            object_type="policy_revision",
            object_id=str(fresh.id),
            data={"digest": fresh.digest, "deny_to_allow": flips},
        )
    return fresh


def _deny_to_allow_flips(revision: PolicyRevision) -> int:
    from policy.revisions.replay import replay_latest

    replay = replay_latest(revision=revision)
    return int(replay.totals.get("deny_to_allow", 0)) if replay else 0


def revision_review(
    *, user: User, revision: PolicyRevision, approve: bool, comment: str
) -> PolicyRevision:
    """Approve or reject a submitted revision: another officer of its scope, never its author."""
    _require_officer(user, revision.scope, revision.agency_id)
    if len(comment.strip()) < MIN_COMMENT_CHARS:
        raise RevisionError(errors.REVISION_COMMENT_REQUIRED, "Say why, in a comment.")
    with _scope_transaction(user, revision.agency_id) as chain:
        fresh = _locked(revision)
        if fresh.author_id == user.pk:
            raise RevisionError(
                errors.REVISION_SELF_APPROVAL,
                "A revision is reviewed by an officer other than its author.",
                http_status=403,
            )
        if fresh.status != RevisionStatus.SUBMITTED:
            raise RevisionError(
                errors.REVISION_STATE_CONFLICT,
                "Only a submitted revision can be reviewed.",
                http_status=409,
            )
        fresh.status = RevisionStatus.APPROVED if approve else RevisionStatus.REJECTED
        fresh.reviewer = user
        fresh.reviewed_at = timezone.now()
        fresh.review_comment = comment.strip()[:5000]
        fresh.save()
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_approved" if approve else "policy.revision_rejected",
            object_type="policy_revision",
            object_id=str(fresh.id),
            data={"digest": fresh.digest, "author_id": fresh.author_id},
        )
    return fresh


def revision_activate(*, user: User, revision: PolicyRevision) -> PolicyRevision:
    """Put an approved revision in force, superseding its scope's current one, atomically."""
    _require_officer(user, revision.scope, revision.agency_id)
    with _scope_transaction(user, revision.agency_id) as chain:
        _lock_scope("activation", None)
        fresh = _locked(revision)
        if fresh.status != RevisionStatus.APPROVED:
            raise RevisionError(
                errors.REVISION_STATE_CONFLICT,
                "Only an approved revision can be activated.",
                http_status=409,
            )
        now = timezone.now()
        current = revision_active(scope=fresh.scope, agency_id=fresh.agency_id)
        if current is not None:
            current = _locked(current)
            current.status = RevisionStatus.SUPERSEDED
            current.superseded_at = now
            current.save()
        fresh.status = RevisionStatus.ACTIVE
        fresh.activated_by = user
        fresh.activated_at = now
        fresh.save()
        in_force = active_revisions()
        bundle = bundle_compose(in_force)
        PolicyActivation.objects.create(
            revision=fresh,
            bundle_revision=bundle.revision,
            activated_by=user,
            revision_ids=sorted(str(r.id) for r in in_force),
        )
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_activated",
            object_type="policy_revision",
            object_id=str(fresh.id),
            data={
                "digest": fresh.digest,
                "bundle_revision": bundle.revision,
                "superseded_id": str(current.id) if current else None,
            },
        )
        transaction.on_commit(policy_generation_bump)
    return fresh


def revision_rollback(
    *, user: User, target: PolicyRevision, change_note: str = ""
) -> PolicyRevision:
    """Start a draft restoring an earlier approved revision; it takes the four-eyes path too."""
    _require_officer(user, target.scope, target.agency_id)
    with _scope_transaction(user, target.agency_id):
        target = PolicyRevision.objects.get(pk=target.pk)
    if target.status not in (RevisionStatus.SUPERSEDED, RevisionStatus.APPROVED) or (
        target.reviewer_id is None and target.number != 1
    ):
        raise RevisionError(
            errors.REVISION_ROLLBACK_TARGET,
            "Roll back only to an earlier approved revision.",
            http_status=409,
        )
    with _scope_transaction(user, target.agency_id) as chain:
        _lock_scope(target.scope, target.agency_id)
        current = revision_active(scope=target.scope, agency_id=target.agency_id)
        revision = _revision_new(
            user=user,
            scope=target.scope,
            agency_id=target.agency_id,
            modules=dict(target.modules),
            data=dict(target.data),
            parent=current,
            change_note=change_note or f"Roll back to revision {target.number}.",
            rollback_of=target,
        )
        revision.checks = revision_checks_run(revision=revision)
        revision.checks_digest = revision.digest
        revision.save()
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.revision_rollback_drafted",
            object_type="policy_revision",
            object_id=str(revision.id),
            data={"rollback_of": str(target.id), "digest": revision.digest},
        )
    return revision
