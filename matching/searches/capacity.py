"""How many searches one user and one agency may have in flight at once."""

from __future__ import annotations

from django.conf import settings
from rest_framework import status

from matching.models import Search, SearchStatus
from tenants.errors import ApiError
from tenants.models import User

SEARCH_CAPACITY_REACHED = "search_capacity_reached"
IN_FLIGHT = (SearchStatus.SUBMITTED, SearchStatus.QUEUED, SearchStatus.RUNNING)
RETRY_AFTER_SECONDS = 5


class SearchCapacityError(ApiError):
    """Too many searches in flight: 429, and when to try again."""

    def __init__(self, message: str) -> None:
        super().__init__(
            SEARCH_CAPACITY_REACHED, message, http_status=status.HTTP_429_TOO_MANY_REQUESTS
        )
        self.retry_after = RETRY_AFTER_SECONDS


def search_capacity_check(*, user: User) -> None:
    """Refuse a new search while the user or the agency has too many in flight.

    Runs in the submit transaction, after the user's advisory lock, so two concurrent submits
    by one user cannot both pass the check on the same count.
    """
    agency_id = user.agency_id
    assert agency_id is not None  # noqa: S101
    in_flight = Search.objects.filter(agency_id=agency_id, status__in=IN_FLIGHT)
    if in_flight.filter(requested_by=user).count() >= settings.SEARCH_MAX_ACTIVE_PER_USER:
        raise SearchCapacityError(
            f"You have {settings.SEARCH_MAX_ACTIVE_PER_USER} searches in progress; "
            "wait for one to finish."
        )
    if in_flight.count() >= settings.SEARCH_MAX_ACTIVE_PER_AGENCY:
        raise SearchCapacityError(
            f"Your agency has {settings.SEARCH_MAX_ACTIVE_PER_AGENCY} searches in progress; "
            "try again shortly."
        )
