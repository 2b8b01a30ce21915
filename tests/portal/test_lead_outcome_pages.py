"""A lead's outcome on the candidate page: once confirmed a possible match, by whom, history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.portal.test_reviews import a_finished_search, confirm, events, page_of, review, signed

pytestmark = pytest.mark.django_db


def outcome(client: Any, search: Any, value: str, note: str = "", rank: int = 1) -> Any:
    return client.post(f"{page_of(search, rank)}/outcome", {"outcome": value, "note": note})


def outcome_of(tenant: Tenant, search: Any, rank: int = 1) -> str:
    from matching.models import Candidate
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return Candidate.objects.get(search_id=search.id, rank=rank).outcome


def test_the_requester_records_a_leads_outcome_after_a_confirmed_match(tenant_a: Tenant) -> None:
    client, staff = signed(tenant_a)
    boss, boss_staff = signed(tenant_a, "supervisor")
    confirm(boss, boss_staff)  # a second review asks to confirm who one is
    search = a_finished_search(tenant_a, staff.user)
    # No lead yet: neither the section nor the service takes an outcome.
    review(client, search, 1, "possible_match")
    assert "outcome-form" not in client.get(page_of(search)).content.decode()
    early = outcome(client, search, "confirmed")
    assert early.status_code == 409
    assert "Only a confirmed possible match is a lead." in early.content.decode()
    assert outcome_of(tenant_a, search) == ""

    assert review(boss, search, 1, "possible_match").status_code == 302
    page = client.get(page_of(search)).content.decode()
    assert "outcome-form" in page and 'data-outcome=""' in page
    assert "No outcome recorded yet." in page
    assert outcome(client, search, "arrested").status_code == 400
    done = outcome(client, search, "confirmed", "Fingerprints matched on file.")
    assert done.status_code == 302 and done["Location"] == page_of(search)
    assert outcome_of(tenant_a, search) == "confirmed"
    # Corrected later: the latest counts, the history keeps both, newest first.
    assert outcome(boss, search, "charged", "Charged with robbery.").status_code == 302
    page = client.get(page_of(search)).content.decode()
    assert 'data-outcome="charged"' in page and "Person charged" in page
    assert page.index('data-outcome-entry="charged"') < page.index('data-outcome-entry="confirmed"')
    assert "Fingerprints matched on file." in page and "was: Identity confirmed" in page
    recorded = events(tenant_a, search, "lead.outcome_recorded")
    assert [(e.data["outcome"], e.data["previous"]) for e in recorded] == [
        ("confirmed", ""),
        ("charged", "confirmed"),
    ]
    assert recorded[0].actor == staff.user.username

    # A not-a-match is no lead: no section on rank 2.
    review(client, search, 2, "not_a_match")
    review(boss, search, 2, "not_a_match")
    assert "outcome-form" not in client.get(page_of(search, 2)).content.decode()
    assert outcome(client, search, "excluded", rank=2).status_code == 409


def test_roles_that_may_not_record_an_outcome_are_refused(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    client, staff = signed(tenant_a)
    boss, boss_staff = signed(tenant_a, "supervisor")
    confirm(boss, boss_staff)  # a second review asks to confirm who one is
    search = a_finished_search(tenant_a, staff.user)
    review(client, search, 1, "possible_match")
    assert review(boss, search, 1, "possible_match")["Location"] == page_of(search)
    colleague, _ = signed(tenant_a, "analyst")  # casework of their own only
    admin, _ = signed(tenant_a, "agency_admin")
    foreign, _ = signed(tenant_b, "supervisor")
    assert outcome(colleague, search, "confirmed").status_code == 403
    assert outcome(admin, search, "confirmed").status_code == 403
    assert outcome(foreign, search, "confirmed").status_code == 404
    untrained, _ = signed(tenant_a, "supervisor", trained=False)
    refused = outcome(untrained, search, "confirmed")
    assert refused.status_code == 403
    assert "Current facial recognition training is required." in refused.content.decode()
    assert outcome_of(tenant_a, search) == ""
    assert events(tenant_a, search, "lead.outcome_recorded") == []
