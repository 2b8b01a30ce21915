"""Human review of candidates: every candidate is examined by trained people, independently.

Reviewers are the search's requester and the agency's supervisors (``tenants.need_to_know``),
each with current training and a second factor on the credentials they use. The requester is
never the only reviewer nor the confirming one:

- a dismissal (``not_a_match``, ``inconclusive``) by a supervisor other than the requester is
  final; a dismissal by the requester waits for a supervisor's review;
- a ``possible_match`` always waits for a second review, by a supervisor who is neither the
  requester nor the first reviewer (holding several roles changes nothing);
- when the two reviews disagree the candidate is ``inconclusive``.

When every candidate has a final disposition the search is ``reviewed``. Each review is
audited in the same transaction; a refused one is on record as a refusal.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from audit.services import audit_record
from matching.models import Candidate, CandidateReview, Disposition, Search, SearchStatus
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Role, User
from tenants.need_to_know import action_require
from tenants.services import training_status

CANDIDATE_NOT_FOUND = "candidate_not_found"
CANDIDATE_ALREADY_DECIDED = "candidate_already_decided"
ALREADY_REVIEWED = "already_reviewed_by_you"
SECOND_REVIEWER_MUST_BE_SUPERVISOR = "second_reviewer_must_be_supervisor"
TRAINING_REQUIRED = "training_required"
REVIEWS_OUTSTANDING = "reviews_outstanding"
MFA_REQUIRED = "mfa_required"
REQUESTER_CANNOT_CONFIRM = "requester_cannot_confirm"


def _reviewer_check(user: User, search: Search, *, action: str, mfa_verified: bool) -> None:
    action_require(user=user, action=action, owner_id=search.requested_by_id)
    completed, expires_at = training_status(user=user)
    if not completed or expires_at is None or expires_at <= timezone.now():
        raise ApiError(
            TRAINING_REQUIRED, "Current FR training is required to review.", http_status=403
        )
    if not mfa_verified:
        raise ApiError(
            MFA_REQUIRED, "Sign in with a second factor to review candidates.", http_status=403
        )


def _final_disposition(
    first: CandidateReview | None, user: User, search: Search, disposition: str
) -> str:
    """Return the candidate's disposition after this review (pending while one is owed)."""
    by_requester = user.pk == search.requested_by_id
    if first is None:
        if disposition == Disposition.POSSIBLE_MATCH or by_requester:
            return Disposition.PENDING
        return disposition
    if by_requester:
        raise ApiError(
            REQUESTER_CANNOT_CONFIRM,
            "The requester cannot give a candidate's second review.",
            http_status=403,
        )
    if not user.has_role(Role.SUPERVISOR):
        raise ApiError(
            SECOND_REVIEWER_MUST_BE_SUPERVISOR,
            "A candidate's second review is a supervisor's.",
            http_status=403,
        )
    return disposition if disposition == first.disposition else Disposition.INCONCLUSIVE


def candidate_review(
    *,
    user: User,
    search_id: uuid.UUID,
    rank: int,
    disposition: str,
    note: str,
    mfa_verified: bool,
) -> Candidate:
    """Record one person's review of one candidate and settle what follows from it."""
    assert user.agency is not None  # noqa: S101
    agency_id = user.agency.id
    with agency_transaction(agency_id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .filter(agency_id=agency_id, id=search_id)
            .first()
        )
        candidate = (
            Candidate.objects.select_for_update(of=("self",))
            .select_related("subject")
            .filter(agency_id=agency_id, search_id=search_id, rank=rank)
            .first()
            if search is not None
            else None
        )
        if search is None or candidate is None or search.quarantined_at is not None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        _reviewer_check(user, search, action="candidate.review", mfa_verified=mfa_verified)
        if search.status != SearchStatus.AWAITING_REVIEW:
            raise ApiError(
                errors.SEARCH_STATE_CONFLICT, f"The search is {search.status}.", http_status=409
            )
        if candidate.disposition != Disposition.PENDING:
            raise ApiError(
                CANDIDATE_ALREADY_DECIDED,
                f"The candidate is already {candidate.disposition}.",
                http_status=409,
            )
        reviews = list(candidate.reviews.all())
        if any(r.reviewer_id == user.pk for r in reviews):
            raise ApiError(
                ALREADY_REVIEWED, "You have already reviewed this candidate.", http_status=409
            )
        candidate.disposition = _final_disposition(
            reviews[0] if reviews else None, user, search, disposition
        )
        CandidateReview.objects.create(
            agency_id=agency_id,
            candidate=candidate,
            reviewer=user,
            disposition=disposition,
            note=note,
        )
        candidate.save(update_fields=["disposition"])
        audit_record(
            agency_id=agency_id,
            actor=user,
            action="candidate.reviewed",
            object_type="search",
            object_id=str(search.id),
            data={
                "rank": rank,
                "subject": candidate.subject.ref,
                "review": disposition,
                "disposition": candidate.disposition,
                "reviews": len(reviews) + 1,
            },
        )
        _search_close_if_reviewed(search, user)
    return candidate


def search_review_complete(
    *, user: User, search_id: uuid.UUID, note: str, mfa_verified: bool
) -> Search:
    """Close the review of a search whose candidates are all decided (or that found none)."""
    assert user.agency is not None  # noqa: S101
    with agency_transaction(user.agency.id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .filter(agency_id=user.agency.id, id=search_id)
            .first()
        )
        if search is None:
            raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
        _reviewer_check(user, search, action="search.review_complete", mfa_verified=mfa_verified)
        if search.status != SearchStatus.AWAITING_REVIEW:
            raise ApiError(
                errors.SEARCH_STATE_CONFLICT, f"The search is {search.status}.", http_status=409
            )
        if not _search_close_if_reviewed(search, user, note=note):
            raise ApiError(
                REVIEWS_OUTSTANDING, "Some candidates still await review.", http_status=409
            )
    return search


def _search_close_if_reviewed(search: Search, user: User, note: str = "") -> bool:
    """Mark the search reviewed when no candidate is pending; return whether it was."""
    candidates = Candidate.objects.filter(search=search)
    if candidates.filter(disposition=Disposition.PENDING).exists():
        return False
    if not candidates.exists() and not note:
        return False
    from matching.searches import search_transition

    search_transition(
        search=search,
        to=SearchStatus.REVIEWED,
        actor=user,
        data={
            "dispositions": {
                str(rank): disposition
                for rank, disposition in candidates.values_list("rank", "disposition")
            },
            "note": note,
        },
    )
    return True


def candidate_reviewed_before(*, agency_id: str, search_id: uuid.UUID, rank: int) -> bool:
    """Return whether the candidate has a review already: the next one would decide it.

    Only the fact is read (no reviewer, no verdict), so asking it reveals nothing a blind
    reviewer may not know; another agency's candidate reads as unreviewed.
    """
    with agency_transaction(agency_id):
        return CandidateReview.objects.filter(
            agency_id=agency_id, candidate__search_id=search_id, candidate__rank=rank
        ).exists()
