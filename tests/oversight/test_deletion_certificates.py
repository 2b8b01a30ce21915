"""Oversight bodies list an overseen agency's deletion certificates, in scope and on record."""

from __future__ import annotations

import json
from datetime import timedelta

from audit.models import AuditEvent
from matching.models import DeletionCertificate
from oversight import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.matching.test_legal_events import a_subject, event_body
from tests.oversight.conftest import Oversight
from tests.oversight.test_scopes import _grant, _seen


def _purged(tenant: Tenant) -> tuple[str, str]:
    """Purge a new subject of ``tenant``; return its reference and the certificate's id."""
    subject = a_subject(tenant, photos=2)
    response = tenant.client("compliance_officer").post(
        "/api/v1/legal-events", event_body(subject, "charges_stayed"), format="json"
    )
    assert response.status_code == 201, response.content
    return subject.ref, str(response.json()["certificate"]["id"])


def test_an_auditor_lists_the_granted_agencys_certificates_only(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    ref, certificate_id = _purged(tenant_a)
    _, other_id = _purged(tenant_b)
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    client = oversight.client("auditor")
    response = client.get(f"/api/v1/oversight/agencies/{tenant_a.agency.id}/deletion-certificates")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    mine = next(r for r in rows if r["id"] == certificate_id)
    assert mine["subject_ref"] == "withheld"
    assert (mine["photos_deleted"], mine["faces_deleted"]) == (2, 2)
    assert len(mine["photo_sha256"]) == 2
    assert (mine["event_kind"], mine["rule_id"]) == ("charges_stayed", "R-STAYED")
    assert mine["deleted_by"] == tenant_a.users["compliance_officer"].username
    assert other_id not in {r["id"] for r in rows}
    text = json.dumps(rows)
    assert ref not in text
    for field in ("embedding", "content", "display_name"):
        assert f'"{field}"' not in text
    # The database admits the auditor to the granted agency's certificates only.
    assert _seen(oversight.auditor.pk, "matching_deletioncertificate") == {tenant_a.agency.id}
    assert _seen(oversight.other_auditor.pk, "matching_deletioncertificate") == set()
    with agency_transaction(tenant_a.agency.id):
        read = AuditEvent.objects.filter(
            agency_id=tenant_a.agency.id, action="oversight.read"
        ).latest("seq")
        assert DeletionCertificate.objects.filter(id=certificate_id).exists()
    assert read.data["resource"] == "deletion_certificates"
    assert read.data["rows"] == len(rows)
    assert read.actor == oversight.auditor.username


def test_another_agency_and_another_auditor_get_404(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _purged(tenant_b)
    _grant(oversight, tenant_a, start=-timedelta(hours=1), end=timedelta(days=30))
    other = oversight.client("auditor").get(
        f"/api/v1/oversight/agencies/{tenant_b.agency.id}/deletion-certificates"
    )
    assert other.status_code == 404
    assert other.json()["error"]["code"] == errors.AGENCY_NOT_IN_SCOPE
    colleague = oversight.client("other_auditor").get(
        f"/api/v1/oversight/agencies/{tenant_a.agency.id}/deletion-certificates"
    )
    assert colleague.status_code == 404
    with agency_transaction(tenant_b.agency.id):
        assert not AuditEvent.objects.filter(
            agency_id=tenant_b.agency.id, action="oversight.read"
        ).exists()


def test_the_agency_lists_its_own_certificates(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    ref, certificate_id = _purged(tenant_a)
    own = tenant_a.client("auditor").get("/api/v1/deletion-certificates").json()["results"]
    assert any(r["id"] == certificate_id and r["subject_ref"] == ref for r in own)
    theirs = tenant_b.client("auditor").get("/api/v1/deletion-certificates").json()["results"]
    assert certificate_id not in {r["id"] for r in theirs}
    refused = tenant_a.client("investigator").get("/api/v1/deletion-certificates")
    assert refused.status_code == 403
