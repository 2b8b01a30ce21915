"""Sign-in state the app role can read holds no credential: session keys by digest, TOTP sealed."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import connection
from django.test import Client

from tenants.mfa_secrets import PREFIX, MfaSecretError, mfa_secret_open, mfa_secret_seal
from tenants.second_factor import totp_secret
from tenants.sessions import session_key_digest
from tests.portal.conftest import Staff


def _session_keys() -> set[str]:
    with connection.cursor() as cursor:  # the app role, as every test connection is
        cursor.execute("SELECT session_key FROM django_session")
        return {row[0] for row in cursor.fetchall()}


def test_the_session_table_holds_a_digest_of_the_key_not_the_key(
    signed_in: tuple[Client, Staff],
) -> None:
    client, _ = signed_in
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    stored = _session_keys()
    assert key not in stored
    assert session_key_digest(key) in stored
    assert client.get("/").status_code == 200


def test_a_value_read_from_the_session_table_does_not_sign_anyone_in(
    signed_in: tuple[Client, Staff],
) -> None:
    client, _ = signed_in
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = session_key_digest(key)
    response = thief.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_signing_out_deletes_the_session_row(signed_in: tuple[Client, Staff]) -> None:
    client, _ = signed_in
    digest = session_key_digest(client.cookies[settings.SESSION_COOKIE_NAME].value)
    client.post("/accounts/logout/")
    assert digest not in _session_keys()


def test_the_totp_secret_is_sealed_in_the_database(signed_in: tuple[Client, Staff]) -> None:
    _, staff = signed_in
    authenticator = Authenticator.objects.get(user=staff.user, type=Authenticator.Type.TOTP)
    stored = authenticator.data["secret"]
    assert stored.startswith(PREFIX) and staff.secret not in stored
    assert totp_secret(user=staff.user) == staff.secret


def test_a_tampered_sealed_secret_is_refused_and_an_earlier_plain_one_is_read() -> None:
    sealed = mfa_secret_seal("JBSWY3DPEHPK3PXP")
    assert mfa_secret_open(sealed) == "JBSWY3DPEHPK3PXP"
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(MfaSecretError):
        mfa_secret_open(tampered)
    assert mfa_secret_open("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
