"""The audit trail is append-only in PostgreSQL and hash-chained per agency."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection, connections, transaction

from audit.chain import GENESIS_HASH
from audit.models import AuditEvent
from audit.services import audit_chain_verify, audit_record
from tenants.context import agency_transaction
from tests.conftest import Tenant


def test_events_chain_each_to_the_previous_one(db: None, tenant_a: Tenant) -> None:
    audit_record(agency_id=tenant_a.agency.id, action="test.one", data={"n": 1})
    audit_record(agency_id=tenant_a.agency.id, action="test.two", data={"n": 2})
    with agency_transaction(tenant_a.agency.id):
        events = list(AuditEvent.objects.filter(agency_id=tenant_a.agency.id).order_by("seq"))
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditevent SET action = 'forged'", "DELETE FROM audit_auditevent",
     "TRUNCATE audit_auditevent"],
)
def test_the_app_role_cannot_change_or_remove_events(
    db: None, tenant_a: Tenant, statement: str
) -> None:
    with pytest.raises(DatabaseError), agency_transaction(tenant_a.agency.id), \
            connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditevent SET action = 'forged'", "DELETE FROM audit_auditevent",
     "TRUNCATE audit_auditevent"],
)
def test_even_the_owner_cannot_change_or_remove_events(
    committed: None, tenant_a: Tenant, statement: str
) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using="owner"), \
            connections["owner"].cursor() as cursor:
        cursor.execute("SELECT set_config('app.agency_id', %s, true)", [tenant_a.agency.id])
        cursor.execute(statement)


class _Rollback(Exception):
    pass


def test_verification_finds_a_tampered_event(committed: None, tenant_a: Tenant) -> None:
    """Forge one event with the triggers off (a superuser could) and find the break."""
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok
    with pytest.raises(_Rollback), transaction.atomic(using="owner"):
        with connections["owner"].cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete")
            cursor.execute("SELECT set_config('app.agency_id', %s, true)", [tenant_a.agency.id])
            cursor.execute(
                "UPDATE audit_auditevent SET data = '{\"forged\": true}' "
                "WHERE agency_id = %s AND seq = 2", [tenant_a.agency.id],
            )
        report = audit_chain_verify(agency_id=tenant_a.agency.id, using="owner")
        assert not report.ok
        assert report.first_bad_seq == 2
        assert report.problem == "content hash mismatch"
        raise _Rollback
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok
