"""Build the policy input for a search from the request and what the database knows.

The one module that assembles a search's policy input. Facts about the user, the agency, the
gallery and the authority records (warrant, exigent approval with its approver, agreement) come
from the database, never from the client: a client can claim a purpose, but not a role, a
training record or a warrant's dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authorizations.facts import agreement_facts, exigent_facts, rfc3339, warrant_facts
from authorizations.models import ExigentApproval, InteragencyAgreement, Warrant
from matching.models import Gallery, Search
from tenants.models import User
from tenants.services import training_status


@dataclass(frozen=True)
class AuthorityFacts:
    """The authority records as the policy reads them; stored on the search as decided on."""

    warrant: dict[str, Any] | None
    exigent: dict[str, Any] | None
    interagency: dict[str, Any] | None


def authority_facts(
    *,
    warrant: Warrant | None,
    exigent: ExigentApproval | None,
    agreement: InteragencyAgreement | None,
) -> AuthorityFacts:
    """Return the facts of the records a search relies on."""
    return AuthorityFacts(
        warrant=warrant_facts(warrant) if warrant else None,
        exigent=exigent_facts(exigent) if exigent else None,
        interagency=agreement_facts(agreement) if agreement else None,
    )


def gallery_facts(gallery: Gallery) -> dict[str, Any]:
    """Return the gallery part of the policy input."""
    return {
        "id": gallery.slug,
        "owner_agency_id": gallery.agency_id,
        "owner_jurisdiction": gallery.agency.jurisdiction,
        "legal_basis": gallery.legal_basis,
        "contains_youth_records": gallery.contains_youth_records,
        "ycja_access_period_enforced": gallery.ycja_access_period_enforced,
        "shared_with": list(gallery.shared_with),
        "sharing_agreement_id": gallery.sharing_agreement_id,
        "cai_disclosure_filed": gallery.cai_disclosure_filed,
        "consent_express": gallery.consent_express,
        "authorized_case_number": gallery.authorized_case_number,
    }


def user_facts(user: User, *, mfa_verified: bool) -> dict[str, Any]:
    """Return the user part of the policy input."""
    completed, expires_at = training_status(user=user)
    facts: dict[str, Any] = {
        "id": user.username,
        "agency_id": user.agency_id,
        "roles": sorted(user.roles),
        "training_completed": completed,
        "mfa_verified": mfa_verified,
    }
    if expires_at is not None:
        facts["training_expires_at"] = rfc3339(expires_at)
    return facts


def agency_facts(user: User) -> dict[str, Any]:
    """Return the agency part of the policy input."""
    agency = user.agency
    assert agency is not None  # noqa: S101 - authenticated users always have an agency
    return {
        "id": agency.id,
        "name": agency.name,
        "kind": agency.kind,
        "jurisdiction": agency.jurisdiction,
        "municipality": agency.municipality,
        "service_area_municipalities": list(agency.service_area_municipalities),
        "pia_completed": agency.pia_completed,
        "cai_disclosure_filed": agency.cai_disclosure_filed,
        "fr_program_approved": agency.fr_program_approved,
    }


def search_policy_input(
    *, search: Search, user: User, mfa_verified: bool, now: datetime
) -> dict[str, Any]:
    """Return the complete policy input for ``search`` requested by ``user`` at ``now``."""
    return {
        "now": rfc3339(now),
        "user": user_facts(user, mfa_verified=mfa_verified),
        "agency": agency_facts(user),
        "purpose": search.purpose,
        "offence": search.offence,
        "case_number": search.case_number,
        "justification": search.justification,
        "warrant": search.warrant,
        "exigent": search.exigent or {"claimed": False},
        "interagency": search.interagency,
        "probe": dict(search.probe_meta),
        "gallery": gallery_facts(search.gallery),
    }
