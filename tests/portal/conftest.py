"""Portal fixtures: staff who can sign in (password + TOTP) and a signed-in test client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
    used_steps: set[int] = field(default_factory=set)

    def code(self) -> str:
        """Return a code the service will accept once: a code already used is refused.

        Two sign-ins in one 30-second step would present the same code, so the second uses
        the next step's code (the service accepts one step either side).
        """
        from allauth.mfa import app_settings as mfa_settings

        from tenants.second_factor import totp_code

        period = mfa_settings.TOTP_PERIOD
        while True:
            now = int(time.time()) // period
            fresh = [s for s in (now, now + 1) if s not in self.used_steps]
            if fresh:
                self.used_steps.add(fresh[0])
                return totp_code(secret=self.secret, at=fresh[0] * period)
            time.sleep(period - time.time() % period + 0.1)


def staff_create(
    tenant: Tenant,
    role: str = "investigator",
    *,
    trained: bool = True,
    active: bool = True,
    also: tuple[str, ...] = (),
) -> Staff:
    """Create a signed-in-able user of ``tenant`` (in the caller's transaction).

    ``also`` gives the user more roles besides ``role``.
    """
    from tenants.second_factor import totp_provision
    from tenants.services import training_record_add, user_create

    user = user_create(
        agency=tenant.agency,
        username=f"{role}_{uuid.uuid4().hex[:10]}",
        roles=[role, *also],
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
        from tenants.services import user_active_set

        user_active_set(agency=tenant.agency, user_id=user.pk, active=False, actor="test")
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
