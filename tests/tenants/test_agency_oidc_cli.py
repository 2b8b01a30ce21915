"""The operator's command for an agency's OpenID Connect provider: secret sealed, never shown."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from audit.models import AuditEvent
from tenants.agency_oidc import agency_oidc_client_secret
from tenants.context import agency_transaction
from tenants.identity_provider_models import AgencyIdentityProvider
from tests.conftest import Tenant

SECRET = "s3cr3t-value-never-printed"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("agency_oidc", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_set_show_and_remove_audit_every_change_and_never_print_the_secret(
    committed: None, tenant_b: Tenant, tmp_path: Path
) -> None:
    agency = tenant_b.agency.id
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    try:
        _, said = _run(
            "set", agency, "--name", "Agency SSO", "--issuer", "https://sso.agency.example",
            "--client-id", "probity", "--client-secret-file", str(secret_file),
            "--mfa-acr", "urn:loa:3",
        )  # fmt: skip
        shown, _ = _run("show", agency)
        assert SECRET not in said + shown
        assert "https://sso.agency.example" in shown and "client_secret=(set)" in shown
        assert agency_oidc_client_secret(agency_id=agency) == SECRET
        with connections["default"].cursor() as cursor:  # the app role reads the row: sealed
            cursor.execute(
                "SELECT client_secret_sealed FROM tenants_agencyidentityprovider "
                "WHERE agency_id = %s",
                [agency],
            )
            (stored,) = cursor.fetchone() or ("",)
        assert stored and SECRET not in stored
        with agency_transaction(agency):
            [event] = AuditEvent.objects.filter(agency_id=agency, action="agency.oidc_configured")
        assert event.data["issuer"] == "https://sso.agency.example"
        assert event.data["client_secret_changed"] is True
        assert SECRET not in str(event.data)
        # A plain-http issuer is refused in production settings.
        from django.test import override_settings

        with override_settings(OIDC_ALLOW_HTTP=False), pytest.raises(CommandError, match="https"):
            _run(
                "set", agency, "--name", "x", "--issuer", "http://sso.agency.example",
                "--client-id", "p", "--client-secret-file", str(secret_file),
            )  # fmt: skip
    finally:
        _run("remove", agency)
    assert not AgencyIdentityProvider.objects.filter(agency_id=agency).exists()
    with agency_transaction(agency):
        assert AuditEvent.objects.filter(agency_id=agency, action="agency.oidc_removed").exists()
    with pytest.raises(CommandError, match="no provider"):
        _run("remove", agency)
