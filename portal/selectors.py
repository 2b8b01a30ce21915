"""Reads the portal's pages need that the API has no selector for; each takes the agency.

Every read materializes what the template shows inside the agency's transaction: under
row-level security a template following a relation afterwards would see nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.utils import timezone

from matching.list_selectors import ListFilters, follow_up_list_query, search_list
from matching.models import FollowUp
from tenants.context import agency_transaction
from tenants.models import Agency, ApiToken, User
from tenants.need_to_know import Scope
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
    requested_by: str
    created_at: datetime


SearchPage = RowsPage[SearchRow]


def searches_page(
    *,
    agency: Agency,
    user: User,
    scope: Scope,
    filters: ListFilters,
    page: int | str | None,
    per_page: int = SEARCHES_PER_PAGE,
) -> SearchPage:
    """Return one page of the agency's searches ``user`` may list, filtered, newest first.

    ``scope`` ``OWN`` keeps the searches ``user`` requested; the filtering is the API's list's.
    """
    with agency_transaction(agency.id):
        searches = search_list(agency=agency, user=user, scope=scope, filters=filters).order_by(
            "-created_at", "-id"
        )
        found = Paginator(searches, per_page).get_page(page)
        rows = [
            SearchRow(
                id=str(s.id),
                status=s.status,
                purpose=s.purpose,
                case_number=s.case_number,
                gallery_name=s.gallery.name,
                requested_by=s.requested_by.username,
                created_at=s.created_at,
            )
            for s in found.object_list
        ]
        return SearchPage.of(found, rows)


@dataclass(frozen=True)
class FollowUpRow:
    """One follow-up owed on a search: what, for which case, due when, done by whom."""

    id: str
    kind: str
    search_id: str
    case_number: str
    requested_by: str
    requested_by_id: int
    due_at: datetime
    overdue: bool
    completed_at: datetime | None
    completed_by: str
    note: str


FollowUpPage = RowsPage[FollowUpRow]


def _follow_up_row(task: FollowUp, now: datetime) -> FollowUpRow:
    return FollowUpRow(
        id=str(task.id),
        kind=task.kind,
        search_id=str(task.search_id),
        case_number=task.search.case_number,
        requested_by=task.search.requested_by.username,
        requested_by_id=task.search.requested_by_id,
        due_at=task.due_at,
        overdue=task.completed_at is None and task.due_at < now,
        completed_at=task.completed_at,
        completed_by=task.completed_by.username if task.completed_by else "",
        note=task.note,
    )


def follow_ups_page(
    *,
    agency: Agency,
    filters: ListFilters,
    page: int | str | None,
    per_page: int = SEARCHES_PER_PAGE,
) -> FollowUpPage:
    """Return one page of the agency's follow-ups (open ones unless asked), earliest due first."""
    now = timezone.now()
    with agency_transaction(agency.id):
        tasks = (
            follow_up_list_query(agency=agency, filters=filters)
            .select_related("search__requested_by")
            .order_by("due_at", "id")
        )
        found = Paginator(tasks, per_page).get_page(page)
        return FollowUpPage.of(found, [_follow_up_row(t, now) for t in found.object_list])


def follow_up_get(*, agency: Agency, follow_up_id: uuid.UUID) -> FollowUpRow | None:
    """Return one of the agency's follow-ups, open or done, or None (another agency's too)."""
    with agency_transaction(agency.id):
        task = (
            follow_up_list_query(agency=agency, filters=ListFilters(status="all"))
            .select_related("search__requested_by")
            .filter(id=follow_up_id)
            .first()
        )
        return _follow_up_row(task, timezone.now()) if task is not None else None


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """Return the user's API tokens, newest first."""
    if user.agency_id is None:
        return []
    with agency_transaction(user.agency_id):
        return list(ApiToken.objects.filter(user=user).order_by("-created_at"))
