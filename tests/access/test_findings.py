"""The security review's findings on need-to-know inside an agency, each refused or detected.

Finding 5: anyone could choose the face of someone else's search, and it ran on the original
decision even after the requester's training was deleted. Finding 7: every role read candidate
names. (Finding 8, review independence, is in ``tests/matching/test_reviews.py``.)
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from matching.models import Probe, Search, SearchStatus
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tenants.models import TokenIssuer
from tenants.services import token_issue, training_record_add, user_create
from tests.access.test_role_matrix import a_search
from tests.conftest import Tenant


def _choose(client: APIClient, search: Search, face: int = 1) -> Any:
    return client.post(f"/api/v1/searches/{search.id}/face-choice", {"face": face}, format="json")


def _waiting(tenant: Tenant, role: str = "investigator") -> Search:
    return a_search(
        tenant, tenant.users[role], SearchStatus.AWAITING_FACE_CHOICE, candidates=False, faces=True
    )


@pytest.mark.parametrize("role", ["agency_admin", "auditor", "compliance_officer", "analyst"])
def test_only_the_requester_or_a_supervisor_chooses_the_face(
    db: None, tenant_a: Tenant, role: str
) -> None:
    search = _waiting(tenant_a)
    response = _choose(tenant_a.client(role), search)
    assert response.status_code == 403
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.get(id=search.id).status == SearchStatus.AWAITING_FACE_CHOICE
        refusal = AuditEvent.objects.filter(
            action="request.refused", object_id=f"/api/v1/searches/{search.id}/face-choice"
        )
        assert refusal.exists()


def test_a_face_choice_needs_a_second_factor(db: None, tenant_a: Tenant) -> None:
    search = _waiting(tenant_a)
    client = APIClient()
    key = token_issue(user=tenant_a.users["investigator"], issued_via=TokenIssuer.PORTAL)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = _choose(client, search)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_the_choice_asks_the_policy_again_and_records_the_new_decision(
    db: None, tenant_a: Tenant
) -> None:
    search = _waiting(tenant_a)
    response = _choose(tenant_a.client("supervisor"), search)
    assert response.status_code == 202, response.content
    with agency_transaction(tenant_a.agency.id):
        found = Search.objects.get(id=search.id)
        decisions = PolicyDecision.objects.filter(search_id=search.id)
        assert decisions.count() == 1 and decisions.get().allow
        assert found.decision_id == decisions.get().id
        assert found.status == SearchStatus.QUEUED and found.face_choice == 1
        chosen = AuditEvent.objects.get(object_id=str(search.id), action="search.face_chosen")
        assert chosen.data["decision_id"] == str(found.decision_id)


def test_a_requester_whose_training_lapsed_is_denied_at_the_choice(
    db: None, tenant_a: Tenant
) -> None:
    requester = user_create(
        agency=tenant_a.agency, username=f"lapse_{uuid.uuid4().hex[:8]}", roles=["investigator"]
    )
    now = timezone.now()
    # Trained when the search was submitted, lapsed by the time the face is chosen.
    training_record_add(
        user=requester,
        course="FR",
        completed_at=now - timedelta(days=400),
        expires_at=now - timedelta(days=1),
    )
    search = a_search(
        tenant_a, requester, SearchStatus.AWAITING_FACE_CHOICE, candidates=False, faces=True
    )
    response = _choose(tenant_a.client("supervisor"), search)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == SearchStatus.DENIED
    with agency_transaction(tenant_a.agency.id):
        found = Search.objects.get(id=search.id)
        assert found.status == SearchStatus.DENIED
        assert found.decision is not None and not found.decision.allow
        codes = [r["code"] for r in found.decision.reasons]
        assert any("training" in code for code in codes), codes
        assert Probe.objects.get(search_id=search.id).content is None
        assert AuditEvent.objects.filter(
            object_id=str(search.id), action="search.face_choice_denied"
        ).exists()


def test_auditors_read_a_searchs_record_without_a_name(db: None, tenant_a: Tenant) -> None:
    search = a_search(tenant_a, tenant_a.users["investigator"], SearchStatus.AWAITING_REVIEW)
    for role in ("auditor", "compliance_officer"):
        body = tenant_a.client(role).get(f"/api/v1/searches/{search.id}").json()
        assert body["status"] == SearchStatus.AWAITING_REVIEW
        assert body["candidates"] == [] and body["candidates_withheld"] is True
        assert "obama" not in str(body)
    with agency_transaction(tenant_a.agency.id):
        assert not AuditEvent.objects.filter(
            object_id=str(search.id), action="candidates.viewed"
        ).exists()
    admin = tenant_a.client("agency_admin").get(f"/api/v1/searches/{search.id}")
    assert admin.status_code == 403
    own = tenant_a.client("investigator").get(f"/api/v1/searches/{search.id}").json()
    assert [c["subject_ref"] for c in own["candidates"]] == ["obama"]
    assert own["candidates_withheld"] is False
