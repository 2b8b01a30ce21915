"""``POST /api/v1/policy/evaluate``: a dry run for compliance officers and auditors."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from audit.models import AuditEvent
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tests.conftest import Tenant


def policy_input(agency_id: str, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "now": "2026-11-26T15:00:00Z",
        "user": {
            "id": "officer",
            "agency_id": agency_id,
            "roles": ["investigator"],
            "training_completed": True,
            "training_expires_at": "2027-06-01T00:00:00Z",
            "mfa_verified": True,
        },
        "agency": {
            "id": agency_id,
            "name": "Test",
            "kind": "municipal",
            "jurisdiction": "CA-ON",
            "municipality": "Toronto",
            "service_area_municipalities": [],
            "pia_completed": True,
            "cai_disclosure_filed": False,
            "fr_program_approved": True,
        },
        "purpose": "criminal_investigation",
        "offence": {"code": "CC 344", "category": "robbery", "indictable": True},
        "case_number": "2026-1",
        "justification": "Robbery suspect on CCTV; no other leads.",
        "warrant": None,
        "exigent": {"claimed": False},
        "interagency": None,
        "probe": {
            "source": "cctv",
            "collected_in": "CA-ON",
            "collected_municipality": "Toronto",
            "subject_believed_minor": False,
            "captured_at": "2026-11-20T10:00:00-05:00",
        },
        "gallery": {
            "id": "booking",
            "owner_agency_id": agency_id,
            "owner_jurisdiction": "CA-ON",
            "legal_basis": "identification_of_criminals_act",
            "contains_youth_records": False,
            "ycja_access_period_enforced": False,
            "shared_with": [],
            "sharing_agreement_id": "",
            "cai_disclosure_filed": False,
            "consent_express": False,
            "authorized_case_number": "",
        },
    }
    document.update(copy.deepcopy(overrides))
    return document


@pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
def test_dry_run_returns_the_decision_and_records_it(db: None, tenant_a: Tenant, role: str) -> None:
    response = tenant_a.client(role).post(
        "/api/v1/policy/evaluate", policy_input(tenant_a.agency.id), format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allow"] is True
    assert [r["code"] for r in body["reasons"]] == ["authority_no_warrant_required"]
    assert body["obligations"]["max_candidates"] == 20
    with agency_transaction(tenant_a.agency.id):
        record = PolicyDecision.objects.get(id=body["decision_id"])
        event = AuditEvent.objects.get(object_id=body["decision_id"])
    assert record.search_id is None
    assert event.data["purpose"] == "dry_run"


def test_dry_run_reports_every_reason_of_a_deny(db: None, tenant_a: Tenant) -> None:
    document = policy_input(tenant_a.agency.id, purpose="protest_monitoring", case_number=" ")
    body = (
        tenant_a.client("compliance_officer")
        .post("/api/v1/policy/evaluate", document, format="json")
        .json()
    )
    assert body["allow"] is False
    assert {"purpose_prohibited", "case_number_missing"} <= {r["code"] for r in body["reasons"]}


@pytest.mark.parametrize("role", ["investigator", "analyst", "supervisor", "agency_admin"])
def test_other_roles_cannot_dry_run(db: None, tenant_a: Tenant, role: str) -> None:
    response = tenant_a.client(role).post(
        "/api/v1/policy/evaluate", policy_input(tenant_a.agency.id), format="json"
    )
    assert response.status_code == 403


def test_dry_run_for_another_agency_is_refused(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    response = tenant_b.client("compliance_officer").post(
        "/api/v1/policy/evaluate", policy_input(tenant_a.agency.id), format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "agency_mismatch"


@pytest.mark.parametrize("payload", [[1, 2], "text"])
def test_a_body_that_is_not_an_object_is_a_400(db: None, tenant_a: Tenant, payload: Any) -> None:
    response = tenant_a.client("compliance_officer").post(
        "/api/v1/policy/evaluate", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
