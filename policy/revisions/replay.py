"""Replay: a revision against the policy inputs recorded in the last days, and what changes.

The inputs are the ones the service stored with each decision, so a replay answers "what would
these very requests get under this text?" without touching any probe. For the baseline the
national office replays every agency's recorded decisions (reading each in its own agency's
context); for an overlay, only its agency's.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from policy.bundles.bundle import TEST_SUFFIX, Bundle
from policy.engines.embedded import EmbeddedRegoEngine
from policy.models import PolicyDecision
from policy.revisions import errors
from policy.revisions.errors import RevisionError
from policy.revisions.models import (
    PolicyReplay,
    PolicyRevision,
    ReplayStatus,
    RevisionScope,
)
from policy.revisions.selectors import active_revisions
from tenants.context import agency_transaction
from tenants.models import Agency, User

MAX_DAYS = 366
MAX_CHANGES_KEPT = 500
PROGRESS_EVERY = 500
BATCH = 1000


def replay_bundle(revision: PolicyRevision) -> Bundle:
    """Return the bundle in force with ``revision`` in place of its scope's current text."""
    modules: dict[str, str] = {}
    data: dict[str, Any] = {}
    for current in active_revisions():
        same_scope = current.scope == revision.scope and current.agency_id == revision.agency_id
        if same_scope:
            continue
        modules.update({p: t for p, t in current.modules.items() if not p.endswith(TEST_SUFFIX)})
        if current.scope == RevisionScope.BASELINE:
            data = current.data
    modules.update({p: t for p, t in revision.modules.items() if not p.endswith(TEST_SUFFIX)})
    if revision.scope == RevisionScope.BASELINE:
        data = revision.data
    return Bundle(modules=modules, data=data)


def replay_request(
    *, user: User, revision: PolicyRevision, days: int, enqueue: bool = True
) -> PolicyReplay:
    """Record a replay request and queue it (the caller has already seen the revision)."""
    from policy.revisions.services import officer_may_author, scope_agency_id

    if not officer_may_author(user=user, scope=revision.scope, agency_id=revision.agency_id):
        raise RevisionError(
            errors.REVISION_NOT_PERMITTED,
            "Only the scope's compliance officers replay its revisions.",
            http_status=403,
        )
    if not 1 <= days <= MAX_DAYS:
        raise RevisionError(errors.REVISION_INVALID, f"days is between 1 and {MAX_DAYS}.")
    chain = scope_agency_id(user=user)
    with agency_transaction(chain):
        replay = PolicyReplay.objects.create(
            agency_id=chain, revision=revision, requested_by=user, days=days
        )
        audit_record(
            agency_id=chain,
            actor=user,
            action="policy.replay_requested",
            object_type="policy_replay",
            object_id=str(replay.id),
            data={"revision_id": str(revision.id), "days": days},
        )
        if enqueue:
            from policy.tasks import policy_replay_run

            replay_id = str(replay.id)
            transaction.on_commit(lambda: policy_replay_run.delay(replay_id, chain))
    return replay


def _deny_codes(reasons: Any) -> list[str]:
    return sorted(
        str(r.get("code")) for r in reasons or [] if isinstance(r, dict) and r.get("kind") == "deny"
    )


def replay_execute(*, agency_id: str, replay_id: uuid.UUID) -> PolicyReplay:
    """Evaluate every recorded input of the window under the revision; count what changes."""
    with agency_transaction(agency_id):
        replay = PolicyReplay.objects.select_related("revision").get(id=replay_id)
        if replay.status in (ReplayStatus.DONE, ReplayStatus.FAILED):
            return replay
        revision = replay.revision
        bundle = replay_bundle(revision)
    engine = EmbeddedRegoEngine(bundle)
    since = timezone.now() - timedelta(days=replay.days)
    agencies: list[str] = (
        [str(revision.agency_id)]
        if revision.scope == RevisionScope.OVERLAY
        else list(Agency.objects.order_by("id").values_list("id", flat=True))
    )
    total = 0
    for agency in agencies:
        with agency_transaction(agency):
            total += PolicyDecision.objects.filter(agency_id=agency, created_at__gte=since).count()
    _progress(agency_id, replay_id, status=ReplayStatus.RUNNING, total=total, processed=0)
    totals: Counter[str] = Counter()
    by_reason: dict[str, Counter[str]] = {}
    changes: list[dict[str, Any]] = []
    processed = 0
    for agency in agencies:
        last_id: uuid.UUID | None = None
        while True:
            with agency_transaction(agency):
                rows = PolicyDecision.objects.filter(agency_id=agency, created_at__gte=since)
                if last_id is not None:
                    rows = rows.filter(id__gt=last_id)
                batch = list(
                    rows.order_by("id").values(
                        "id", "search_id", "input", "allow", "reasons", "created_at"
                    )[:BATCH]
                )
            if not batch:
                break
            last_id = batch[-1]["id"]
            for row in batch:
                after = engine.decide(row["input"])
                before_codes, after_codes = _deny_codes(row["reasons"]), _deny_codes(after.reasons)
                processed += 1
                kind = _change_kind(row["allow"], after.allow, before_codes, after_codes)
                totals[kind] += 1
                if kind == "unchanged":
                    continue
                for code in sorted(set(before_codes) ^ set(after_codes)) or ["(none)"]:
                    by_reason.setdefault(code, Counter())[kind] += 1
                if len(changes) < MAX_CHANGES_KEPT:
                    changes.append(
                        {
                            "decision_id": str(row["id"]),
                            "agency_id": agency,
                            "search_id": str(row["search_id"]) if row["search_id"] else None,
                            "decided_at": row["created_at"].isoformat(),
                            "kind": kind,
                            "added": sorted(set(after_codes) - set(before_codes)),
                            "removed": sorted(set(before_codes) - set(after_codes)),
                        }
                    )
                if processed % PROGRESS_EVERY == 0:
                    _progress(agency_id, replay_id, processed=processed)
    with agency_transaction(agency_id):
        replay = PolicyReplay.objects.select_for_update().get(id=replay_id)
        replay.status = ReplayStatus.DONE
        replay.processed = processed
        replay.totals = {
            k: totals.get(k, 0)
            for k in ("unchanged", "allow_to_deny", "deny_to_allow", "reasons_changed")
        }
        replay.by_reason = {code: dict(c) for code, c in sorted(by_reason.items())}
        replay.changes = json.loads(json.dumps(changes))
        replay.finished_at = timezone.now()
        replay.save()
        audit_record(
            agency_id=agency_id,
            action="policy.replay_finished",
            object_type="policy_replay",
            object_id=str(replay.id),
            data={"revision_id": str(replay.revision_id), **replay.totals},
        )
    return replay


def _change_kind(before: bool, after: bool, before_codes: list[str], after_codes: list[str]) -> str:
    if before and not after:
        return "allow_to_deny"
    if after and not before:
        return "deny_to_allow"
    return "unchanged" if before_codes == after_codes else "reasons_changed"


def _progress(agency_id: str, replay_id: uuid.UUID, **fields: Any) -> None:
    with agency_transaction(agency_id):
        PolicyReplay.objects.filter(id=replay_id).update(**fields)


def replay_fail(*, agency_id: str, replay_id: uuid.UUID, error: str) -> None:
    """Mark a replay failed, so the page stops waiting for it."""
    _progress(
        agency_id,
        replay_id,
        status=ReplayStatus.FAILED,
        error=error[:300],
        finished_at=timezone.now(),
    )


def replay_latest(*, revision: PolicyRevision) -> PolicyReplay | None:
    """Return the revision's latest finished replay (in the caller's agency context)."""
    return (
        PolicyReplay.objects.filter(revision=revision, status=ReplayStatus.DONE)
        .order_by("-created_at")
        .first()
    )
