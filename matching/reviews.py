"""Human review of candidates: every candidate is examined by a trained person.

Dismissing a candidate (``not_a_match``, ``inconclusive``) takes one review. Calling it a
``possible_match`` takes two: a second, different reviewer who is a supervisor must agree,
otherwise the candidate is ``inconclusive``. When every candidate has a final disposition the
search is ``reviewed``. Each review is audited in the same transaction.
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
from tenants.services import training_status

REVIEW_ROLES = {Role.INVESTIGATOR.value, Role.ANALYST.value, Role.SUPERVISOR.value}
CANDIDATE_NOT_FOUND = "candidate_not_found"
CANDIDATE_ALREADY_DECIDED = "candidate_already_decided"
ALREADY_REVIEWED = "already_reviewed_by_you"
SECOND_REVIEWER_MUST_BE_SUPERVISOR = "second_reviewer_must_be_supervisor"
TRAINING_REQUIRED = "training_required"
REVIEWS_OUTSTANDING = "reviews_outstanding"


def _reviewer_check(user: User) -> None:
    if not REVIEW_ROLES.intersection(user.roles):
        raise ApiError(errors.PERMISSION_DENIED, "Your role does not review candidates.",
                       http_status=403)
    completed, expires_at = training_status(user=user)
    if not completed or expires_at is None or expires_at <= timezone.now():
        raise ApiError(TRAINING_REQUIRED, "Current FR training is required to review.",
                       http_status=403)


def _final_disposition(first: CandidateReview | None, user: User, disposition: str) -> str:
    """Return the candidate's disposition after this review (pending while one is owed)."""
    if first is None:
        return Disposition.PENDING if disposition == Disposition.POSSIBLE_MATCH else disposition
    if not user.has_role(Role.SUPERVISOR):
        raise ApiError(SECOND_REVIEWER_MUST_BE_SUPERVISOR,
                       "A possible match is confirmed by a supervisor.", http_status=403)
    if disposition == Disposition.POSSIBLE_MATCH:
        return Disposition.POSSIBLE_MATCH
    return Disposition.INCONCLUSIVE


def candidate_review(
    *, user: User, search_id: uuid.UUID, rank: int, disposition: str, note: str
) -> Candidate:
    """Record one person's review of one candidate and settle what follows from it."""
    assert user.agency is not None  # noqa: S101
    _reviewer_check(user)
    agency_id = user.agency.id
    with agency_transaction(agency_id):
        search = Search.objects.select_for_update(of=("self",)).filter(
            agency_id=agency_id, id=search_id).first()
        candidate = (Candidate.objects.select_for_update(of=("self",)).select_related("subject")
                     .filter(agency_id=agency_id, search_id=search_id, rank=rank).first()
                     if search is not None else None)
        if search is None or candidate is None or search.quarantined_at is not None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        if search.status != SearchStatus.AWAITING_REVIEW:
            raise ApiError(errors.SEARCH_STATE_CONFLICT, f"The search is {search.status}.",
                           http_status=409)
        if candidate.disposition != Disposition.PENDING:
            raise ApiError(CANDIDATE_ALREADY_DECIDED,
                           f"The candidate is already {candidate.disposition}.", http_status=409)
        reviews = list(candidate.reviews.all())
        if any(r.reviewer_id == user.pk for r in reviews):
            raise ApiError(ALREADY_REVIEWED, "You have already reviewed this candidate.",
                           http_status=409)
        candidate.disposition = _final_disposition(reviews[0] if reviews else None, user,
                                                   disposition)
        CandidateReview.objects.create(agency_id=agency_id, candidate=candidate, reviewer=user,
                                       disposition=disposition, note=note)
        candidate.save(update_fields=["disposition"])
        audit_record(agency_id=agency_id, actor=user, action="candidate.reviewed",
                     object_type="search", object_id=str(search.id),
                     data={"rank": rank, "subject": candidate.subject.ref,
                           "review": disposition, "disposition": candidate.disposition,
                           "reviews": len(reviews) + 1})
        _search_close_if_reviewed(search, user)
    return candidate


def search_review_complete(*, user: User, search_id: uuid.UUID, note: str) -> Search:
    """Close the review of a search whose candidates are all decided (or that found none)."""
    assert user.agency is not None  # noqa: S101
    _reviewer_check(user)
    with agency_transaction(user.agency.id):
        search = Search.objects.select_for_update(of=("self",)).filter(
            agency_id=user.agency.id, id=search_id).first()
        if search is None:
            raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
        if search.status != SearchStatus.AWAITING_REVIEW:
            raise ApiError(errors.SEARCH_STATE_CONFLICT, f"The search is {search.status}.",
                           http_status=409)
        if not _search_close_if_reviewed(search, user, note=note):
            raise ApiError(REVIEWS_OUTSTANDING, "Some candidates still await review.",
                           http_status=409)
    return search


def _search_close_if_reviewed(search: Search, user: User, note: str = "") -> bool:
    """Mark the search reviewed when no candidate is pending; return whether it was."""
    candidates = Candidate.objects.filter(search=search)
    if candidates.filter(disposition=Disposition.PENDING).exists():
        return False
    if not candidates.exists() and not note:
        return False
    from matching.searches import search_transition

    search_transition(search=search, to=SearchStatus.REVIEWED, actor=user,
                      data={"dispositions": {str(rank): disposition for rank, disposition
                                             in candidates.values_list("rank", "disposition")},
                            "note": note})
    return True
