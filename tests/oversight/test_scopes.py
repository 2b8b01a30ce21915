"""Oversight scopes enforced by PostgreSQL: raw SQL as the app role sees exactly what is granted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from audit.models import AuditEvent
from audit.verification import audit_chain_verify
from oversight import errors
from oversight.context import oversight_transaction
from oversight.rls import READABLE_TABLES, SETTING
from oversight.services import oversight_grant_create, oversight_grant_revoke
from tenants.context import AgencyContextConflictError, agency_transaction
from tenants.errors import ApiError
from tests.conftest import Tenant
from tests.oversight.conftest import Oversight

WITHHELD_TABLES = (
    "matching_face",
    "matching_subject",
    "matching_subjectphoto",
    "matching_gallery",
    "matching_probe",
    "matching_candidate",
    "matching_candidatereview",
    "matching_enrollmentupload",
)
ENROLLED_TABLES = ("matching_face", "matching_subject", "matching_subjectphoto", "matching_gallery")


def _grant(
    oversight: Oversight, tenant: Tenant, *, start: timedelta, end: timedelta, auditor: Any = None
) -> Any:
    now = timezone.now()
    return oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=auditor or oversight.auditor,
        agency=tenant.agency,
        starts_at=now + start,
        ends_at=now + end,
        reason="Annual compliance audit",
    )


def _seen(auditor_id: int, table: str) -> set[str]:
    """Return the agencies whose rows raw SQL sees in ``table`` as the auditor."""
    with oversight_transaction(auditor_id=auditor_id), connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT agency_id FROM {table}")  # noqa: S608 - fixed names
        return {row[0] for row in cursor.fetchall()}


def _count(auditor_id: int, table: str) -> int:
    with oversight_transaction(auditor_id=auditor_id), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def test_the_predicate_reads_the_setting_the_context_sets() -> None:
    from oversight.rls import FUNCTION_SQL

    assert f"current_setting('{SETTING}', true)" in FUNCTION_SQL


def test_the_app_role_reads_exactly_the_granted_agency(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    assert _seen(oversight.auditor.pk, "audit_auditevent") == set()
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("probity_app",)
    assert _seen(oversight.auditor.pk, "audit_auditevent") == {tenant_a.agency.id}
    for table in READABLE_TABLES:
        assert _seen(oversight.auditor.pk, table) <= {tenant_a.agency.id}, table
    # The body's other auditor holds no grant, and sees nothing.
    for table in READABLE_TABLES:
        assert _seen(oversight.other_auditor.pk, table) == set(), table


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (-timedelta(days=60), -timedelta(days=1)),  # expired
        (timedelta(days=1), timedelta(days=60)),  # not yet begun
    ],
    ids=["expired", "not-yet-begun"],
)
def test_outside_the_granted_period_nothing_is_visible(
    db: None, oversight: Oversight, tenant_a: Tenant, start: timedelta, end: timedelta
) -> None:
    _grant(oversight, tenant_a, start=start, end=end)
    for table in READABLE_TABLES:
        assert _count(oversight.auditor.pk, table) == 0, table


def test_a_revoked_grant_admits_nothing(db: None, oversight: Oversight, tenant_a: Tenant) -> None:
    grant = _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    assert _count(oversight.auditor.pk, "audit_auditevent") > 0
    oversight_grant_revoke(revoked_by=oversight.national_admin, grant_id=grant.id)
    assert _count(oversight.auditor.pk, "audit_auditevent") == 0


@pytest.mark.parametrize("table", WITHHELD_TABLES)
def test_images_embeddings_and_names_stay_out_of_scope(
    db: None, oversight: Oversight, tenant_a: Tenant, table: str
) -> None:
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    with agency_transaction(tenant_a.agency.id), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        held = cursor.fetchone()
    if table in ENROLLED_TABLES:
        assert held and held[0] > 0, "the agency itself sees its enrolled rows"
    assert _count(oversight.auditor.pk, table) == 0


def test_an_auditor_transaction_writes_nothing_into_the_agency(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        oversight_transaction(auditor_id=oversight.auditor.pk),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO audit_auditevent (agency_id, uid, occurred_at, actor, action, "
            "object_type, object_id, data, mac) VALUES (%s, gen_random_uuid(), now(), 'x', "
            "'planted', '', '', '{}', '')",
            [tenant_a.agency.id],
        )


def test_an_oversight_read_cannot_nest_in_an_agency(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    with (
        pytest.raises(AgencyContextConflictError),
        agency_transaction(tenant_a.agency.id),
        oversight_transaction(auditor_id=oversight.auditor.pk),
    ):
        pass


def test_an_oversight_read_inside_the_bodys_own_agency_leaves_it(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """A portal request runs in the body's agency; the read sees the grants' rows alone."""
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    body = oversight.auditor.agency.id
    with agency_transaction(body):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent WHERE agency_id = %s", [body])
            row = cursor.fetchone()
        assert row is not None and row[0] > 0
        assert _seen(oversight.auditor.pk, "audit_auditevent") == {tenant_a.agency.id}
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT agency_id FROM audit_auditevent")
            assert {r[0] for r in cursor.fetchall()} == {body}


def test_only_a_national_administrator_grants(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    now = timezone.now()
    for granter in (
        tenant_a.users["agency_admin"],
        oversight.auditor,
        tenant_a.users["national_admin"],
    ):
        with pytest.raises(ApiError) as refused:
            oversight_grant_create(
                granted_by=granter,
                auditor=oversight.auditor,
                agency=tenant_a.agency,
                starts_at=now,
                ends_at=now + timedelta(days=1),
                reason="x",
            )
        assert refused.value.error_code == errors.NOT_NATIONAL_ADMIN


@pytest.mark.parametrize(
    ("who", "code"),
    [("investigator", errors.NOT_AN_OVERSIGHT_BODY), ("oversight", errors.NOT_AN_AUDITOR)],
)
def test_grants_go_to_oversight_auditors_only(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant, who: str, code: str
) -> None:
    now = timezone.now()
    grantee = tenant_b.users["auditor"] if who == "investigator" else oversight.national_admin
    if who == "oversight":
        from tenants.services import user_create

        grantee = user_create(
            agency=oversight.body, username=f"{oversight.body.id}_clerk", roles=["analyst"]
        )
    with pytest.raises(ApiError) as refused:
        oversight_grant_create(
            granted_by=oversight.national_admin,
            auditor=grantee,
            agency=tenant_a.agency,
            starts_at=now,
            ends_at=now + timedelta(days=1),
            reason="x",
        )
    assert refused.value.error_code == code


def test_a_grant_is_recorded_in_both_chains_and_they_verify(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    grant = _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    for agency_id in (tenant_a.agency.id, oversight.body.id):
        with agency_transaction(agency_id):
            event = AuditEvent.objects.filter(
                agency_id=agency_id, action="oversight.grant_created", object_id=str(grant.id)
            ).get()
        assert event.data["auditor"] == oversight.auditor.username
        assert audit_chain_verify(agency_id=agency_id).ok
