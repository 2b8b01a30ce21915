"""Reads of authority records; every one takes the acting agency."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from authorizations.models import AuthorizationRecord
from tenants.models import Agency, User
from tenants.need_to_know import Scope


def record_list(
    *,
    model: type[AuthorizationRecord],
    agency: Agency,
    user: User,
    scope: Scope,
    filters: dict[str, Any],
) -> QuerySet[Any]:
    """Return the agency's records of one kind the caller may list, filtered (lazy: run it in
    the agency's transaction)."""
    related = [
        f.name
        for f in model._meta.get_fields()
        if f.name in ("entered_by", "verified_by", "granted_to")
    ]
    records = model._default_manager.select_related(*related).filter(agency=agency)
    if scope is Scope.OWN:
        own = Q(entered_by=user)
        if "granted_to" in related:
            own |= Q(granted_to=user)
        records = records.filter(own)
    if "status" in filters:
        records = records.filter(status=filters["status"])
    if "case_number" in filters:
        if not any(f.name == "case_number" for f in model._meta.get_fields()):
            return records.none()
        records = records.filter(**{"case_number": filters["case_number"]})
    if "requested_by" in filters:
        records = records.filter(entered_by__username=filters["requested_by"])
    if "created_after" in filters:
        records = records.filter(created_at__gte=filters["created_after"])
    if "created_before" in filters:
        records = records.filter(created_at__lt=filters["created_before"])
    return records
