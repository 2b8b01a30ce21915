"""Reads of the authority-record pages: the agency's records as rows, one record's facts.

Each row and fact is materialized inside the agency's transaction (row-level security); who
may list which records is ``authorizations.selectors.record_list``'s, from the role table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from authorizations.selectors import (
    UsableRecords,
    record_list,
    record_list_awaiting_verification,
)
from portal.labels import (
    AGREEMENT_KIND_LABELS,
    PURPOSE_LABELS,
    RECORD_STATE_LABELS,
    RECORD_TYPE_LABELS,
    REGION_LABELS,
    WARRANT_KIND_LABELS,
    label,
)
from tenants.context import agency_transaction
from tenants.models import Agency, User
from tenants.need_to_know import Scope
from tenants.row_pages import RowsPage

RECORDS_PER_PAGE = 20
# The portal's (and the API's) name of each kind of record in a URL.
RECORD_KINDS: dict[str, type[AuthorizationRecord]] = {
    "warrants": Warrant,
    "exigent-approvals": ExigentApproval,
    "interagency-agreements": InteragencyAgreement,
}
KIND_OF_MODEL = {model: kind for kind, model in RECORD_KINDS.items()}


@dataclass(frozen=True)
class RecordRow:
    """One line of the agency's authority records."""

    id: str
    kind: str
    kind_label: str
    case_number: str
    state: str
    state_label: str
    issuer: str
    expires_at: datetime | None
    entered_by: str
    created_at: datetime


RecordPage = RowsPage[RecordRow]


def record_state(record: AuthorizationRecord, now: datetime | None = None) -> str:
    """Return ``pending``, ``verified``, ``revoked`` or ``expired`` (past expiry, not revoked)."""
    expires = getattr(record, "expires_at", None)
    moment = now or timezone.now()
    if record.status != RecordStatus.REVOKED and expires is not None and expires <= moment:
        return "expired"
    return str(record.status)


def record_kind_label(record: AuthorizationRecord) -> str:
    """Return what the record is in words: *Production order*, *Exigent approval*…"""
    if isinstance(record, Warrant):
        return label(WARRANT_KIND_LABELS, record.kind)
    if isinstance(record, InteragencyAgreement):
        return label(AGREEMENT_KIND_LABELS, record.kind)
    return label(RECORD_TYPE_LABELS, KIND_OF_MODEL[type(record)])


def record_issuer(record: AuthorizationRecord) -> str:
    """Return who gave the authority: the court, the approving supervisor, the partner."""
    if isinstance(record, Warrant):
        return record.issuing_court
    if isinstance(record, InteragencyAgreement):
        return record.partner_agency_id or label(REGION_LABELS, record.partner_jurisdiction)
    return record.verified_by.username if record.verified_by is not None else ""


def _row(record: AuthorizationRecord, now: datetime) -> RecordRow:
    state = record_state(record, now)
    return RecordRow(
        id=str(record.id),
        kind=KIND_OF_MODEL[type(record)],
        kind_label=record_kind_label(record),
        case_number=getattr(record, "case_number", ""),
        state=state,
        state_label=label(RECORD_STATE_LABELS, state),
        issuer=record_issuer(record),
        expires_at=getattr(record, "expires_at", None),
        entered_by=record.entered_by.username,
        created_at=record.created_at,
    )


def records_page(
    *,
    agency: Agency,
    user: User,
    scope: Scope,
    case_number: str,
    page: int | str | None,
    awaiting_me: bool = False,
    per_page: int = RECORDS_PER_PAGE,
) -> RecordPage:
    """Return one page of the agency's records the user may list, of every kind, newest first.

    With ``case_number``, only that case's warrants and exigent approvals (agreements name no
    case); with ``awaiting_me``, only the pending ones the user may verify (not their own).
    """
    filters: dict[str, Any] = {"case_number": case_number.strip()} if case_number.strip() else {}
    now = timezone.now()
    with agency_transaction(agency.id):
        records: list[AuthorizationRecord] = []
        for model in RECORD_KINDS.values():
            found = (
                record_list_awaiting_verification(
                    model=model, agency=agency, user=user, filters=filters
                )
                if awaiting_me
                else record_list(
                    model=model, agency=agency, user=user, scope=scope, filters=filters
                )
            )
            records.extend(found.select_related("verified_by"))
        records.sort(key=lambda r: (r.created_at, str(r.id)), reverse=True)
        found_page = Paginator(records, per_page).get_page(page)
        rows = [_row(r, now) for r in found_page.object_list]
        return RecordPage.of(found_page, rows)


def moment_text(value: datetime) -> str:
    """Return a moment in local time, formatted for the reader's language."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def record_choice_label(record: AuthorizationRecord) -> str:
    """Return how the new-search form offers a record: kind, number, issuer, expiry."""
    if isinstance(record, Warrant):
        return _("%(kind)s %(number)s, issued by %(court)s, expires %(expires)s") % {
            "kind": record_kind_label(record),
            "number": record.number,
            "court": record.issuing_court,
            "expires": moment_text(record.expires_at),
        }
    if isinstance(record, InteragencyAgreement):
        return _("%(kind)s %(reference)s with %(partner)s, expires %(expires)s") % {
            "kind": record_kind_label(record),
            "reference": record.reference,
            "partner": record_issuer(record),
            "expires": moment_text(record.expires_at),
        }
    assert isinstance(record, ExigentApproval)  # noqa: S101 - the three kinds
    return _("Exigent approval for %(purpose)s, granted to %(officer)s, approved by %(by)s") % {
        "purpose": label(PURPOSE_LABELS, record.purpose),
        "officer": record.granted_to.username,
        "by": record_issuer(record),
    }


@dataclass(frozen=True)
class AuthorityChoices:
    """The new-search form's options for each authority field: (record id, label)."""

    warrants: list[tuple[str, str]]
    exigent_approvals: list[tuple[str, str]]
    agreements: list[tuple[str, str]]


def authority_choices(usable: UsableRecords) -> AuthorityChoices:
    """Return the options of the records a search may rely on, labelled."""
    return AuthorityChoices(
        warrants=[(str(r.id), record_choice_label(r)) for r in usable.warrants],
        exigent_approvals=[(str(r.id), record_choice_label(r)) for r in usable.exigent_approvals],
        agreements=[(str(r.id), record_choice_label(r)) for r in usable.agreements],
    )
