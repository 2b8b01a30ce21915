"""Exigent approvals entered before they named their officer and purpose survive the migration."""

from __future__ import annotations

import uuid

import pytest
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import Tenant

BEFORE = ("authorizations", "0003_same_agency_references")
AFTER = ("authorizations", "0004_exigent_approval_grant")


class _RolledBack(Exception):
    """Raised to undo the migration round trip."""


def test_existing_approvals_are_granted_to_who_entered_them_with_no_purpose(
    committed: None, tenant_a: Tenant
) -> None:
    owner = connections["owner"]
    record_id = uuid.uuid4()
    investigator = tenant_a.users["investigator"]
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        MigrationExecutor(owner).migrate([BEFORE])
        with owner.cursor() as cursor:
            cursor.execute(
                "INSERT INTO authorizations_exigentapproval (id, agency_id, status, "
                "document_name, document_type, document_sha256, entered_by_id, "
                "revocation_reason, created_at, case_number, category, reason) "
                "VALUES (%s, %s, 'verified', '', '', '', %s, '', now(), '2026-OLD', "
                "'child_at_imminent_risk', 'Entered before approvals named an officer.')",
                [record_id, tenant_a.agency.id, investigator.pk],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        MigrationExecutor(owner).migrate([AFTER])
        with owner.cursor() as cursor:
            cursor.execute(
                "SELECT granted_to_id, purpose FROM authorizations_exigentapproval WHERE id = %s",
                [record_id],
            )
            assert cursor.fetchone() == (investigator.pk, "")
            cursor.execute(
                "SELECT is_nullable FROM information_schema.columns WHERE table_name = "
                "'authorizations_exigentapproval' AND column_name = 'granted_to_id'"
            )
            assert cursor.fetchone() == ("NO",)
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                "'authorizations_exigentapproval'::regclass AND contype = 'f' AND "
                "conname LIKE '%%granted_to_id%%'"
            )
            keys = [row[0] for row in cursor.fetchall()]
        assert keys == [
            "FOREIGN KEY (agency_id, granted_to_id) REFERENCES "
            "tenants_user(agency_id, id) DEFERRABLE INITIALLY DEFERRED"
        ]
        raise _RolledBack
