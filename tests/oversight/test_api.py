"""Oversight over HTTP: grants by a national administrator, scoped reads, each read recorded."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.verification import audit_chain_verify
from matching.models import Search
from oversight import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant, search_fields
from tests.oversight.conftest import Oversight


def _grant_body(oversight: Oversight, tenant: Tenant, **overrides: str) -> dict[str, str]:
    now = timezone.now()
    body = {
        "auditor": oversight.auditor.username,
        "agency": tenant.agency.id,
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(days=90)).isoformat(),
        "reason": "Review of FR use, fiscal year 2026",
    }
    body.update(overrides)
    return body


def _granted(oversight: Oversight, tenant: Tenant) -> str:
    response = oversight.client("national_admin").post(
        "/api/v1/oversight/grants", _grant_body(oversight, tenant), format="json"
    )
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def test_national_admin_grants_and_the_overseen_agency_sees_it(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    grant_id = _granted(oversight, tenant_a)
    seen_by_a = tenant_a.client("agency_admin").get("/api/v1/oversight/grants").json()
    assert [g["id"] for g in seen_by_a["results"]] == [grant_id]
    assert seen_by_a["results"][0]["body"] == oversight.body.id
    assert tenant_b.client("agency_admin").get("/api/v1/oversight/grants").json() == {"results": []}
    body_view = oversight.client("auditor").get("/api/v1/oversight/agencies").json()
    assert [g["agency"] for g in body_view["results"]] == [tenant_a.agency.id]


@pytest.mark.parametrize("who", ["agency_admin", "auditor"])
def test_no_one_else_grants(db: None, oversight: Oversight, tenant_a: Tenant, who: str) -> None:
    client = tenant_a.client(who) if who == "agency_admin" else oversight.client("auditor")
    response = client.post(
        "/api/v1/oversight/grants", _grant_body(oversight, tenant_a), format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == errors.NOT_NATIONAL_ADMIN


def test_a_backwards_period_is_refused(db: None, oversight: Oversight, tenant_a: Tenant) -> None:
    now = timezone.now()
    response = oversight.client("national_admin").post(
        "/api/v1/oversight/grants",
        _grant_body(
            oversight,
            tenant_a,
            starts_at=now.isoformat(),
            ends_at=(now - timedelta(days=1)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == errors.PERIOD_INVALID


@pytest.mark.parametrize(
    "resource", ["audit-events", "searches", "decisions", "deletion-certificates"]
)
def test_reads_answer_for_the_granted_agency_only(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant, resource: str
) -> None:
    _granted(oversight, tenant_a)
    client = oversight.client("auditor")
    ok = client.get(f"/api/v1/oversight/agencies/{tenant_a.agency.id}/{resource}")
    assert ok.status_code == 200, ok.content
    other = client.get(f"/api/v1/oversight/agencies/{tenant_b.agency.id}/{resource}")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == errors.AGENCY_NOT_IN_SCOPE
    colleague = oversight.client("other_auditor").get(
        f"/api/v1/oversight/agencies/{tenant_a.agency.id}/{resource}"
    )
    assert colleague.status_code == 404


def test_reads_show_no_image_embedding_or_name(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    _granted(oversight, tenant_a)
    client = oversight.client("auditor")
    base = f"/api/v1/oversight/agencies/{tenant_a.agency.id}"
    events = client.get(f"{base}/audit-events?limit=500").json()["results"]
    assert any(e["action"] == "enrollment.subject" or "ref" in e["data"] for e in events)
    text = json.dumps(
        [
            events,
            client.get(f"{base}/searches").json(),
            client.get(f"{base}/decisions").json(),
        ]
    )
    # The gallery's subject references (here, the people's names) never appear.
    for name in ("obama", "biden"):
        assert name not in text.lower()
    for field in ("embedding", "content", "thumbnail", "display_name", "probe_meta"):
        assert f'"{field}"' not in text


def test_every_read_is_an_event_in_the_overseen_chain(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    _granted(oversight, tenant_a)
    client = oversight.client("auditor")
    for resource in ("audit-events", "searches", "decisions"):
        response = client.get(f"/api/v1/oversight/agencies/{tenant_a.agency.id}/{resource}")
        assert response.status_code == 200
    with agency_transaction(tenant_a.agency.id):
        reads = list(
            AuditEvent.objects.filter(
                agency_id=tenant_a.agency.id, action="oversight.read"
            ).order_by("seq")
        )
    assert [e.data["resource"] for e in reads] == ["audit_events", "searches", "decisions"]
    assert {e.actor for e in reads} == {oversight.auditor.username}
    assert all(e.data["body"] == oversight.body.id for e in reads)
    assert audit_chain_verify(agency_id=tenant_a.agency.id).ok


def test_a_revoked_grant_stops_reads(db: None, oversight: Oversight, tenant_a: Tenant) -> None:
    grant_id = _granted(oversight, tenant_a)
    revoked = oversight.client("national_admin").post(f"/api/v1/oversight/grants/{grant_id}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    response = oversight.client("auditor").get(
        f"/api/v1/oversight/agencies/{tenant_a.agency.id}/audit-events"
    )
    assert response.status_code == 404


def test_an_auditor_can_never_search(db: None, oversight: Oversight, tenant_a: Tenant) -> None:
    """Even with a gallery of its own, an oversight body's search is denied before any match."""
    from matching.galleries import gallery_create
    from matching.models import Candidate
    from tests.conftest import photo
    from tests.matching.test_bad_input import upload

    _granted(oversight, tenant_a)
    gallery_create(
        agency=oversight.body,
        slug="booking",
        name="Booking photos",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
        cai_disclosure_filed=False,
    )
    response = oversight.client("auditor").post(
        "/api/v1/searches",
        {**search_fields(), "probe": upload(photo("obama.jpg"), "p.jpg")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["status"] == "denied"
    codes = {r["code"] for r in result["decision"]["reasons"]}
    assert {"agency_not_law_enforcement", "user_role_not_permitted"} <= codes
    assert result["candidates"] == []
    with agency_transaction(oversight.body.id):
        searches = list(Search.objects.filter(agency_id=oversight.body.id))
        assert all(s.status == "denied" for s in searches)
        assert not Candidate.objects.filter(agency_id=oversight.body.id).exists()
    with agency_transaction(tenant_a.agency.id):
        assert not Search.objects.filter(requested_by=oversight.auditor).exists()
