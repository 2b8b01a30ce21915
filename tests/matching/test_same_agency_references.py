"""A row can reference only rows of its own agency, whatever the app role writes."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from matching.models import Candidate, Search, Subject
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.matching.test_reviews import reviewed_search  # noqa: F401 - a fixture


def refusal(agency_id: str, sql: str, params: list[str | int]) -> str:
    """Insert as the app role in ``agency_id``'s context; return the database's refusal."""
    try:
        with transaction.atomic(), agency_transaction(agency_id), connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except DatabaseError as exc:
        return str(exc).splitlines()[0]
    pytest.fail(f"accepted: {sql}")


SUBJECT = (
    "INSERT INTO matching_subject (agency_id, gallery_id, ref, display_name, created_at) "
    "VALUES (%s, %s, %s, '', now())"
)


def test_a_subject_cannot_join_another_agencys_gallery(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    message = refusal(
        tenant_a.agency.id,
        SUBJECT,
        [tenant_a.agency.id, tenant_b.gallery.id, f"x-{uuid.uuid4().hex[:6]}"],
    )
    assert "same_agency" in message


def test_another_agencys_id_and_a_missing_id_are_refused_alike(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with agency_transaction(tenant_b.agency.id):
        assert Subject.objects.filter(gallery_id=tenant_b.gallery.id).exists()
    existing = refusal(
        tenant_a.agency.id, SUBJECT, [tenant_a.agency.id, tenant_b.gallery.id, "x-existing"]
    )
    missing = refusal(tenant_a.agency.id, SUBJECT, [tenant_a.agency.id, 2**62, "x-missing"])
    assert existing == missing.replace(str(2**62), str(tenant_b.gallery.id))


def test_a_search_cannot_name_another_agencys_user_or_gallery(
    reviewed_search: Search,  # noqa: F811 - the fixture
    tenant_a: Tenant,
    tenant_b: Tenant,
) -> None:
    for column, value in (
        ("requested_by_id", tenant_b.users["investigator"].pk),
        ("gallery_id", tenant_b.gallery.id),
    ):
        message = refusal(
            tenant_a.agency.id,
            f"UPDATE matching_search SET {column} = %s WHERE id = %s",  # noqa: S608 - fixed names
            [value, str(reviewed_search.id)],
        )
        assert "same_agency" in message, column


def test_a_review_cannot_be_signed_by_another_agencys_user(
    reviewed_search: Search,  # noqa: F811 - the fixture
    tenant_a: Tenant,
    tenant_b: Tenant,
) -> None:
    with agency_transaction(tenant_a.agency.id):
        candidate = Candidate.objects.get(search=reviewed_search, rank=1)
    message = refusal(
        tenant_a.agency.id,
        "INSERT INTO matching_candidatereview (agency_id, candidate_id, reviewer_id, "
        "disposition, note, created_at) VALUES (%s, %s, %s, 'not_a_match', '', now())",
        [tenant_a.agency.id, candidate.pk, tenant_b.users["supervisor"].pk],
    )
    assert "same_agency" in message
