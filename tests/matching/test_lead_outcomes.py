"""What became of a lead: recorded after review, on possible matches only, counted by oversight."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from audit.models import AuditEvent
from matching.models import Candidate, SearchStatus
from oversight.statistics import statistics_compute
from tenants.context import agency_transaction
from tenants.models import TokenIssuer
from tenants.services import token_issue
from tests.access.test_role_matrix import a_search
from tests.conftest import Tenant


def _record(client: APIClient, search_id: Any, outcome: str = "confirmed") -> Any:
    return client.post(
        f"/api/v1/searches/{search_id}/candidates/1/outcome",
        {"outcome": outcome, "note": "Fingerprints from the scene matched."},
        format="json",
    )


def test_the_requester_records_a_leads_outcome_and_may_correct_it(
    db: None, tenant_a: Tenant
) -> None:
    user = tenant_a.users["supervisor"]
    before = statistics_compute(user=user).lead_outcomes
    search = a_search(tenant_a, tenant_a.users["investigator"], SearchStatus.REVIEWED, lead=True)
    first = _record(tenant_a.client("investigator"), search.id, "confirmed")
    assert first.status_code == 200, first.content
    assert first.json()["candidates"][0]["outcome"] == "confirmed"
    corrected = _record(tenant_a.client("supervisor"), search.id, "charged")
    assert corrected.status_code == 200, corrected.content
    with agency_transaction(tenant_a.agency.id):
        assert Candidate.objects.get(search=search, rank=1).outcome == "charged"
        events = list(
            AuditEvent.objects.filter(object_id=str(search.id), action="lead.outcome_recorded")
            .order_by("seq")
            .values_list("data", flat=True)
        )
    assert [(e["outcome"], e["previous"]) for e in events] == [
        ("confirmed", ""),
        ("charged", "confirmed"),
    ]
    after = statistics_compute(user=user).lead_outcomes
    assert after["charged"] - before.get("charged", 0) == 1
    assert after["confirmed"] - before.get("confirmed", 0) == 0  # the correction replaced it


def test_only_a_possible_match_has_an_outcome(db: None, tenant_a: Tenant) -> None:
    search = a_search(tenant_a, tenant_a.users["investigator"], SearchStatus.AWAITING_REVIEW)
    response = _record(tenant_a.client("investigator"), search.id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "candidate_not_a_lead"
    bad = tenant_a.client("investigator").post(
        f"/api/v1/searches/{search.id}/candidates/1/outcome",
        {"outcome": "arrested", "note": "x"},
        format="json",
    )
    assert bad.status_code == 400


def test_an_outcome_needs_a_second_factor(db: None, tenant_a: Tenant) -> None:
    search = a_search(tenant_a, tenant_a.users["investigator"], SearchStatus.REVIEWED, lead=True)
    client = APIClient()
    key = token_issue(user=tenant_a.users["investigator"], issued_via=TokenIssuer.PORTAL)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = _record(client, search.id)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_another_agencys_lead_is_not_found(db: None, tenant_a: Tenant, tenant_b: Tenant) -> None:
    search = a_search(tenant_b, tenant_b.users["investigator"], SearchStatus.REVIEWED, lead=True)
    assert _record(tenant_a.client("supervisor"), search.id).status_code == 404
