"""OPA decision-log uploads land in each agency's audit chain, once, and only with the token."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.verification import audit_chain_verify
from policy.decision_logs import ACTION
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tests.conftest import Tenant

URL = "/api/v1/policy/decision-logs"
TOKEN = "opa-service-token-for-tests"


@pytest.fixture
def opa(settings: Any) -> APIClient:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def event(agency_id: str, decision_id: str | None = None, allow: bool = True) -> dict[str, Any]:
    return {
        "decision_id": decision_id or str(uuid.uuid4()),
        "path": "fr/main/decision",
        "bundles": {"probity": {"revision": "sha256:abc"}},
        "input": {"agency": {"id": agency_id}, "purpose": "criminal_investigation"},
        "result": {"allow": allow, "reasons": [{"code": "authority_no_warrant_required"}],
                   "obligations": {}},
        "timestamp": "2026-11-26T15:00:00.123456Z",
    }


def upload(client: APIClient, events: Any, *, compress: bool = True) -> Any:
    body = json.dumps(events).encode()
    if compress:
        body = gzip.compress(body)
    headers = {"Content-Encoding": "gzip"} if compress else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


def logged(agency_id: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(AuditEvent.objects.filter(agency_id=agency_id, action=ACTION))


def test_a_batch_is_recorded_per_agency_and_matched_with_our_decisions(
    db: None, opa: APIClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    ours = str(uuid.uuid4())
    with agency_transaction(tenant_a.agency.id):
        PolicyDecision.objects.create(
            agency=tenant_a.agency, engine="opa-rest", engine_decision_id=ours,
            bundle_revision="sha256:abc", input={}, input_digest="0" * 64, allow=True,
            latency_ms=3.0)
    batch = [event(tenant_a.agency.id, ours), event(tenant_a.agency.id),
             event(tenant_b.agency.id, allow=False), event("no_such_agency")]
    response = upload(opa, batch)
    assert response.status_code == 200, response.content
    assert response.json() == {"recorded": 3, "duplicates": 0, "unattributed": 1}
    a_events = {e.object_id: e for e in logged(tenant_a.agency.id)}
    assert a_events[ours].data["recorded_by_service"] is True
    assert a_events[batch[1]["decision_id"]].data["recorded_by_service"] is False
    assert a_events[ours].data["revisions"] == {"probity": "sha256:abc"}
    assert batch[2]["decision_id"] not in a_events  # B's decision is in B's chain only
    assert [e.object_id for e in logged(tenant_b.agency.id)] == [batch[2]["decision_id"]]
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok


def test_a_resent_batch_adds_nothing(db: None, opa: APIClient, tenant_a: Tenant) -> None:
    batch = [event(tenant_a.agency.id), event(tenant_a.agency.id)]
    assert upload(opa, batch).json()["recorded"] == 2
    assert upload(opa, batch).json() == {"recorded": 0, "duplicates": 2, "unattributed": 0}


def test_plain_json_is_accepted_too(db: None, opa: APIClient, tenant_a: Tenant) -> None:
    response = upload(opa, [event(tenant_a.agency.id)], compress=False)
    assert response.json()["recorded"] == 1


@pytest.mark.parametrize(
    "body",
    [b"not gzip and not json", gzip.compress(b"{\"not\": \"an array\"}"),
     gzip.compress(b"[{\"no\": \"decision id\"}]"), b"\x1f\x8b\x08 truncated gzip"],
)
def test_malformed_batches_are_refused(db: None, opa: APIClient, body: bytes) -> None:
    response = opa.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_without_the_service_token_nothing_is_recorded(
    db: None, settings: Any, tenant_a: Tenant
) -> None:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    before = len(logged(tenant_a.agency.id))
    anonymous = upload(APIClient(), [event(tenant_a.agency.id)])
    assert anonymous.status_code == 401
    user_token = upload(tenant_a.client("compliance_officer"), [event(tenant_a.agency.id)])
    assert user_token.status_code == 401
    assert len(logged(tenant_a.agency.id)) == before
    settings.POLICY_BUNDLE_TOKEN = ""
    assert upload(APIClient(), [event(tenant_a.agency.id)]).status_code == 404
