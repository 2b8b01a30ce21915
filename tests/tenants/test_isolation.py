"""Tenant isolation enforced by PostgreSQL itself, checked as the app role with raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, connections, transaction

from matching.partitions import partition_name
from matching.selectors import EXACT_NEAREST_SQL, PICKED_FACES_SQL, vector_literal
from tenants.context import AgencyContextConflictError, agency_transaction
from tests.conftest import Tenant

# The directory (agencies, users, tokens, training) is resolved before any agency is known and
# is deliberately outside row-level security; so are oversight grants, which the oversight read
# policy itself reads (oversight/rls.py). Every other table with an agency is inside.
DIRECTORY_PREFIX = ("tenants_", "oversight_oversightgrant")
# Users, tokens and training are row-level secured for the app role too, but not FORCEd (their
# owner-side functions and operator reads go past it) and are checked column by column in
# test_directory_privileges; these tests cover the tables keyed by agency_id.
RLS_TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relrowsecurity
      AND c.relname NOT IN ('tenants_user', 'tenants_apitoken', 'tenants_trainingrecord')
    ORDER BY c.relname
"""
AGENCY_TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'agency_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname
"""


def tables(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def test_every_table_holding_agency_rows_is_under_row_level_security(db: None) -> None:
    secured = tables(RLS_TABLES_SQL)
    with_agency = [t for t in tables(AGENCY_TABLES_SQL) if not t.startswith(DIRECTORY_PREFIX)]
    assert with_agency, "the catalog query found no tenant table"
    assert sorted(set(with_agency) - set(secured)) == []
    assert "matching_face" in secured and "audit_auditevent" in secured


def scalar(sql: str, params: list[str] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def test_app_role_cannot_bypass_row_level_security(db: None) -> None:
    assert scalar("SELECT current_user") == "probity_app"
    assert scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
    assert scalar("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user") is False
    for table in tables(RLS_TABLES_SQL):
        owner = scalar("SELECT tableowner FROM pg_tables WHERE tablename = %s", [table])
        assert owner != "probity_app", table
        forced = scalar("SELECT relforcerowsecurity FROM pg_class WHERE relname = %s", [table])
        assert forced is True, table


# Policy revisions in force are readable everywhere (every engine loads them all) and the
# national baseline has no agency; what stays private is every other revision of an overlay.
PRIVATE_ROWS = {"policy_policyrevision": " WHERE agency_id IS NOT NULL AND status <> 'active'"}


def test_raw_sql_in_one_agency_sees_none_of_another(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    for table in tables(RLS_TABLES_SQL):
        rows = PRIVATE_ROWS.get(table, "")
        with agency_transaction(tenant_a.agency.id), connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT agency_id FROM {table}{rows}")  # noqa: S608
            seen = {row[0] for row in cursor.fetchall()}
        assert tenant_b.agency.id not in seen, table
        assert seen <= {tenant_a.agency.id}, table
        if table in ("matching_gallery", "matching_face", "audit_auditevent"):
            assert seen == {tenant_a.agency.id}, table


def test_without_an_agency_context_nothing_is_visible(db: None, tenant_a: Tenant) -> None:
    for table in tables(RLS_TABLES_SQL):
        rows = PRIVATE_ROWS.get(table, "")
        assert scalar(f"SELECT count(*) FROM {table}{rows}") == 0, table  # noqa: S608


def test_writing_a_row_for_another_agency_is_refused(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        agency_transaction(tenant_a.agency.id),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO matching_gallery (agency_id, slug, name, legal_basis, "
            "contains_youth_records, ycja_access_period_enforced, shared_with, "
            "sharing_agreement_id, cai_disclosure_filed, consent_express, "
            "authorized_case_number, created_at) VALUES (%s, 'planted', 'x', 'consent', false, "
            "false, '{}', '', false, false, '', now())",
            [tenant_b.agency.id],
        )


def test_another_agencys_partition_cannot_be_read_directly(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with (
        pytest.raises(DatabaseError, match="permission denied"),
        agency_transaction(tenant_a.agency.id),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'SELECT count(*) FROM "{partition_name(tenant_b.agency.id)}"')  # noqa: S608


def test_search_plan_touches_only_the_agencys_own_partition(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    probe = vector_literal(__import__("numpy").zeros(128))
    for query in (EXACT_NEAREST_SQL, PICKED_FACES_SQL):
        with agency_transaction(tenant_a.agency.id), connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN " + query,
                {
                    "probe": probe,
                    "agency": tenant_a.agency.id,
                    "gallery": tenant_a.gallery.id,
                    "limit": 10,
                    "max_distance": 1.0,
                    "ids": [1, 2],
                },
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert partition_name(tenant_a.agency.id) in plan
        assert partition_name(tenant_b.agency.id) not in plan


def test_each_agency_has_its_own_partition_and_no_vector_index_to_maintain(
    committed: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with connections["owner"].cursor() as cursor:
        for tenant in (tenant_a, tenant_b):
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
                [partition_name(tenant.agency.id)],
            )
            definitions = " ".join(row[0] for row in cursor.fetchall())
            assert "PRIMARY KEY" in definitions or "UNIQUE" in definitions
            assert "USING hnsw" not in definitions and "USING ivfflat" not in definitions


def test_nesting_two_agencies_in_one_transaction_is_refused(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with (
        pytest.raises(AgencyContextConflictError),
        agency_transaction(tenant_a.agency.id),
        agency_transaction(tenant_b.agency.id),
    ):
        pass


def test_the_context_ends_with_its_transaction(committed: None, tenant_a: Tenant) -> None:
    with transaction.atomic(), agency_transaction(tenant_a.agency.id):
        assert scalar("SELECT count(*) FROM matching_gallery") != 0
        # Still inside the outer transaction: the setting is local to it, so it persists …
    # … and is gone once that transaction ends.
    assert scalar("SELECT count(*) FROM matching_gallery") == 0
