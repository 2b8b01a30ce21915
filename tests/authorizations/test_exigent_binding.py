"""An exigent approval holds only for the case, the officer and the purpose it was granted for.

An approval is entered for one case, one officer and one purpose, and a supervisor approves
exactly that. Relied on by another officer, for another case or for another purpose, the search
still goes through the policy, which denies it; the denial is stored and audited like any other.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from authorizations.models import ExigentApproval, RecordStatus
from authorizations.services import record_verify
from matching.models import Search, SearchStatus
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tests.authorizations.test_records import codes, enter, submit, third_party_gallery
from tests.conftest import Tenant

CASE = "2026-EX"
NOT_FOR_THIS_SEARCH = "exigent_approval_not_for_this_search"


def claim(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "case_number": CASE,
        "granted_to": tenant.users["investigator"].username,
        "purpose": "imminent_threat_to_life",
        "category": "child_at_imminent_risk",
        "reason": "Child taken from a schoolyard; the abductor was filmed leaving minutes ago.",
    }
    fields.update(overrides)
    return fields


def approved(tenant: Tenant, **overrides: Any) -> str:
    created = enter(tenant, "exigent-approvals", claim(tenant, **overrides), document=None)
    assert created.status_code == 201, created.content
    record_id = str(created.json()["id"])
    verified = tenant.client("supervisor").post(
        f"/api/v1/authorities/exigent-approvals/{record_id}/verify"
    )
    assert verified.status_code == 200, verified.content
    return record_id


def exigent_search(
    tenant: Tenant, approval_id: str, role: str = "investigator", **overrides: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "purpose": "imminent_threat_to_life",
        "offence": None,
        "case_number": CASE,
        "exigent_approval_id": approval_id,
    }
    fields.update(overrides)
    response = submit(tenant, role, **fields)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_the_officer_it_was_granted_to_may_rely_on_it_for_its_case_and_purpose(
    db: None, tenant_a: Tenant
) -> None:
    approval_id = approved(tenant_a)
    body = exigent_search(tenant_a, approval_id)
    assert body["status"] == SearchStatus.QUEUED, codes(body)
    assert "authority_exigent_circumstances" in codes(body)
    with agency_transaction(tenant_a.agency.id):
        stored = PolicyDecision.objects.get(id=body["decision"]["id"]).input
    assert stored["exigent"]["case_number"] == CASE
    assert stored["exigent"]["granted_to"] == tenant_a.users["investigator"].username
    assert stored["exigent"]["purpose"] == "imminent_threat_to_life"


@pytest.mark.parametrize("misuse", ["another_officer", "another_case", "another_purpose"])
def test_an_approval_relied_on_beyond_its_grant_is_denied_on_record(
    db: None, tenant_a: Tenant, misuse: str
) -> None:
    approval_id = approved(tenant_a)
    if misuse == "another_officer":
        body = exigent_search(tenant_a, approval_id, role="analyst")
    elif misuse == "another_case":
        body = exigent_search(tenant_a, approval_id, case_number="2026-UNRELATED")
    else:
        # A warrant-requiring search the exigent path could otherwise stand in for.
        body = exigent_search(
            tenant_a,
            approval_id,
            purpose="criminal_investigation",
            offence='{"code": "CC 344", "category": "robbery", "indictable": true}',
            gallery=third_party_gallery(tenant_a),
        )
    assert body["status"] == SearchStatus.DENIED
    assert NOT_FOR_THIS_SEARCH in codes(body)
    assert "authority_exigent_circumstances" not in codes(body)
    reason = next(r for r in body["decision"]["reasons"] if r["code"] == NOT_FOR_THIS_SEARCH)
    assert reason["message"].startswith("The exigent approval was granted for another case")
    assert "487.11" in reason["authority"]
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.select_related("decision").get(id=body["id"])
        decided = AuditEvent.objects.get(action="policy.decided", object_id=str(search.decision_id))
        denied = AuditEvent.objects.get(action="search.denied", object_id=str(search.id))
    assert search.exigent_record_id is not None and str(search.exigent_record_id) == approval_id
    assert search.decision is not None and search.decision.allow is False
    assert decided.data["allow"] is False
    stored = {r["code"]: r for r in search.decision.reasons}
    assert stored[NOT_FOR_THIS_SEARCH]["rule"] == "E-09"
    assert NOT_FOR_THIS_SEARCH in decided.data["codes"]
    assert NOT_FOR_THIS_SEARCH in denied.data["codes"]


def test_the_approval_must_name_its_case_officer_and_purpose(db: None, tenant_a: Tenant) -> None:
    with agency_transaction(tenant_a.agency.id):
        before = ExigentApproval.objects.count()
    full = claim(tenant_a)
    for field in ("case_number", "granted_to", "purpose"):
        partial = {k: v for k, v in full.items() if k != field}
        response = enter(tenant_a, "exigent-approvals", partial, document=None)
        assert response.status_code == 400, field
        assert field in response.json()["error"]["fields"], field
    with agency_transaction(tenant_a.agency.id):
        assert ExigentApproval.objects.count() == before


def test_the_record_shows_and_audits_what_it_was_granted_for(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "exigent-approvals", claim(tenant_a), document=None)
    assert created.status_code == 201, created.content
    body = created.json()
    grantee = tenant_a.users["investigator"].username
    assert (body["case_number"], body["granted_to"], body["purpose"]) == (
        CASE,
        grantee,
        "imminent_threat_to_life",
    )
    listed = (
        tenant_a.client("supervisor")
        .get("/api/v1/authorities/exigent-approvals", {"case_number": CASE})
        .json()["results"]
    )
    assert {r["granted_to"] for r in listed if r["id"] == body["id"]} == {grantee}
    by_sergeant = enter(
        tenant_a, "exigent-approvals", claim(tenant_a), document=None, role="supervisor"
    ).json()
    own = tenant_a.client("investigator").get("/api/v1/authorities/exigent-approvals").json()
    assert by_sergeant["id"] in {r["id"] for r in own["results"]}
    with agency_transaction(tenant_a.agency.id):
        entered = AuditEvent.objects.get(action="exigent_approval.entered", object_id=body["id"])
    assert entered.data["case_number"] == CASE
    assert entered.data["granted_to"] == grantee
    assert entered.data["purpose"] == "imminent_threat_to_life"


@pytest.mark.parametrize("who", ["nobody", "other_agency", "supervisor", "auditor"])
def test_only_an_investigator_or_analyst_of_the_agency_can_be_granted_one(
    db: None, tenant_a: Tenant, tenant_b: Tenant, who: str
) -> None:
    username = {
        "nobody": "no-such-officer",
        "other_agency": tenant_b.users["investigator"].username,
        "supervisor": tenant_a.users["supervisor"].username,
        "auditor": tenant_a.users["auditor"].username,
    }[who]
    with agency_transaction(tenant_a.agency.id):
        before = ExigentApproval.objects.count()
    response = enter(
        tenant_a, "exigent-approvals", claim(tenant_a, granted_to=username), document=None
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "exigent_grantee_invalid"
    assert "granted_to" in error["fields"]
    with agency_transaction(tenant_a.agency.id):
        assert ExigentApproval.objects.count() == before


def test_a_prohibited_or_unknown_purpose_cannot_be_granted(db: None, tenant_a: Tenant) -> None:
    for purpose in ("employment_screening", "mass_identification"):
        response = enter(
            tenant_a, "exigent-approvals", claim(tenant_a, purpose=purpose), document=None
        )
        assert response.status_code == 400, purpose
        assert "purpose" in response.json()["error"]["fields"]


def test_a_supervisor_cannot_approve_an_approval_granted_to_them(
    db: None, tenant_a: Tenant
) -> None:
    from tenants.services import user_create

    sergeant = user_create(
        agency=tenant_a.agency,
        username=f"{tenant_a.agency.id}_sgt_inv",
        roles=["supervisor", "investigator"],
    )
    created = enter(
        tenant_a, "exigent-approvals", claim(tenant_a, granted_to=sergeant.username), document=None
    ).json()
    with agency_transaction(tenant_a.agency.id):
        record = ExigentApproval.objects.get(id=created["id"])
    with pytest.raises(ApiError) as refused:
        record_verify(user=sergeant, record=record)
    assert refused.value.error_code == "self_verification_refused"
    with agency_transaction(tenant_a.agency.id):
        record.refresh_from_db()
    assert record.status == RecordStatus.PENDING


def test_an_approval_without_a_recorded_purpose_is_denied_not_an_error(
    db: None, tenant_a: Tenant
) -> None:
    """A row entered before approvals named their purpose goes to the policy and is denied."""
    approval_id = approved(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        ExigentApproval.objects.filter(id=approval_id).update(purpose="")
    body = exigent_search(tenant_a, approval_id)
    assert body["status"] == SearchStatus.DENIED
    assert NOT_FOR_THIS_SEARCH in codes(body)


def test_who_may_not_enter_an_approval_learns_nothing_about_the_officer_named(
    db: None, tenant_a: Tenant
) -> None:
    for username in (tenant_a.users["investigator"].username, "no-such-officer"):
        response = enter(
            tenant_a,
            "exigent-approvals",
            claim(tenant_a, granted_to=username),
            document=None,
            role="auditor",
        )
        assert response.status_code == 403, username
        assert response.json()["error"]["code"] == "permission_denied"
