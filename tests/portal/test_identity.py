"""Sign-in: password and a second factor, lockout, inactive users, what the session proves."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db


def test_password_alone_does_not_sign_in(tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a)
    client = Client()
    client.post("/accounts/login/", {"login": staff.user.username, "password": staff.password})
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_and_totp_sign_in_and_the_session_is_mfa_verified(tenant_a: Tenant) -> None:
    from tenants.second_factor import session_mfa_verified

    client = Client()
    staff = staff_create(tenant_a)
    sign_in(client, staff)
    response = client.get("/")
    assert response.status_code == 200
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = staff.user
    assert session_mfa_verified(request) is True


def test_a_session_signed_in_without_a_second_factor_is_not_mfa_verified(
    tenant_a: Tenant,
) -> None:
    from tenants.second_factor import session_mfa_verified

    client = Client()
    staff = staff_create(tenant_a)
    client.force_login(staff.user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = staff.user
    assert session_mfa_verified(request) is False


def test_a_wrong_totp_code_is_refused(tenant_a: Tenant) -> None:
    client = Client()
    staff = staff_create(tenant_a)
    client.post("/accounts/login/", {"login": staff.user.username, "password": staff.password})
    wrong = f"{(int(staff.code()) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_a_code_already_used_is_refused_a_second_time(tenant_a: Tenant) -> None:
    from tenants.second_factor import totp_code

    staff = staff_create(tenant_a)
    code = totp_code(secret=staff.secret, at=time.time())
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/accounts/login/", {"login": staff.user.username, "password": staff.password})
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert first.get("/").status_code == 200
    assert second.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200
    assert second.get("/").status_code == 302


def test_an_inactive_user_cannot_sign_in(tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a, active=False)
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": staff.user.username, "password": staff.password}
    )
    assert not response.headers.get("Location", "").startswith("/accounts/2fa")
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account_out(tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a)
    client = Client(REMOTE_ADDR="10.9.8.7")
    for _ in range(5):
        client.post("/accounts/login/", {"login": staff.user.username, "password": "wrong"})
    # From another address, with the right password: the account itself is locked for now.
    response = Client(REMOTE_ADDR="10.9.8.8").post(
        "/accounts/login/", {"login": staff.user.username, "password": staff.password}
    )
    assert response.status_code in (200, 429)
    assert not response.headers.get("Location", "").startswith("/accounts/2fa")


def test_staff_without_a_second_factor_are_sent_to_enrol_one(tenant_a: Tenant) -> None:
    from allauth.mfa.models import Authenticator

    staff = staff_create(tenant_a)
    Authenticator.objects.filter(user=staff.user).delete()
    client = Client()
    client.force_login(staff.user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_passwords_are_hashed_with_argon2() -> None:
    from config import settings as production_like

    assert production_like.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.SESSION_COOKIE_AGE <= 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_issuing_a_token_asks_to_confirm_the_password_first(
    signed_in: tuple[Client, Staff],
) -> None:
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    client, staff = signed_in
    response = client.post("/tokens", {"label": "script"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    with agency_transaction(staff.user.agency_id):
        assert staff.user.api_tokens.count() == 0

    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302
    response = client.post("/tokens", {"label": "script"})
    assert response.status_code == 200
    assert b"shown only this once" in response.content
    with agency_transaction(staff.user.agency_id):
        token = staff.user.api_tokens.get()
    assert token.label == "script" and token.mfa_verified is True
    assert token.issued_via == "mfa_session"

    # The confirmation lapses after a few minutes.
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    response = client.post("/tokens", {"label": "another"})
    assert response.status_code == 302
    with agency_transaction(staff.user.agency_id):
        assert staff.user.api_tokens.count() == 1


def test_the_portal_adds_nothing_to_the_deployment_checks() -> None:
    """With HTTPS settings as production sets them, ``check --deploy`` finds nothing."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(
        DEBUG=False,
        SECURE_HSTS_SECONDS=31_536_000,
        SECURE_SSL_REDIRECT=True,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
        SECRET_KEY="k7Qp2vN9xR4tW8zB3mD6fH1jL5sA0cE" * 2,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
    ):
        call_command("check", deploy=True, fail_level="WARNING", verbosity=0)
