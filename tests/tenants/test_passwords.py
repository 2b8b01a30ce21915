"""Passwords are checked in the database: the service never holds a stored hash."""

from __future__ import annotations

from django.db import connections
from django.test import Client

from tenants.directory import directory_password_prefix, directory_password_verify
from tenants.passwords import password_check
from tenants.services import user_active_set
from tests.conftest import Tenant
from tests.portal.conftest import PASSWORD, sign_in, staff_create


def stored_hash(user_id: int) -> str:
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT password FROM tenants_user WHERE id = %s", [user_id])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def test_the_service_gets_the_salt_but_never_the_hash(committed: None, tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a)
    stored = stored_hash(staff.user.pk)
    prefix = directory_password_prefix(user_id=staff.user.pk)
    assert prefix is not None
    assert stored.startswith(prefix + "$")
    assert stored.rsplit("$", 1)[1] not in prefix
    assert password_check(user_id=staff.user.pk, raw_password=PASSWORD)
    assert not password_check(user_id=staff.user.pk, raw_password=PASSWORD + "!")
    assert not directory_password_verify(user_id=staff.user.pk, candidate=prefix)


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(db: None, tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a)
    client = Client()
    sign_in(client, staff)
    assert client.get("/").status_code == 200
    user_active_set(agency=tenant_a.agency, user_id=staff.user.pk, active=False, actor="test")
    assert client.get("/").status_code == 302
    assert directory_password_prefix(user_id=staff.user.pk) is None
    again = Client().post("/accounts/login/", {"login": staff.user.username, "password": PASSWORD})
    assert not again.headers.get("Location", "").startswith("/accounts/2fa")


def test_the_app_role_cannot_test_a_guess_with_the_comparison(
    committed: None, tenant_a: Tenant
) -> None:
    """Everything an attacker with the app role can compute from the prefix fails to match."""
    from django.contrib.auth.hashers import get_hasher

    from tenants.passwords import PEPPER_MARK, _salt

    staff = staff_create(tenant_a)
    stored = stored_hash(staff.user.pk)
    assert stored.rsplit("$", 1)[1].startswith(PEPPER_MARK)
    prefix = directory_password_prefix(user_id=staff.user.pk)
    assert prefix is not None
    algorithm = prefix.split("$", 1)[0]
    salt = _salt(algorithm, prefix)
    assert salt is not None
    guess = get_hasher(algorithm).encode(PASSWORD, salt)  # the right password, unpeppered
    assert not directory_password_verify(user_id=staff.user.pk, candidate=guess)
    assert password_check(user_id=staff.user.pk, raw_password=PASSWORD)


def test_a_hash_stored_before_peppering_is_accepted_once_and_peppered(
    committed: None, tenant_a: Tenant
) -> None:
    from django.contrib.auth.hashers import make_password

    from tenants.passwords import PEPPER_MARK

    staff = staff_create(tenant_a)
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_user SET password = %s WHERE id = %s",
            [make_password(PASSWORD), staff.user.pk],
        )
    assert not stored_hash(staff.user.pk).rsplit("$", 1)[1].startswith(PEPPER_MARK)
    assert not password_check(user_id=staff.user.pk, raw_password=PASSWORD + "!")
    assert password_check(user_id=staff.user.pk, raw_password=PASSWORD)
    assert stored_hash(staff.user.pk).rsplit("$", 1)[1].startswith(PEPPER_MARK)
    assert password_check(user_id=staff.user.pk, raw_password=PASSWORD)


def test_a_peppered_argon2_hash_fits_the_directory_column(
    committed: None, tenant_a: Tenant
) -> None:
    """The deployed hasher's output, peppered, is stored and checked (the column holds 128)."""
    import uuid

    from django.test import override_settings

    from tenants.services import user_create

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
        user = user_create(
            agency=tenant_a.agency,
            username=f"argon_{uuid.uuid4().hex[:8]}",
            roles=["analyst"],
            password=PASSWORD,
        )
        assert stored_hash(user.pk).startswith("argon2$")
        assert len(stored_hash(user.pk)) <= 128
        assert password_check(user_id=user.pk, raw_password=PASSWORD)
        assert not password_check(user_id=user.pk, raw_password=PASSWORD + "!")
