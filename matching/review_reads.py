"""What reviewers read: a candidate under review (blind until one's own review) and the queue.

Who may review what is ``matching.reviews``'s; :func:`review_owed` states the same rules as a
question, so the pages offer a review only to those whom :func:`candidate_review` would accept
(training and the second factor aside) and keep the similarity and the other reviews from them
until they have given theirs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Count, Q

from audit.services import audit_record
from matching.models import Candidate, CandidateReview, Disposition, Search, SearchStatus
from matching.reviews import CANDIDATE_NOT_FOUND
from matching.searches.revocation import FINISHED_STATES
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Role, User
from tenants.need_to_know import Scope, action_allowed, action_require, action_scope
from tenants.row_pages import RowsPage


def review_owed(
    *, user: User, search: Search, candidate: Candidate, reviews: Sequence[CandidateReview]
) -> bool:
    """Return whether ``user`` may still give ``candidate`` a review (the rules above).

    Training and the second factor are not asked here: they are the person's to put right, and
    :func:`candidate_review` refuses with their own codes. Until the review is given, the person
    reviews blind: no similarity and no other reviewer's verdict.
    """
    if (
        search.status != SearchStatus.AWAITING_REVIEW
        or search.quarantined_at is not None
        or candidate.disposition != Disposition.PENDING
    ):
        return False
    if not action_allowed(user=user, action="candidate.review", owner_id=search.requested_by_id):
        return False
    if any(r.reviewer_id == user.pk for r in reviews):
        return False
    if reviews:
        return user.pk != search.requested_by_id and user.has_role(Role.SUPERVISOR)
    return True


@dataclass(frozen=True)
class CandidateUnderReview:
    """One candidate as its review page shows it, read in the agency's transaction."""

    search: Search
    candidate: Candidate
    reviews: list[CandidateReview]
    candidates_total: int
    owed: bool


def candidate_under_review(*, user: User, search_id: uuid.UUID, rank: int) -> CandidateUnderReview:
    """Return a candidate and its reviews to a person who sees candidates, recording the view.

    Another agency's search, a missing rank, and results withheld (quarantined, unfinished)
    answer 404; a role that does not see this search's candidates answers 403.
    """
    assert user.agency is not None  # noqa: S101
    agency_id = user.agency.id
    with agency_transaction(agency_id):
        search = (
            Search.objects.select_related("gallery", "requested_by")
            .filter(agency_id=agency_id, id=search_id)
            .first()
        )
        if search is None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        action_require(user=user, action="candidates.read", owner_id=search.requested_by_id)
        candidate = (
            Candidate.objects.select_related("subject")
            .filter(agency_id=agency_id, search=search, rank=rank)
            .first()
        )
        if (
            candidate is None
            or search.quarantined_at is not None
            or search.status not in FINISHED_STATES
        ):
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        reviews = list(
            CandidateReview.objects.select_related("reviewer")
            .filter(agency_id=agency_id, candidate=candidate)
            .order_by("created_at")
        )
        total = Candidate.objects.filter(agency_id=agency_id, search=search).count()
        audit_record(
            agency_id=agency_id,
            actor=user,
            action="candidates.viewed",
            object_type="search",
            object_id=str(search.id),
            data={"candidates": [candidate.subject.ref], "rank": rank},
        )
    return CandidateUnderReview(
        search=search,
        candidate=candidate,
        reviews=reviews,
        candidates_total=total,
        owed=review_owed(user=user, search=search, candidate=candidate, reviews=reviews),
    )


@dataclass(frozen=True)
class ReviewOwed:
    """A candidate awaiting this person's review: where it is, never who it is."""

    search_id: uuid.UUID
    case_number: str
    gallery_name: str
    requested_by: str
    requested_at: datetime
    rank: int
    second: bool


ReviewQueuePage = RowsPage[ReviewOwed]


REVIEWS_PER_PAGE = 25


def review_queue(
    *, user: User, page: int | str | None = None, per_page: int = REVIEWS_PER_PAGE
) -> ReviewQueuePage:
    """Return the candidates awaiting ``user``'s review, oldest search first.

    The same rules as :func:`review_owed`, in one query: pending candidates of the agency's
    searches awaiting review that the user's role reviews and the user has not reviewed; a
    candidate already reviewed once waits for a supervisor who did not request the search.
    """
    assert user.agency is not None  # noqa: S101
    agency_id = user.agency.id
    scope = action_scope(user=user, action="candidate.review")
    if scope is None:
        return ReviewQueuePage(rows=[], number=1, num_pages=1, total=0)
    with agency_transaction(agency_id):
        owed = (
            Candidate.objects.filter(
                agency_id=agency_id,
                disposition=Disposition.PENDING,
                search__status=SearchStatus.AWAITING_REVIEW,
                search__quarantined_at__isnull=True,
            )
            .exclude(reviews__reviewer=user)
            .annotate(given=Count("reviews"))
        )
        if scope is Scope.OWN:
            owed = owed.filter(search__requested_by=user)
        second = (
            Q(given__gt=0) & ~Q(search__requested_by=user)
            if user.has_role(Role.SUPERVISOR)
            else Q(pk__in=[])
        )
        owed = (
            owed.filter(Q(given=0) | second)
            .select_related("search__gallery", "search__requested_by")
            .order_by("search__created_at", "search_id", "rank")
        )
        found = Paginator(owed, per_page).get_page(page)
        rows = [
            ReviewOwed(
                search_id=c.search_id,
                case_number=c.search.case_number,
                gallery_name=c.search.gallery.name,
                requested_by=c.search.requested_by.get_full_name()
                or c.search.requested_by.username,
                requested_at=c.search.created_at,
                rank=c.rank,
                second=c.given > 0,  # type: ignore[attr-defined]
            )
            for c in found.object_list
        ]
        return ReviewQueuePage.of(found, rows)
