"""Credential lifecycle for agency admins: tokens expire, are listed, revoked, rotated; users
are disabled. The acting agency only; each change audited."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tenants.models import TokenIssuer
from tenants.services import token_issue, user_create
from tests.conftest import Tenant

NON_ADMINS = ["investigator", "analyst", "supervisor", "compliance_officer", "auditor"]


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    status = key_client(key).get("/api/v1/galleries").status_code
    assert status in (200, 401)
    return status == 200


def actions(tenant: Tenant, object_type: str, object_id: str) -> list[str]:
    with agency_transaction(tenant.agency.id):
        return list(
            AuditEvent.objects.filter(
                agency_id=tenant.agency.id, object_id=object_id, object_type=object_type
            )
            .order_by("seq")
            .values_list("action", flat=True)
        )


def new_user(tenant: Tenant, role: str = "analyst") -> Any:
    return user_create(agency=tenant.agency, username=f"u_{uuid.uuid4().hex[:10]}", roles=[role])


def issue(tenant: Tenant, user_id: int, **extra: Any) -> Any:
    return tenant.client("agency_admin").post(
        "/api/v1/tokens", {"user": user_id, "label": "laptop", **extra}, format="json"
    )


def test_an_admin_issues_a_token_that_expires_by_default_and_is_shown_once(
    db: None, tenant_a: Tenant
) -> None:
    user = new_user(tenant_a)
    response = issue(tenant_a, user.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"].startswith("prb_")
    assert body["token"]["issued_via"] == TokenIssuer.AGENCY_ADMIN
    assert body["token"]["mfa_verified"] is False
    expires = datetime.fromisoformat(body["token"]["expires_at"])
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    assert abs((expires - expected).total_seconds()) < 60
    assert works(body["key"])
    shown = tenant_a.client("agency_admin").get(response["Location"])
    assert shown.status_code == 200
    assert "key" not in shown.json() and "digest" not in shown.json()
    assert body["key"] not in str(shown.content)
    assert actions(tenant_a, "api_token", str(body["token"]["id"])) == ["token.issued"]


def test_a_token_lifetime_is_bounded(db: None, tenant_a: Tenant) -> None:
    user = new_user(tenant_a)
    short = issue(tenant_a, user.pk, expires_in_days=1)
    assert short.status_code == 201
    too_long = issue(tenant_a, user.pk, expires_in_days=settings.API_TOKEN_MAX_DAYS + 1)
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "invalid_request"


def test_an_expired_token_is_refused(committed: None, tenant_a: Tenant) -> None:
    key = token_issue(
        user=tenant_a.users["analyst"], issued_via=TokenIssuer.OPERATOR, label="expiring"
    )
    assert works(key)
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_apitoken SET expires_at = now() - interval '1 second' "
            "WHERE prefix = %s",
            [key[:12]],
        )
    assert not works(key)


def test_tokens_are_listed_for_the_acting_agency_only(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    response = tenant_a.client("agency_admin").get("/api/v1/tokens")
    assert response.status_code == 200
    tokens = response.json()["tokens"]
    usernames = {t["user"]["username"] for t in tokens}
    assert usernames and all(u.startswith(tenant_a.agency.id) for u in usernames)
    assert all(
        set(t)
        >= {
            "id",
            "prefix",
            "label",
            "issued_via",
            "mfa_verified",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "status",
        }
        for t in tokens
    )
    assert all("digest" not in t and "key" not in t for t in tokens)
    b_tokens = tenant_b.client("agency_admin").get("/api/v1/tokens").json()["tokens"]
    assert not {t["id"] for t in b_tokens} & {t["id"] for t in tokens}


def test_revoking_stops_the_key_at_once_and_is_audited(db: None, tenant_a: Tenant) -> None:
    user = new_user(tenant_a)
    body = issue(tenant_a, user.pk).json()
    token_id = body["token"]["id"]
    revoked = tenant_a.client("agency_admin").post(f"/api/v1/tokens/{token_id}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert not works(body["key"])
    assert actions(tenant_a, "api_token", str(token_id)) == ["token.issued", "token.revoked"]
    again = tenant_a.client("agency_admin").post(f"/api/v1/tokens/{token_id}/revoke")
    assert again.status_code == 409


def test_rotating_replaces_the_key_and_keeps_the_second_factor_standing(
    committed: None, tenant_a: Tenant
) -> None:
    key = token_issue(
        user=tenant_a.users["investigator"],
        issued_via=TokenIssuer.OPERATOR_MFA_CHECK,
        label="rotate me",
    )
    listed = (
        tenant_a.client("agency_admin")
        .get(f"/api/v1/tokens?user={tenant_a.users['investigator'].pk}")
        .json()["tokens"]
    )
    old = next(t for t in listed if t["prefix"] == key[:12])
    assert old["mfa_verified"] is True
    rotated = tenant_a.client("agency_admin").post(
        f"/api/v1/tokens/{old['id']}/rotate", {}, format="json"
    )
    assert rotated.status_code == 201, rotated.content
    new = rotated.json()
    assert new["token"]["rotated_from"] == old["id"]
    assert new["token"]["issued_via"] == TokenIssuer.ROTATION
    assert new["token"]["mfa_verified"] is True
    assert not works(key)
    assert works(new["key"])
    assert actions(tenant_a, "api_token", str(new["token"]["id"])) == ["token.rotated"]


def test_an_agency_admin_cannot_issue_a_second_factor_token(db: None, tenant_a: Tenant) -> None:
    user = new_user(tenant_a)
    response = issue(tenant_a, user.pk, issued_via=TokenIssuer.OPERATOR_MFA_CHECK)
    assert response.status_code == 400
    assert "issued_via" in response.json()["error"]["fields"]


def test_the_app_role_cannot_issue_operator_tokens_even_through_the_function(
    db: None, tenant_a: Tenant
) -> None:
    from django.db import DatabaseError, transaction

    from tenants.directory import directory_token_issue

    with (
        pytest.raises(DatabaseError, match="only an operator"),
        transaction.atomic(),
        agency_transaction(tenant_a.agency.id),
    ):
        directory_token_issue(
            user_id=tenant_a.users["analyst"].pk,
            label="x",
            prefix="prb_x",
            digest="0" * 64,
            issued_via=TokenIssuer.OPERATOR_MFA_CHECK,
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_another_agencys_tokens_and_users_answer_404(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    b_user = tenant_b.users["analyst"]
    b_token = (
        tenant_b.client("agency_admin").get(f"/api/v1/tokens?user={b_user.pk}").json()["tokens"][0]
    )
    admin = tenant_a.client("agency_admin")
    for method, path in [
        ("get", f"/api/v1/tokens/{b_token['id']}"),
        ("post", f"/api/v1/tokens/{b_token['id']}/revoke"),
        ("post", f"/api/v1/tokens/{b_token['id']}/rotate"),
        ("get", f"/api/v1/users/{b_user.pk}"),
        ("post", f"/api/v1/users/{b_user.pk}/disable"),
    ]:
        response = getattr(admin, method)(path, {}, format="json")
        assert response.status_code == 404, path
    assert issue(tenant_a, b_user.pk).status_code == 404
    assert works(tenant_b.tokens["analyst"])
    assert admin.get("/api/v1/tokens?user=not-a-number").status_code == 404


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_agency_admins_manage_credentials(db: None, tenant_a: Tenant, role: str) -> None:
    client = tenant_a.client(role)
    user_id = tenant_a.users["analyst"].pk
    for method, path in [
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", f"/api/v1/users/{user_id}/disable"),
    ]:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 403, (role, path)
        assert response.json()["error"]["code"] == "role_required"


def test_an_admin_creates_and_disables_a_user(db: None, tenant_a: Tenant) -> None:
    admin = tenant_a.client("agency_admin")
    username = f"new_{uuid.uuid4().hex[:8]}"
    created = admin.post(
        "/api/v1/users",
        {"username": username, "roles": ["analyst"], "email": "a@example.ca"},
        format="json",
    )
    assert created.status_code == 201, created.content
    user = created.json()
    assert (user["username"], user["roles"], user["is_active"]) == (username, ["analyst"], True)
    assert admin.get(created["Location"]).json()["username"] == username
    key = issue(tenant_a, user["id"]).json()["key"]
    assert works(key)

    disabled = admin.post(f"/api/v1/users/{user['id']}/disable")
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert not works(key)
    assert admin.post(f"/api/v1/users/{user['id']}/enable").json()["is_active"] is True
    assert works(key)
    assert actions(tenant_a, "user", str(user["id"])) == [
        "user.created",
        "user.disabled",
        "user.enabled",
    ]
    assert [u["username"] for u in admin.get("/api/v1/users").json()["users"]].count(username) == 1


def test_a_user_with_a_taken_name_or_unknown_role_is_refused(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    admin = tenant_a.client("agency_admin")
    taken = admin.post(
        "/api/v1/users",
        {"username": tenant_b.users["analyst"].username, "roles": ["analyst"]},
        format="json",
    )
    assert taken.status_code == 400
    unknown = admin.post("/api/v1/users", {"username": "x_new", "roles": ["root"]}, format="json")
    assert unknown.status_code == 400
    assert "roles" in unknown.json()["error"]["fields"]


def test_a_disabled_users_queued_search_stops_before_its_next_step(
    db: None, tenant_a: Tenant
) -> None:
    from matching.models import Search, SearchStatus
    from matching.searches import search_execute

    user = new_user(tenant_a, role="investigator")
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.create(
            agency=tenant_a.agency,
            gallery=tenant_a.gallery,
            requested_by=user,
            status=SearchStatus.QUEUED,
            purpose="criminal_investigation",
            case_number="2026-9",
            justification="Robbery suspect on CCTV; no other leads.",
            probe_meta={},
        )
        other = Search.objects.create(
            agency=tenant_a.agency,
            gallery=tenant_a.gallery,
            requested_by=tenant_a.users["investigator"],
            status=SearchStatus.QUEUED,
            purpose="criminal_investigation",
            case_number="2026-10",
            justification="Robbery suspect on CCTV; no other leads.",
            probe_meta={},
        )
    disabled = tenant_a.client("agency_admin").post(f"/api/v1/users/{user.pk}/disable")
    assert disabled.status_code == 200
    search_execute(agency_id=tenant_a.agency.id, search_id=search.id)
    with agency_transaction(tenant_a.agency.id):
        search.refresh_from_db()
        other.refresh_from_db()
        events = list(
            AuditEvent.objects.filter(
                agency_id=tenant_a.agency.id, object_id=str(search.id)
            ).values_list("action", flat=True)
        )
    assert (search.status, search.error_code) == (SearchStatus.CANCELLED, "requester_disabled")
    assert "search.cancelled" in events and "search.started" not in events
    assert other.status == SearchStatus.QUEUED
