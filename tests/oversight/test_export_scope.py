"""Who may export what, bad scopes refused with a code, and an export outliving its grant fails."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from oversight import errors
from oversight.exports import audit_export_build, audit_export_request
from oversight.models import AuditExport, ExportStatus
from oversight.services import oversight_grant_create, oversight_grant_revoke
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tests.conftest import Tenant
from tests.oversight.conftest import Oversight


def _post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/audit/exports", body, format="json")


def _exports_of(agency_id: str) -> int:
    with agency_transaction(agency_id):
        return AuditExport.objects.filter(agency_id=agency_id).count()


@pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
def test_staff_export_their_own_agency_only(
    db: None, tenant_a: Tenant, tenant_b: Tenant, role: str
) -> None:
    client = tenant_a.client(role)
    refused = _post(client, {"agencies": [tenant_b.agency.id]})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == errors.EXPORT_NOT_PERMITTED
    both = _post(client, {"agencies": [tenant_a.agency.id, tenant_b.agency.id]})
    assert both.status_code == 403
    assert _exports_of(tenant_a.agency.id) == 0
    accepted = _post(client, {"agencies": [tenant_a.agency.id]})
    assert accepted.status_code == 202, accepted.content
    assert _exports_of(tenant_a.agency.id) == 1


@pytest.mark.parametrize("role", ["investigator", "analyst", "supervisor", "agency_admin"])
def test_other_roles_do_not_export(db: None, tenant_a: Tenant, role: str) -> None:
    response = _post(tenant_a.client(role), {"agencies": [tenant_a.agency.id]})
    assert response.status_code == 403
    assert _exports_of(tenant_a.agency.id) == 0


def test_an_auditor_exports_only_agencies_in_scope(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    now = timezone.now()
    oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=oversight.auditor,
        agency=tenant_a.agency,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        reason="Audit",
    )
    response = _post(
        oversight.client("auditor"), {"agencies": [tenant_a.agency.id, tenant_b.agency.id]}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == errors.AGENCY_NOT_IN_SCOPE
    assert _exports_of(oversight.body.id) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"agencies": []},
        {"agencies": ["x"], "since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        {"agencies": ["x"], "event_types": ["DROP TABLE"]},
        {"agencies": "x"},
        {"agencies": ["x"], "since": "yesterday"},
    ],
    ids=["no-agency", "backwards-period", "bad-event-type", "not-a-list", "bad-date"],
)
def test_a_bad_scope_is_refused_with_a_code(
    db: None, tenant_a: Tenant, body: dict[str, Any]
) -> None:
    body = {
        **body,
        "agencies": [tenant_a.agency.id] if body["agencies"] == ["x"] else body["agencies"],
    }
    response = _post(tenant_a.client("compliance_officer"), body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in (errors.EXPORT_SCOPE_INVALID, "invalid_request")
    assert _exports_of(tenant_a.agency.id) == 0


def test_an_unknown_export_answers_404(db: None, tenant_a: Tenant) -> None:
    client = tenant_a.client("compliance_officer")
    for path in (
        f"/api/v1/audit/exports/{uuid.uuid4()}",
        "/api/v1/audit/exports/nope",
        f"/api/v1/audit/exports/{uuid.uuid4()}/download",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == errors.EXPORT_NOT_FOUND


def test_an_export_whose_grant_was_revoked_is_not_built(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    now = timezone.now()
    grant = oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=oversight.auditor,
        agency=tenant_a.agency,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        reason="Audit",
    )
    export = audit_export_request(user=oversight.auditor, agencies=[tenant_a.agency.id])
    oversight_grant_revoke(revoked_by=oversight.national_admin, grant_id=grant.id)
    with pytest.raises(ApiError) as refused:
        audit_export_build(agency_id=oversight.body.id, export_id=export.id)
    assert refused.value.error_code == errors.AGENCY_NOT_IN_SCOPE
    with agency_transaction(oversight.body.id):
        assert AuditExport.objects.get(id=export.id).status == ExportStatus.QUEUED
