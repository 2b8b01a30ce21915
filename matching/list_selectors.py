"""Querysets behind the API's lists: always the acting agency, then the caller's scope.

They are lazy: evaluate them inside ``agency_transaction(agency.id)``, where row-level
security admits the agency's rows only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from django.db.models import QuerySet

from matching.models import EnrollmentBatch, FollowUp, Search, Subject
from tenants.models import Agency, User
from tenants.need_to_know import Scope


class ListFilters(TypedDict, total=False):
    status: str
    purpose: str
    case_number: str
    requested_by: str
    gallery: str
    ref: str
    kind: str
    created_after: datetime
    created_before: datetime


def _created_between(
    queryset: QuerySet[Any], filters: ListFilters, field: str = "created_at"
) -> QuerySet[Any]:
    if "created_after" in filters:
        queryset = queryset.filter(**{f"{field}__gte": filters["created_after"]})
    if "created_before" in filters:
        queryset = queryset.filter(**{f"{field}__lt": filters["created_before"]})
    return queryset


def search_list(
    *, agency: Agency, user: User, scope: Scope, filters: ListFilters
) -> QuerySet[Search]:
    """Return the agency's searches the caller may list, filtered."""
    searches = Search.objects.select_related("gallery", "requested_by", "decision").filter(
        agency=agency
    )
    if scope is Scope.OWN:
        searches = searches.filter(requested_by=user)
    for name in ("status", "purpose", "case_number"):
        if name in filters:
            searches = searches.filter(**{name: filters[name]})
    if "requested_by" in filters:
        searches = searches.filter(requested_by__username=filters["requested_by"])
    if "gallery" in filters:
        searches = searches.filter(gallery__slug=filters["gallery"])
    return _created_between(searches, filters)


def enrollment_batch_list(*, agency: Agency, filters: ListFilters) -> QuerySet[EnrollmentBatch]:
    """Return the agency's enrollment batches, filtered."""
    batches = EnrollmentBatch.objects.select_related("gallery", "created_by").filter(agency=agency)
    if "status" in filters:
        batches = batches.filter(status=filters["status"])
    if "gallery" in filters:
        batches = batches.filter(gallery__slug=filters["gallery"])
    if "requested_by" in filters:
        batches = batches.filter(created_by__username=filters["requested_by"])
    return _created_between(batches, filters)


def subject_list(*, agency: Agency, filters: ListFilters) -> QuerySet[Subject]:
    """Return the agency's enrolled subjects (not purged ones), filtered."""
    subjects = Subject.objects.select_related("gallery").filter(
        agency=agency, purged_at__isnull=True
    )
    if "gallery" in filters:
        subjects = subjects.filter(gallery__slug=filters["gallery"])
    if "ref" in filters:
        subjects = subjects.filter(ref=filters["ref"])
    return _created_between(subjects, filters)


def follow_up_list_query(*, agency: Agency, filters: ListFilters) -> QuerySet[FollowUp]:
    """Return the agency's follow-ups; ``status``: ``open`` (default), ``completed``, ``all``."""
    tasks = FollowUp.objects.select_related("completed_by", "search").filter(agency=agency)
    state = filters.get("status", "open")
    if state == "open":
        tasks = tasks.filter(completed_at__isnull=True)
    elif state == "completed":
        tasks = tasks.filter(completed_at__isnull=False)
    if "kind" in filters:
        tasks = tasks.filter(kind=filters["kind"])
    if "case_number" in filters:
        tasks = tasks.filter(search__case_number=filters["case_number"])
    return _created_between(tasks, filters)
