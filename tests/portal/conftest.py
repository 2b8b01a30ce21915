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
from tests.oidc_provider import IdentityProvider

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
    email: str = "",
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
        email=email,
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


# Two agencies of their own with an OpenID Connect provider each (the test provider, as two
# clients), configured for one test module at a time: other modules see no provider.
OIDC_AGENCIES = {"oidc_a": "Agency A Sign-On", "oidc_b": "Agency B Sign-On"}
OIDC_MFA_ACR = "urn:probity-test:loa:mfa"


@dataclass
class OidcAgencies:
    provider: IdentityProvider
    agencies: dict[str, Any]

    def tenant(self, agency_id: str) -> Tenant:
        """The agency as ``staff_create`` takes it (no gallery, no tokens)."""
        return Tenant(agency=self.agencies[agency_id], users={}, tokens={}, gallery=None)


@pytest.fixture(scope="session")
def identity_provider() -> Any:
    provider = IdentityProvider()
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def oidc_agencies(
    django_db_setup: None, django_db_blocker: Any, identity_provider: IdentityProvider
) -> Any:
    """Configure both agencies' providers (owner's connection, committed); remove them after."""
    from tenants.agency_oidc import agency_oidc_remove, agency_oidc_set
    from tenants.models import Agency
    from tenants.services import agency_create

    agencies: dict[str, Any] = {}
    with django_db_blocker.unblock():
        for agency_id, name in OIDC_AGENCIES.items():
            agency = Agency.objects.filter(id=agency_id).first() or agency_create(
                agency_id=agency_id,
                name=f"{name} Police",
                kind="municipal",
                jurisdiction="CA-ON",
                municipality="Ottawa",
                pia_completed=True,
                fr_program_approved=True,
                actor="test",
            )
            agencies[agency_id] = agency
            secret = f"client-secret-of-{agency_id}-for-these-tests"
            agency_oidc_set(
                agency_id=agency_id,
                name=name,
                issuer=identity_provider.issuer,
                client_id=f"probity-{agency_id}",
                client_secret=secret,
                mfa_acr_values=[OIDC_MFA_ACR],
                actor="test",
            )
            identity_provider.register(
                client_id=f"probity-{agency_id}",
                secret=secret,
                redirect_uris={f"http://testserver/accounts/oidc/{agency_id}/login/callback/"},
            )
    yield OidcAgencies(provider=identity_provider, agencies=agencies)
    with django_db_blocker.unblock():
        for agency_id in OIDC_AGENCIES:
            agency_oidc_remove(agency_id=agency_id, actor="test")
