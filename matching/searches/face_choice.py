"""The choice among several detected faces, which asks the policy again and queues the search.

Only the requester or a supervisor chooses (``tenants.need_to_know``), with current training and
a second factor. The choice is a new step of biometric processing, so the policy decides it
again, on the requester's facts as they are now (their training, their roles), the chooser's
second factor and the time of the choice: a warrant that has expired since the submission, or
a requester whose training lapsed, denies the search and discards the probe. An allow may only
narrow the limits already applied, never widen them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from matching.models import Search, SearchStatus
from matching.policy_input import search_policy_input
from matching.searches.recovery import search_enqueue
from matching.searches.retention import probe_discard
from matching.searches.transitions import search_transition
from matching.similarity import distance_for_similarity
from policy.obligations import search_limits
from policy.services import decision_audit, decision_store, policy_evaluate
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_require
from tenants.services import training_status

TRAINING_REQUIRED = "training_required"
MFA_REQUIRED = "mfa_required"


def _chooser_check(user: User, search: Search, *, mfa_verified: bool) -> None:
    action_require(user=user, action="search.face_choose", owner_id=search.requested_by_id)
    completed, expires_at = training_status(user=user)
    if not completed or expires_at is None or expires_at <= timezone.now():
        raise ApiError(
            TRAINING_REQUIRED, "Current FR training is required to choose a face.", http_status=403
        )
    if not mfa_verified:
        raise ApiError(
            MFA_REQUIRED, "Sign in with a second factor to choose a face.", http_status=403
        )


def search_face_choose(
    *, user: User, search_id: uuid.UUID, face: int, mfa_verified: bool
) -> Search:
    """Record the choice among the detected faces, ask the policy again, queue or deny."""
    agency = user.agency
    assert agency is not None  # noqa: S101
    with agency_transaction(agency.id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .select_related("gallery")
            .filter(agency=agency, id=search_id)
            .first()
        )
        if search is None:
            raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
        _chooser_check(user, search, mfa_verified=mfa_verified)
        if search.status != SearchStatus.AWAITING_FACE_CHOICE:
            raise ApiError(
                errors.SEARCH_STATE_CONFLICT,
                f"The search is {search.status}, not awaiting a face choice.",
                http_status=409,
            )
        if not search.face_boxes or not 0 <= face < len(search.face_boxes):
            raise ApiError(
                errors.FACE_CHOICE_INVALID,
                f"Choose a face between 0 and {len(search.face_boxes or []) - 1}.",
            )
        now = timezone.now()
        requester = User.objects.select_related("agency").get(pk=search.requested_by_id)
        policy_input = search_policy_input(
            search=search, user=requester, mfa_verified=mfa_verified, now=now
        )
        decision = policy_evaluate(policy_input=policy_input)
        record = decision_store(
            agency_id=agency.id, policy_input=policy_input, decision=decision, search_id=search.id
        )
        limits = search_limits(record.obligations) if record.allow else None
        decision_audit(record=record, actor=user, purpose="face_choice", error=decision.error)
        if limits is None:
            probe_discard(search, actor="system", reason="policy denied the face choice")
            search_transition(
                search=search,
                to=SearchStatus.DENIED,
                actor=user,
                action="search.face_choice_denied",
                data={
                    "face": face,
                    "decision_id": str(record.id),
                    "codes": [r.get("code") for r in record.reasons],
                },
                fields={"decision": record},
            )
            return search
        max_candidates = min(limits.max_candidates, search.max_candidates or limits.max_candidates)
        min_similarity = max(limits.min_similarity, search.min_similarity or 0.0)
        deadline = now + timedelta(seconds=settings.DISPATCH_GRACE_SECONDS)
        search_transition(
            search=search,
            to=SearchStatus.QUEUED,
            actor=user,
            action="search.face_chosen",
            data={
                "face": face,
                "decision_id": str(record.id),
                "max_candidates": max_candidates,
                "min_similarity": min_similarity,
            },
            fields={
                "face_choice": face,
                "attempts": 0,
                "lease_expires_at": deadline,
                "decision": record,
                "max_candidates": max_candidates,
                "min_similarity": min_similarity,
                "max_distance": distance_for_similarity(min_similarity),
            },
        )
        search_enqueue(search_id=search.id, agency_id=agency.id)
    return search
