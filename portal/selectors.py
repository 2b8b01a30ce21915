"""Reads the portal's pages need that the API has no selector for; each takes the agency.

Every read materializes what the template shows inside the agency's transaction: under
row-level security a template following a relation afterwards would see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator

from matching.models import Search
from tenants.context import agency_transaction
from tenants.models import Agency, ApiToken, User
from tenants.row_pages import RowsPage

SEARCHES_PER_PAGE = 20


@dataclass(frozen=True)
class SearchRow:
    """One line of a list of searches."""

    id: str
    status: str
    purpose: str
    case_number: str
    gallery_name: str
    created_at: datetime


SearchPage = RowsPage[SearchRow]


def searches_requested_page(
    *, agency: Agency, user: User, page: int | str | None, per_page: int = SEARCHES_PER_PAGE
) -> SearchPage:
    """Return one page of the searches ``user`` requested in ``agency``, newest first."""
    with agency_transaction(agency.id):
        searches = (
            Search.objects.filter(agency=agency, requested_by=user)
            .select_related("gallery")
            .order_by("-created_at", "-id")
        )
        found = Paginator(searches, per_page).get_page(page)
        rows = [
            SearchRow(
                id=str(s.id),
                status=s.status,
                purpose=s.purpose,
                case_number=s.case_number,
                gallery_name=s.gallery.name,
                created_at=s.created_at,
            )
            for s in found.object_list
        ]
        return SearchPage.of(found, rows)


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """Return the user's API tokens, newest first."""
    if user.agency_id is None:
        return []
    with agency_transaction(user.agency_id):
        return list(ApiToken.objects.filter(user=user).order_by("-created_at"))
