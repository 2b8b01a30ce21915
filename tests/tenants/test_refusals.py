"""Every refusal on record, throttling, and response hygiene (no-store, Location)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tenants.refusals import AUTH_FAILED, PLATFORM_CHAIN
from tenants.services import token_revoke
from tenants.throttles import AuthFailureRateThrottle, ScopedUserRateThrottle
from tests.authorizations.test_records import PDF, enter, warrant_fields
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def events(agency_id: str, action: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(AuditEvent.objects.filter(agency_id=agency_id, action=action).order_by("seq"))


def bad_client(key: str, source: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=source)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_flood_of_bad_tokens_is_on_record_without_filling_the_trail(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        AuthFailureRateThrottle,
        "THROTTLE_RATES",
        {**AuthFailureRateThrottle.THROTTLE_RATES, "auth_failure": "1000/min"},
    )
    source = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    before = len(events(PLATFORM_CHAIN, AUTH_FAILED))
    for n in range(120):
        response = bad_client(f"prb_flood{n % 3}xx{uuid.uuid4().hex}", source).get(
            "/api/v1/galleries"
        )
        assert response.status_code == 401
    written = [
        e for e in events(PLATFORM_CHAIN, AUTH_FAILED)[before:] if e.data["source"] == source
    ]
    # 120 failures from one address under three shown prefixes, 40 each: an event at the 1st
    # and the 10th failure of each prefix, so six events in all, each carrying its count.
    assert sorted((e.data["token_prefix"], e.data["failures_in_window"]) for e in written) == [
        (f"prb_flood{p}xx", n) for p in range(3) for n in (1, 10)
    ]
    assert {e.data["reason"] for e in written} == {"unknown"}


def test_a_revoked_token_is_refused_on_the_agencys_own_record(db: None, tenant_a: Tenant) -> None:
    from tenants.models import TokenIssuer
    from tenants.selectors import token_list
    from tenants.services import token_issue

    user = tenant_a.users["analyst"]
    key = token_issue(user=user, issued_via=TokenIssuer.AGENCY_ADMIN, label="to revoke")
    token = next(
        t
        for t in token_list(agency=tenant_a.agency, user_id=user.pk)
        if key.startswith(t.prefix) and t.label == "to revoke"
    )
    assert token_revoke(agency=tenant_a.agency, token_id=token.pk, actor="test")
    response = bad_client(key, "203.0.113.7").get("/api/v1/galleries")
    assert response.status_code == 401
    refused = [
        e for e in events(tenant_a.agency.id, AUTH_FAILED) if e.data["token_prefix"] == key[:12]
    ]
    assert [e.data["reason"] for e in refused] == ["revoked"]


def test_bad_tokens_from_one_address_are_throttled_with_retry_after(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        AuthFailureRateThrottle,
        "THROTTLE_RATES",
        {**AuthFailureRateThrottle.THROTTLE_RATES, "auth_failure": "5/min"},
    )
    source = "192.0.2.44"
    statuses = [
        bad_client(f"prb_{uuid.uuid4().hex}", source).get("/api/v1/galleries") for _ in range(8)
    ]
    assert [r.status_code for r in statuses] == [401] * 5 + [429] * 3
    assert int(statuses[-1]["Retry-After"]) > 0
    assert statuses[-1].json()["error"]["code"] == "throttled"
    # Another address is not affected.
    assert bad_client("prb_other", "192.0.2.45").get("/api/v1/galleries").status_code == 401


def test_search_submissions_are_throttled_per_user(
    db: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ScopedUserRateThrottle,
        "THROTTLE_RATES",
        {**ScopedUserRateThrottle.THROTTLE_RATES, "search": "2/min"},
    )
    client = tenant_a.client("analyst")
    statuses = [
        client.post("/api/v1/searches", {}, format="multipart").status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    # Reading is not a submission.
    assert client.get("/api/v1/galleries").status_code == 200


def test_evaluate_is_throttled_per_user(
    db: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ScopedUserRateThrottle,
        "THROTTLE_RATES",
        {**ScopedUserRateThrottle.THROTTLE_RATES, "evaluate": "1/min"},
    )
    client = tenant_a.client("compliance_officer")
    first = client.post("/api/v1/policy/evaluate", {}, format="json")
    second = client.post("/api/v1/policy/evaluate", {}, format="json")
    assert first.status_code != 429
    assert second.status_code == 429


def test_a_role_refusal_is_on_record(db: None, tenant_a: Tenant) -> None:
    before = len(events(tenant_a.agency.id, "request.refused"))
    response = tenant_a.client("auditor").get("/api/v1/tokens")
    assert response.status_code == 403
    refused = events(tenant_a.agency.id, "request.refused")[before:]
    assert [(e.actor, e.data["status"], e.data["path"]) for e in refused] == [
        (tenant_a.users["auditor"].username, 403, "/api/v1/tokens")
    ]


def test_another_agencys_id_is_a_404_on_record(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    created = enter(tenant_a, "warrants", warrant_fields())
    record_id = created.json()["id"]
    before = len(events(tenant_b.agency.id, "request.refused"))
    response = tenant_b.client().get(f"/api/v1/authorities/warrants/{record_id}")
    assert response.status_code == 404
    refused = events(tenant_b.agency.id, "request.refused")[before:]
    assert [(e.data["status"], e.data["code"]) for e in refused] == [(404, "record_not_found")]


def test_reading_an_authority_record_and_its_document_is_on_record(
    db: None, tenant_a: Tenant
) -> None:
    record_id = enter(tenant_a, "warrants", warrant_fields()).json()["id"]
    client = tenant_a.client("supervisor")
    assert client.get(f"/api/v1/authorities/warrants/{record_id}").status_code == 200
    assert client.get(f"/api/v1/authorities/warrants/{record_id}/document").content == PDF
    viewed = [e for e in events(tenant_a.agency.id, "warrant.viewed") if e.object_id == record_id]
    downloaded = [
        e
        for e in events(tenant_a.agency.id, "warrant.document_downloaded")
        if e.object_id == record_id
    ]
    assert [e.actor for e in viewed] == [tenant_a.users["supervisor"].username]
    assert [e.data["sha256"] for e in downloaded] == [__import__("hashlib").sha256(PDF).hexdigest()]


def test_created_records_point_at_a_url_that_answers(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "warrants", warrant_fields())
    assert created.status_code == 201
    location = created["Location"]
    assert location == f"/api/v1/authorities/warrants/{created.json()['id']}"
    assert tenant_a.client().get(location).status_code == 200


def test_personal_data_is_never_stored_by_caches(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "warrants", warrant_fields())
    record_id = created.json()["id"]
    client = tenant_a.client()
    for response in (
        created,
        client.get(f"/api/v1/authorities/warrants/{record_id}"),
        client.get(f"/api/v1/authorities/warrants/{record_id}/document"),
        client.get("/api/v1/galleries"),
        client.get("/api/v1/searches/00000000-0000-0000-0000-000000000000"),
    ):
        assert "no-store" in response["Cache-Control"], response.wsgi_request.path


def test_one_agencys_users_share_a_budget_that_spares_other_agencies(
    db: None, tenant_a: Tenant, tenant_b: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenants.throttles import AgencyRateThrottle

    monkeypatch.setattr(
        AgencyRateThrottle,
        "THROTTLE_RATES",
        {**AgencyRateThrottle.THROTTLE_RATES, "agency": "3/min"},
    )
    statuses = [
        tenant_a.client(role).get("/api/v1/galleries").status_code
        for role in ("investigator", "analyst", "supervisor", "auditor")
    ]
    assert statuses == [200, 200, 200, 429]
    assert tenant_b.client().get("/api/v1/galleries").status_code == 200


def test_each_user_has_a_budget_of_their_own(
    db: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenants.throttles import UserRateThrottle

    monkeypatch.setattr(
        UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "2/min"}
    )
    client = tenant_a.client("analyst")
    assert [client.get("/api/v1/galleries").status_code for _ in range(3)] == [200, 200, 429]
    assert tenant_a.client("supervisor").get("/api/v1/galleries").status_code == 200


def test_a_refused_submission_is_on_record(db: None, tenant_a: Tenant) -> None:
    before = len(events(tenant_a.agency.id, "request.refused"))
    response = tenant_a.client().post(
        "/api/v1/searches", {"gallery": "booking"}, format="multipart"
    )
    assert response.status_code == 400
    refused = events(tenant_a.agency.id, "request.refused")[before:]
    assert [(e.data["status"], e.data["code"], e.data["method"]) for e in refused] == [
        (400, response.json()["error"]["code"], "POST")
    ]
    # A read that fails validation is not a submission.
    assert tenant_a.client("agency_admin").get("/api/v1/tokens?user=x").status_code == 404
