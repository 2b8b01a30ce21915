"""Authority records with values PostgreSQL cannot store are a 400, not a 500."""

from __future__ import annotations

import pytest

from authorizations.models import Warrant
from tenants import errors
from tenants.context import agency_transaction
from tests.authorizations.test_records import enter, warrant_fields
from tests.conftest import Tenant


def warrant_count(tenant: Tenant) -> int:
    with agency_transaction(tenant.agency.id):
        return Warrant.objects.filter(agency_id=tenant.agency.id).count()


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59", "-23:59"])
@pytest.mark.parametrize("field", ["issued_at", "expires_at"])
def test_an_offset_beyond_what_postgresql_stores_is_a_400(
    db: None, tenant_a: Tenant, field: str, offset: str
) -> None:
    value = {"issued_at": "2026-11-20T09:00:00", "expires_at": "2027-11-20T09:00:00"}[field]
    before = warrant_count(tenant_a)
    response = enter(tenant_a, "warrants", warrant_fields(**{field: value + offset}))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == errors.INVALID_REQUEST
    assert field in error["fields"]
    assert warrant_count(tenant_a) == before


def test_an_agreement_expiry_with_such_an_offset_is_a_400(db: None, tenant_a: Tenant) -> None:
    fields = {
        "reference": "MOU-2026-7",
        "kind": "information_sharing_agreement",
        "partner_jurisdiction": "CA-QC",
        "expires_at": "2027-11-20T09:00:00+18:00",
    }
    response = enter(tenant_a, "interagency-agreements", fields)
    assert response.status_code == 400, response.content
    assert "expires_at" in response.json()["error"]["fields"]


@pytest.mark.parametrize("offset", ["+15:59", "-15:59", "+14:00", "-12:00"])
def test_the_widest_offsets_postgresql_stores_are_accepted(
    db: None, tenant_a: Tenant, offset: str
) -> None:
    response = enter(tenant_a, "warrants", warrant_fields(issued_at=f"2026-11-20T09:00:00{offset}"))
    assert response.status_code == 201, response.content
