"""Reads of authority records; every one takes the acting agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from tenants.context import agency_transaction
from tenants.models import Agency, User
from tenants.need_to_know import Scope, action_allowed, action_scope

Record = TypeVar("Record", bound=AuthorizationRecord)


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


def record_list_awaiting_verification(
    *,
    model: type[AuthorizationRecord],
    agency: Agency,
    user: User,
    filters: dict[str, Any] | None = None,
) -> QuerySet[Any]:
    """Return the agency's pending records of one kind ``user`` may verify: none unless their
    roles verify, never one they entered or (an exigent approval) one granted to them, as
    ``authorizations.services.record_verify`` decides (lazy: run it in the agency's
    transaction)."""
    if action_scope(user=user, action="authority_record.verify") is None:
        return model._default_manager.none()
    records = record_list(
        model=model,
        agency=agency,
        user=user,
        scope=Scope.ALL,
        filters={**(filters or {}), "status": RecordStatus.PENDING},
    ).exclude(entered_by=user)
    if any(f.name == "granted_to" for f in model._meta.get_fields()):
        records = records.exclude(granted_to=user)
    return records


def _related(model: type[AuthorizationRecord]) -> list[str]:
    return [
        f.name
        for f in model._meta.get_fields()
        if f.name in ("entered_by", "verified_by", "revoked_by", "granted_to")
    ]


def record_get(*, model: type[Record], agency: Agency, record_id: uuid.UUID) -> Record | None:
    """Return the agency's record of ``model`` with its people, or None (another agency's too)."""
    with agency_transaction(agency.id):
        found: Record | None = (
            model._default_manager.select_related(*_related(model))
            .filter(agency=agency, id=record_id)
            .first()
        )
        return found


@dataclass(frozen=True)
class UsableRecords:
    """The verified, unexpired records a search of one case may rely on, newest first."""

    warrants: list[Warrant]
    exigent_approvals: list[ExigentApproval]
    agreements: list[InteragencyAgreement]


def records_usable(*, agency: Agency, user: User, case_number: str, now: datetime) -> UsableRecords:
    """Return the records of ``case_number`` (agreements: of the agency) a search may rely on.

    Offered to whoever may submit a search (``search.submit``), as the search service accepts
    them: the case's verified, unexpired warrants whoever entered them (a colleague on the case
    may have), the agency's agreements, and the exigent approvals granted to this person (one
    granted to another officer is denied by the policy, E-09). Only what a choice needs is read
    here; the records themselves stay ``authority_records.list``'s to show. Whether the search
    may go ahead stays the search service's and the policy's decision.
    """
    case = case_number.strip()
    if not action_allowed(user=user, action="search.submit"):
        return UsableRecords(warrants=[], exigent_approvals=[], agreements=[])

    def usable(model: type[Record], **extra: Any) -> list[Record]:
        rows = model._default_manager.filter(
            agency=agency, status=RecordStatus.VERIFIED, **extra
        ).order_by("-created_at", "-id")
        return list(rows)

    with agency_transaction(agency.id):
        return UsableRecords(
            warrants=usable(Warrant, case_number__iexact=case, expires_at__gt=now) if case else [],
            exigent_approvals=(
                usable(ExigentApproval, case_number__iexact=case, granted_to=user) if case else []
            ),
            agreements=usable(InteragencyAgreement, expires_at__gt=now),
        )
