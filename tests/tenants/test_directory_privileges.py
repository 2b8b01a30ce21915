"""What the app role can do with raw SQL, whatever agency context it claims.

A leaked connection string or one injection gives an attacker the app role's SQL: these tests
run as that role and check that it reaches no other agency's rows, writes nothing in the
directory, reads no password hash or token digest and cannot rewrite a policy decision.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper

from tenants.tokens import token_digest
from tests.conftest import Tenant

DIRECTORY_TABLES = ["tenants_user", "tenants_apitoken", "tenants_trainingrecord"]


def contexts(tenant_a: Tenant, tenant_b: Tenant) -> list[str]:
    """Every agency context an attacker could claim: none, either agency, a made-up one."""
    return ["", tenant_a.agency.id, tenant_b.agency.id, "no_such_agency"]


@contextmanager
def as_app(agency_id: str) -> Iterator[CursorWrapper]:
    """Open a savepoint on the app connection claiming ``agency_id`` (raw SQL, no helper)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
        yield cursor


def refused(agency_id: str, sql: str, params: list[str | int] | None = None) -> str:
    """Run ``sql`` as the app role in ``agency_id``'s context; return the database's refusal."""
    try:
        with as_app(agency_id) as cursor:
            cursor.execute(sql, params or [])
    except DatabaseError as exc:
        return str(exc)
    pytest.fail(f"the app role was allowed: {sql} (context {agency_id!r})")


def test_the_tests_run_as_the_app_role(db: None) -> None:
    with as_app("") as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (settings.DATABASES["default"]["USER"], False, False)


def test_app_role_cannot_plant_a_token_for_another_agencys_user(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    victim = tenant_b.users["supervisor"].pk
    for agency_id in contexts(tenant_a, tenant_b):
        message = refused(
            agency_id,
            "INSERT INTO tenants_apitoken (user_id, label, prefix, digest, mfa_verified, "
            "issued_via, created_at, expires_at) VALUES (%s, 'x', 'prb_x', %s, true, "
            "'operator', now(), now() + interval '1 day')",
            [victim, token_digest("prb_planted")],
        )
        assert "permission denied" in message


def test_app_role_cannot_move_a_user_grant_roles_or_approve_an_agency(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    victim = tenant_b.users["auditor"].pk
    for agency_id in contexts(tenant_a, tenant_b):
        assert "permission denied" in refused(
            agency_id,
            "UPDATE tenants_user SET agency_id = %s, roles = '{supervisor}' WHERE id = %s",
            [tenant_a.agency.id, victim],
        )
        assert "permission denied" in refused(
            agency_id, "UPDATE tenants_agency SET fr_program_approved = true"
        )
        assert "permission denied" in refused(agency_id, "DELETE FROM tenants_trainingrecord")
        assert "permission denied" in refused(
            agency_id, "UPDATE tenants_apitoken SET revoked_at = NULL, expires_at = 'infinity'"
        )
        assert "permission denied" in refused(
            agency_id,
            "INSERT INTO tenants_agency (id, name, kind, jurisdiction, municipality, "
            "service_area_municipalities, pia_completed, cai_disclosure_filed, "
            "fr_program_approved, created_at) VALUES ('planted', 'x', 'municipal', 'CA-ON', '', "
            "'{}', true, true, true, now())",
        )


def test_app_role_cannot_read_password_hashes_or_token_digests(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    for agency_id in contexts(tenant_a, tenant_b):
        assert "permission denied" in refused(agency_id, "SELECT password FROM tenants_user")
        assert "permission denied" in refused(agency_id, "SELECT digest FROM tenants_apitoken")
        assert "permission denied" in refused(agency_id, "SELECT * FROM tenants_user")
        assert "permission denied" in refused(
            agency_id,
            "SELECT id FROM tenants_apitoken WHERE digest = %s",
            [token_digest(tenant_b.tokens["investigator"])],
        )


def test_app_role_sees_only_the_acting_agencys_directory_rows(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    for agency_id in contexts(tenant_a, tenant_b):
        with as_app(agency_id) as cursor:
            cursor.execute("SELECT DISTINCT agency_id FROM tenants_user")
            users = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT DISTINCT u.agency_id FROM tenants_apitoken t "
                "JOIN tenants_user u ON u.id = t.user_id"
            )
            tokens = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT count(*) FROM tenants_apitoken t WHERE NOT EXISTS "
                "(SELECT 1 FROM tenants_user u WHERE u.id = t.user_id)"
            )
            orphan_tokens = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM tenants_trainingrecord t WHERE NOT EXISTS "
                "(SELECT 1 FROM tenants_user u WHERE u.id = t.user_id)"
            )
            orphan_training = cursor.fetchone()
        expected = {agency_id} if agency_id in (tenant_a.agency.id, tenant_b.agency.id) else set()
        assert users == expected, agency_id
        assert tokens == expected, agency_id
        # A token or training row is visible only with its user: nothing of another agency.
        assert orphan_tokens == (0,)
        assert orphan_training == (0,)


def test_app_role_cannot_rewrite_a_policy_decision(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    for agency_id in contexts(tenant_a, tenant_b):
        message = refused(
            agency_id, "UPDATE policy_policydecision SET allow = true WHERE allow = false"
        )
        assert "permission denied" in message or "append-only" in message
        message = refused(agency_id, "DELETE FROM policy_policydecision")
        assert "permission denied" in message or "append-only" in message


def test_policy_decisions_are_append_only_even_for_the_owner(
    committed: None, tenant_a: Tenant
) -> None:
    from django.db import connections

    from policy.models import PolicyDecision
    from tenants.context import agency_transaction

    with agency_transaction(tenant_a.agency.id, using="owner"):
        denied = PolicyDecision.objects.using("owner").create(
            agency_id=tenant_a.agency.id,
            engine="test",
            bundle_revision="r",
            input={},
            input_digest="0" * 64,
            allow=False,
            latency_ms=0.0,
        )
    for statement in (
        "UPDATE policy_policydecision SET allow = true WHERE id = %s",
        "DELETE FROM policy_policydecision WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            agency_transaction(tenant_a.agency.id, using="owner"),
            connections["owner"].cursor() as cursor,
        ):
            cursor.execute(statement, [denied.pk])


def serving_settings(env: dict[str, str]) -> str:
    """Return what a serving process configured by ``env`` would connect as."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASES['default']['USER'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )
    return result.stdout.strip()


def test_a_serving_process_in_embedded_mode_has_the_app_role_only() -> None:
    assert serving_settings({}) == "['default'] probity_app"


def test_a_serving_process_gets_only_the_url_it_is_given() -> None:
    url = "postgresql://probity_app:secret@db.internal:5432/probity"
    assert serving_settings({"DATABASE_URL": url}) == "['default'] probity_app"


def test_the_owner_alias_exists_only_with_the_owner_url() -> None:
    shown = serving_settings(
        {
            "DATABASE_URL": "postgresql://probity_app:secret@db.internal:5432/probity",
            "DATABASE_OWNER_URL": "postgresql://probity_owner:other@db.internal:5432/probity",
        }
    )
    assert shown == "['default', 'owner'] probity_app"


def test_a_serving_process_refuses_a_role_that_bypasses_row_level_security() -> None:
    owner = settings.DATABASES["owner"]
    superuser_url = (
        f"postgresql://{owner['USER']}@/{owner['NAME']}"
        f"?host={owner['OPTIONS'].get('host') or owner['HOST']}"
    )
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection()"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "PROBITY_DB_NAME")
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": superuser_url},
    )
    assert result.returncode != 0
    assert "bypasses row-level security" in result.stderr


def test_a_temporary_table_cannot_shadow_the_directory_in_its_functions(
    db: None, tenant_b: Tenant
) -> None:
    from tenants.directory import RESOLVED, directory_token_resolve

    victim = tenant_b.users["supervisor"]
    with as_app("") as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE tenants_apitoken (id bigint, user_id bigint, "
            "digest text, revoked_at timestamptz, expires_at timestamptz, "
            "last_used_at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO tenants_apitoken VALUES (1, %s, %s, NULL, 'infinity', NULL)",
            [victim.pk, token_digest("prb_planted_temp")],
        )
        resolved = directory_token_resolve(digest=token_digest("prb_planted_temp"))
    assert resolved.outcome != RESOLVED
