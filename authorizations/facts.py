"""Turn authority records into the ``warrant``, ``exigent`` and ``interagency`` policy input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authorizations.models import ExigentApproval, InteragencyAgreement, RecordStatus, Warrant
from tenants.selectors import user_directory_facts


def rfc3339(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def warrant_facts(warrant: Warrant) -> dict[str, Any]:
    """Return the warrant as the policy reads it."""
    return {
        "record_id": str(warrant.id),
        "kind": warrant.kind,
        "number": warrant.number,
        "issuing_court": warrant.issuing_court,
        "issuing_jurisdiction": warrant.issuing_jurisdiction,
        "issued_at": rfc3339(warrant.issued_at),
        "expires_at": rfc3339(warrant.expires_at),
        "authorized_purposes": list(warrant.authorized_purposes),
        "authorized_case_number": warrant.authorized_case_number,
        "endorsed_jurisdictions": list(warrant.endorsed_jurisdictions),
        "applicant_agency_id": warrant.applicant_agency_id,
    }


def exigent_facts(approval: ExigentApproval) -> dict[str, Any]:
    """Return the exigent claim; approver facts come from the directory, not the client.

    The case, officer and purpose the approval was granted for are the record's; the policy
    compares them with the search's own (E-09).
    """
    facts: dict[str, Any] = {
        "record_id": str(approval.id),
        "claimed": True,
        "reason": approval.reason,
        "category": approval.category,
        "case_number": approval.case_number,
        "granted_to": approval.granted_to.username if approval.granted_to_id else "",
        "purpose": approval.purpose,
        "supervisor_approved_by": "",
    }
    if approval.status == RecordStatus.VERIFIED and approval.verified_by is not None:
        approver = approval.verified_by.username
        facts["supervisor_approved_by"] = approver
        if approval.verified_at is not None:
            facts["approved_at"] = rfc3339(approval.verified_at)
        directory = user_directory_facts(username=approver)
        if directory is not None:
            facts["approver"] = directory
    return facts


def agreement_facts(agreement: InteragencyAgreement) -> dict[str, Any]:
    """Return the agreement as the policy reads it."""
    return {
        "record_id": str(agreement.id),
        "agreement_id": agreement.reference,
        "kind": agreement.kind,
        "partner_agency_id": agreement.partner_agency_id,
        "partner_jurisdiction": agreement.partner_jurisdiction,
        "expires_at": rfc3339(agreement.expires_at),
    }
