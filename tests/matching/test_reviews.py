"""Human review: reviews are independent of the requester, a possible match needs two."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from matching.models import Candidate, Search, SearchStatus, Subject
from tenants.context import agency_transaction
from tenants.models import TokenIssuer
from tenants.services import token_issue, training_record_add, user_create
from tests.conftest import Tenant


@pytest.fixture
def reviewed_search(db: None, tenant_a: Tenant) -> Search:
    """A finished search with Obama at rank 1 and Biden at rank 2 (no worker needed)."""
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.create(
            agency=tenant_a.agency,
            gallery=tenant_a.gallery,
            requested_by=tenant_a.users["investigator"],
            status=SearchStatus.AWAITING_REVIEW,
            purpose="criminal_investigation",
            case_number="2026-42",
            justification="Robbery suspect on CCTV; no other leads.",
            probe_meta={},
        )
        for rank, ref, distance in ((1, "obama", 0.35), (2, "biden", 0.58)):
            subject = Subject.objects.get(gallery=tenant_a.gallery, ref=ref)
            Candidate.objects.create(
                agency=tenant_a.agency,
                search=search,
                rank=rank,
                subject=subject,
                face_id=rank,
                distance=distance,
                similarity=1 - distance**2 / 1.8,
            )
    return search


def review(client: APIClient, search: Search, rank: int, disposition: str) -> Any:
    return client.post(
        f"/api/v1/searches/{search.id}/candidates/{rank}/reviews",
        {"disposition": disposition, "note": "Compared ears, scar, hairline."},
        format="json",
    )


def staff(tenant: Tenant, roles: list[str], *, mfa: bool = True) -> tuple[Any, APIClient]:
    """A trained user of ``tenant`` with ``roles`` and a token (with a second factor or not)."""
    user = user_create(agency=tenant.agency, username=f"rv_{uuid.uuid4().hex[:8]}", roles=roles)
    now = timezone.now()
    training_record_add(
        user=user,
        course="FR",
        completed_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=300),
    )
    issuer = TokenIssuer.MFA_SESSION if mfa else TokenIssuer.PORTAL
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user, issued_via=issuer)}")
    return user, client


def test_a_possible_match_needs_a_supervisors_second_review(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    dismissed = review(tenant_a.client("supervisor"), reviewed_search, 2, "not_a_match")
    assert dismissed.status_code == 200, dismissed.content
    first = review(tenant_a.client("investigator"), reviewed_search, 1, "possible_match").json()
    assert first["status"] == SearchStatus.AWAITING_REVIEW
    assert first["candidates"][0]["disposition"] == "pending"
    assert first["candidates"][1]["disposition"] == "not_a_match"

    analyst = review(tenant_a.client("analyst"), reviewed_search, 1, "possible_match")
    assert analyst.status_code == 403
    assert analyst.json()["error"]["code"] == "permission_denied"

    confirmed = review(tenant_a.client("supervisor"), reviewed_search, 1, "possible_match").json()
    assert confirmed["candidates"][0]["disposition"] == "possible_match"
    assert [r["reviewer"] for r in confirmed["candidates"][0]["reviews"]] == [
        tenant_a.users["investigator"].username,
        tenant_a.users["supervisor"].username,
    ]
    assert confirmed["status"] == SearchStatus.REVIEWED
    with agency_transaction(tenant_a.agency.id):
        actions = list(
            AuditEvent.objects.filter(object_id=str(reviewed_search.id)).values_list(
                "action", flat=True
            )
        )
    assert actions.count("candidate.reviewed") == 3
    assert "search.reviewed" in actions


def test_the_requester_alone_cannot_dismiss_a_candidate(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    body = review(tenant_a.client("investigator"), reviewed_search, 2, "not_a_match").json()
    assert body["candidates"][1]["disposition"] == "pending"
    agreed = review(tenant_a.client("supervisor"), reviewed_search, 2, "not_a_match").json()
    assert agreed["candidates"][1]["disposition"] == "not_a_match"


def test_the_requester_never_gives_the_confirming_review_whatever_roles_they_hold(
    tenant_a: Tenant, reviewed_search: Search
) -> None:
    both, both_client = staff(tenant_a, ["investigator", "supervisor"])
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=reviewed_search.id).update(requested_by=both)
    review(tenant_a.client("supervisor"), reviewed_search, 1, "possible_match")
    own = review(both_client, reviewed_search, 1, "possible_match")
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "requester_cannot_confirm"
    first = review(both_client, reviewed_search, 2, "not_a_match").json()
    assert first["candidates"][1]["disposition"] == "pending"


def test_a_second_supervisor_who_disagrees_makes_it_inconclusive(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    review(tenant_a.client("investigator"), reviewed_search, 1, "possible_match")
    body = review(tenant_a.client("supervisor"), reviewed_search, 1, "not_a_match").json()
    assert body["candidates"][0]["disposition"] == "inconclusive"
    _, other = staff(tenant_a, ["supervisor"])
    review(tenant_a.client("investigator"), reviewed_search, 2, "not_a_match")
    body = review(other, reviewed_search, 2, "possible_match").json()
    assert body["candidates"][1]["disposition"] == "inconclusive"


def test_a_review_needs_a_second_factor(reviewed_search: Search, tenant_a: Tenant) -> None:
    _, without = staff(tenant_a, ["supervisor"], mfa=False)
    response = review(without, reviewed_search, 1, "not_a_match")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_nobody_reviews_the_same_candidate_twice_or_after_it_is_decided(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    review(tenant_a.client("investigator"), reviewed_search, 1, "possible_match")
    again = review(tenant_a.client("investigator"), reviewed_search, 1, "possible_match")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_reviewed_by_you"
    review(tenant_a.client("supervisor"), reviewed_search, 2, "inconclusive")
    decided = review(tenant_a.client("investigator"), reviewed_search, 2, "possible_match")
    assert decided.status_code == 409
    assert decided.json()["error"]["code"] == "candidate_already_decided"


@pytest.mark.parametrize("role", ["analyst", "compliance_officer", "auditor", "agency_admin"])
def test_roles_that_do_not_review(reviewed_search: Search, tenant_a: Tenant, role: str) -> None:
    assert review(tenant_a.client(role), reviewed_search, 1, "not_a_match").status_code == 403


def test_a_reviewer_needs_current_training(reviewed_search: Search, tenant_a: Tenant) -> None:
    lapsed = user_create(
        agency=tenant_a.agency, username=f"lapsed_{uuid.uuid4().hex[:6]}", roles=["supervisor"]
    )
    now = timezone.now()
    training_record_add(
        user=lapsed,
        course="FR",
        completed_at=now - timedelta(days=400),
        expires_at=now - timedelta(days=35),
    )
    client = APIClient()
    key = token_issue(user=lapsed, issued_via=TokenIssuer.AGENCY_ADMIN)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = review(client, reviewed_search, 1, "not_a_match")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "training_required"


def test_another_agency_cannot_review_or_close(reviewed_search: Search, tenant_b: Tenant) -> None:
    response = review(tenant_b.client("supervisor"), reviewed_search, 1, "not_a_match")
    assert response.status_code == 404
    closed = tenant_b.client("supervisor").post(
        f"/api/v1/searches/{reviewed_search.id}/review-complete", {"note": "x"}, format="json"
    )
    assert closed.status_code == 404


def test_a_quarantined_search_cannot_be_reviewed(reviewed_search: Search, tenant_a: Tenant) -> None:
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=reviewed_search.id).update(quarantined_at=timezone.now())
    assert review(tenant_a.client(), reviewed_search, 1, "not_a_match").status_code == 404


def test_review_can_be_closed_only_when_nothing_is_pending(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    url = f"/api/v1/searches/{reviewed_search.id}/review-complete"
    early = tenant_a.client().post(url, {"note": "done"}, format="json")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "reviews_outstanding"
    with agency_transaction(tenant_a.agency.id):
        Candidate.objects.filter(search=reviewed_search).delete()
    closed = tenant_a.client().post(
        url, {"note": "No candidate above the threshold."}, format="json"
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == SearchStatus.REVIEWED


def test_candidates_are_not_shown_while_the_search_reads_as_running(
    reviewed_search: Search, tenant_a: Tenant
) -> None:
    """A read that races the worker's commit must not show (or log as seen) early results."""
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=reviewed_search.id).update(status=SearchStatus.RUNNING)
    body = tenant_a.client().get(f"/api/v1/searches/{reviewed_search.id}").json()
    assert body["status"] == SearchStatus.RUNNING
    assert body["candidates"] == []
    with agency_transaction(tenant_a.agency.id):
        assert not AuditEvent.objects.filter(
            object_id=str(reviewed_search.id), action="candidates.viewed"
        ).exists()
