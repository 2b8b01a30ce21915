"""Portal fixtures: staff who can sign in (password + TOTP) and a signed-in test client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import Tenant

PASSWORD = "correct horse battery staple 42"


@dataclass
class Staff:
    """A user of an agency with a password and a TOTP secret."""

    user: Any
    password: str
    secret: str

    def code(self, offset: int = 0) -> str:
        from tenants.second_factor import totp_code

        return totp_code(secret=self.secret, at=time.time() + offset)


def staff_create(
    tenant: Tenant, role: str = "investigator", *, trained: bool = True, active: bool = True
) -> Staff:
    """Create a signed-in-able user of ``tenant`` (in the caller's transaction)."""
    from tenants.second_factor import totp_provision
    from tenants.services import training_record_add, user_create

    user = user_create(
        agency=tenant.agency,
        username=f"{role}_{uuid.uuid4().hex[:10]}",
        roles=[role],
        password=PASSWORD,
    )
    if trained:
        now = timezone.now()
        training_record_add(
            user=user,
            course="FR",
            completed_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=365),
        )
    if not active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return Staff(user=user, password=PASSWORD, secret=totp_provision(user=user))


def sign_in(client: Client, staff: Staff) -> None:
    """Sign in through allauth's forms: password, then the TOTP code."""
    response = client.post(
        "/accounts/login/", {"login": staff.user.username, "password": staff.password}
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith("/accounts/2fa/authenticate")
    response = client.post("/accounts/2fa/authenticate/", {"code": staff.code()})
    assert response.status_code == 302, response.content[:2000]


@pytest.fixture
def staff_of(db: None) -> Callable[..., Staff]:
    return staff_create


@pytest.fixture
def signed_in(db: None, tenant_a: Tenant) -> tuple[Client, Staff]:
    """A client signed in with password and TOTP as an investigator of agency A."""
    client = Client()
    staff = staff_create(tenant_a)
    sign_in(client, staff)
    return client, staff
