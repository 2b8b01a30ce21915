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
from policy.decision_logs import ACTION, decision_log_key
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tests.conftest import Tenant

URL = "/api/v1/policy/decision-logs"
TOKEN = "opa-service-token-for-tests"


@pytest.fixture
def opa(settings: Any) -> APIClient:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    settings.OPA_DECISION_LOG_TOKENS = {}
    settings.OPA_DECISION_LOG_AGENCIES = frozenset({"*"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def event(agency_id: str, decision_id: str | None = None, allow: bool = True) -> dict[str, Any]:
    return {
        "decision_id": decision_id or str(uuid.uuid4()),
        "path": "fr/main/decision",
        "bundles": {"probity": {"revision": "sha256:abc"}},
        "input": {"agency": {"id": agency_id}, "purpose": "criminal_investigation"},
        "result": {
            "allow": allow,
            "reasons": [{"code": "authority_no_warrant_required"}],
            "obligations": {},
        },
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
            agency=tenant_a.agency,
            engine="opa-rest",
            engine_decision_id=ours,
            bundle_revision="sha256:abc",
            input={},
            input_digest="0" * 64,
            allow=True,
            latency_ms=3.0,
        )
    batch = [
        event(tenant_a.agency.id, ours),
        event(tenant_a.agency.id),
        event(tenant_b.agency.id, allow=False),
        event("no_such_agency"),
    ]
    response = upload(opa, batch)
    assert response.status_code == 200, response.content
    assert response.json() == {"recorded": 3, "duplicates": 0, "unattributed": 1, "refused": 0}
    a_events = {e.data["decision_id"]: e for e in logged(tenant_a.agency.id)}
    assert a_events[ours].data["recorded_by_service"] is True
    assert a_events[batch[1]["decision_id"]].data["recorded_by_service"] is False
    assert a_events[ours].data["revisions"] == {"probity": "sha256:abc"}
    assert batch[2]["decision_id"] not in a_events  # B's decision is in B's chain only
    assert [e.data["decision_id"] for e in logged(tenant_b.agency.id)] == [batch[2]["decision_id"]]
    assert logged(tenant_b.agency.id)[0].object_id == decision_log_key(batch[2]["decision_id"])
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok


def test_a_resent_batch_adds_nothing(db: None, opa: APIClient, tenant_a: Tenant) -> None:
    batch = [event(tenant_a.agency.id), event(tenant_a.agency.id)]
    assert upload(opa, batch).json()["recorded"] == 2
    assert upload(opa, batch).json() == {
        "recorded": 0,
        "duplicates": 2,
        "unattributed": 0,
        "refused": 0,
    }


def test_plain_json_is_accepted_too(db: None, opa: APIClient, tenant_a: Tenant) -> None:
    response = upload(opa, [event(tenant_a.agency.id)], compress=False)
    assert response.json()["recorded"] == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip and not json",
        gzip.compress(b'{"not": "an array"}'),
        gzip.compress(b'[{"no": "decision id"}]'),
        b"\x1f\x8b\x08 truncated gzip",
    ],
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


# Full-length ids, bounded transactions, tokens limited to the agencies they represent


def test_long_decision_ids_are_matched_and_deduplicated_in_full(
    db: None, opa: APIClient, tenant_a: Tenant
) -> None:
    stem = "x" * 120
    first, second = f"{stem}-first", f"{stem}-second"
    with agency_transaction(tenant_a.agency.id):
        PolicyDecision.objects.create(
            agency_id=tenant_a.agency.id,
            engine="opa-rest",
            engine_decision_id=first,
            bundle_revision="sha256:abc",
            input={},
            input_digest="0" * 64,
            allow=True,
            latency_ms=1.0,
        )
    response = upload(opa, [event(tenant_a.agency.id, first), event(tenant_a.agency.id, second)])
    assert response.status_code == 200, response.content
    assert response.json()["recorded"] == 2
    mine = {
        e.data["decision_id"]: e
        for e in logged(tenant_a.agency.id)
        if e.data.get("decision_id", "").startswith(stem)
    }
    assert set(mine) == {first, second}
    assert mine[first].data["recorded_by_service"] is True
    assert mine[second].data["recorded_by_service"] is False
    again = upload(opa, [event(tenant_a.agency.id, second)])
    assert again.json() == {"recorded": 0, "duplicates": 1, "unattributed": 0, "refused": 0}


def test_a_large_batch_is_recorded_in_bounded_transactions(
    db: None, opa: APIClient, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policy.decision_logs as ingest

    sizes: list[int] = []
    real_record = ingest.audit_record  # type: ignore[attr-defined]
    current = {"n": 0}

    def counting_transaction(agency_id: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def block() -> Any:
            current["n"] = 0
            with agency_transaction(agency_id):
                yield
            sizes.append(current["n"])

        return block()

    def counting_record(**kwargs: Any) -> Any:
        current["n"] += 1
        return real_record(**kwargs)

    monkeypatch.setattr(ingest, "agency_transaction", counting_transaction)
    monkeypatch.setattr(ingest, "audit_record", counting_record)
    count = ingest.DECISION_LOG_EVENTS_PER_TRANSACTION * 2 + 7
    response = upload(opa, [event(tenant_a.agency.id) for _ in range(count)])
    assert response.json()["recorded"] == count
    assert sum(sizes) == count
    assert max(sizes) <= ingest.DECISION_LOG_EVENTS_PER_TRANSACTION
    assert len(sizes) >= 3


def test_a_token_writes_only_the_agencies_it_represents(
    db: None, settings: Any, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    settings.OPA_DECISION_LOG_TOKENS = {"token-for-a": frozenset({tenant_a.agency.id})}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer token-for-a")
    before_b = len(logged(tenant_b.agency.id))
    response = upload(client, [event(tenant_a.agency.id), event(tenant_b.agency.id)])
    assert response.status_code == 200
    assert response.json() == {"recorded": 1, "duplicates": 0, "unattributed": 0, "refused": 1}
    assert len(logged(tenant_b.agency.id)) == before_b
    with agency_transaction("_platform"):
        refused = list(
            AuditEvent.objects.filter(agency_id="_platform", action="opa.decision_log_refused")
        )
    assert (refused[-1].data["agencies"], refused[-1].data["events"]) == ([tenant_b.agency.id], 1)
    # The bundle token is not a decision-log token once a map is configured.
    bundle_client = APIClient()
    bundle_client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert upload(bundle_client, [event(tenant_a.agency.id)]).status_code == 401


def test_the_bundle_token_alone_represents_only_the_configured_agencies(
    db: None, settings: Any, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    settings.OPA_DECISION_LOG_TOKENS = {}
    settings.OPA_DECISION_LOG_AGENCIES = frozenset()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = upload(client, [event(tenant_a.agency.id)])
    assert response.json()["refused"] == 1
