"""Statistics: scoped like every other read, recorded like every other read, downloadable."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from matching.models import Search
from oversight import errors
from oversight.services import oversight_grant_create
from oversight.statistics import statistics_agencies, statistics_compute
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tests.conftest import Tenant
from tests.oversight.conftest import Oversight
from tests.portal.conftest import sign_in, staff_create


def _grant(oversight: Oversight, tenant: Tenant) -> None:
    now = timezone.now()
    oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=oversight.auditor,
        agency=tenant.agency,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        reason="Statistics review",
    )


def _truth(agency_id: str) -> dict[str, Any]:
    with agency_transaction(agency_id):
        searches = Search.objects.filter(agency_id=agency_id)
        return {
            "searches": searches.count(),
            "exigent": searches.filter(exigent__isnull=False).count(),
            "decisions": PolicyDecision.objects.filter(agency_id=agency_id).count(),
            "denials": PolicyDecision.objects.filter(agency_id=agency_id, allow=False).count(),
        }


def _searches_made(tenant: Tenant) -> None:
    """Submit one search the policy allows and one it denies (a role that may not search)."""
    from tests.conftest import photo, search_fields
    from tests.matching.test_bad_input import upload

    for role, expected in (("investigator", {"queued", "running"}), ("auditor", {"denied"})):
        response = tenant.client(role).post(
            "/api/v1/searches",
            {**search_fields(), "probe": upload(photo("obama.jpg"), "p.jpg")},
            format="multipart",
        )
        assert response.status_code in (201, 202), response.content
        assert response.json()["status"] in expected


def test_an_auditor_gets_the_granted_agencys_figures_only(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _searches_made(tenant_a)
    assert statistics_agencies(user=oversight.auditor) == []
    _grant(oversight, tenant_a)
    assert statistics_agencies(user=oversight.auditor) == [tenant_a.agency.id]
    stats = statistics_compute(user=oversight.auditor)
    truth = _truth(tenant_a.agency.id)
    assert truth["searches"] >= 2
    assert truth["denials"] >= 1
    assert stats.agencies == [tenant_a.agency.id]
    assert stats.searches == truth["searches"]
    assert stats.decisions == truth["decisions"]
    assert stats.denials == truth["denials"]
    assert stats.exigent == truth["exigent"]
    assert sum(stats.by_purpose.values()) == truth["searches"]
    assert sum(stats.by_month.values()) == truth["searches"]
    with pytest.raises(ApiError) as refused:
        statistics_compute(user=oversight.auditor, agencies=[tenant_b.agency.id])
    assert refused.value.error_code == errors.AGENCY_NOT_IN_SCOPE
    with agency_transaction(tenant_a.agency.id):
        assert AuditEvent.objects.filter(
            agency_id=tenant_a.agency.id, action="oversight.read", data__resource="statistics"
        ).exists()


def test_denials_by_reason_count_the_engines_codes(db: None, tenant_a: Tenant) -> None:
    _searches_made(tenant_a)
    stats = statistics_compute(user=tenant_a.users["compliance_officer"])
    with agency_transaction(tenant_a.agency.id):
        reasons = [
            r["code"]
            for d in PolicyDecision.objects.filter(agency_id=tenant_a.agency.id, allow=False)
            for r in d.reasons
            if r.get("kind") == "deny"
        ]
    assert sum(stats.by_reason.values()) == len(reasons) > 0
    assert stats.by_reason.get("user_role_not_permitted", 0) >= 1
    assert stats.denial_rate == (
        round(stats.denials / stats.decisions, 4) if stats.decisions else 0.0
    )


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("supervisor", True),
        ("compliance_officer", True),
        ("agency_admin", True),
        ("investigator", False),
        ("analyst", False),
    ],
)
def test_leadership_sees_its_own_agency_only(
    db: None, tenant_a: Tenant, tenant_b: Tenant, role: str, sees: bool
) -> None:
    user = tenant_a.users[role]
    assert statistics_agencies(user=user) == ([tenant_a.agency.id] if sees else [])
    with pytest.raises(ApiError):
        statistics_compute(user=user, agencies=[tenant_b.agency.id])


def test_the_csv_download_carries_the_same_figures(db: None, tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a, role="compliance_officer")
    client = Client()
    sign_in(client, staff)
    page = client.get("/oversight/statistics")
    assert page.status_code == 200
    response = client.get("/oversight/statistics.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["dimension", "key", "value"]
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("totals", "searches")] == str(_truth(tenant_a.agency.id)["searches"])


def test_an_investigator_has_no_statistics_page(db: None, tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a, role="investigator")
    client = Client()
    sign_in(client, staff)
    assert client.get("/oversight/statistics").status_code == 404
    assert client.get("/oversight/exports").status_code == 404


def test_similarity_bands_and_final_dispositions_come_from_the_audit_trail(
    db: None, tenant_a: Tenant
) -> None:
    from audit.services import audit_record

    user = tenant_a.users["supervisor"]
    before = statistics_compute(user=user)
    with agency_transaction(tenant_a.agency.id):
        audit_record(
            agency_id=tenant_a.agency.id,
            actor="worker",
            action="search.completed",
            object_type="search",
            object_id="s-1",
            data={"candidates": 3, "similarities": [0.97, 0.93, 0.81]},
        )
        for disposition in ("pending", "possible_match", "not_a_match"):
            audit_record(
                agency_id=tenant_a.agency.id,
                actor=user,
                action="candidate.reviewed",
                object_type="search",
                object_id="s-1",
                data={"rank": 1, "disposition": disposition},
            )
    after = statistics_compute(user=user)

    def grew(key: str, name: str) -> int:
        return after.series()[name].get(key, 0) - before.series()[name].get(key, 0)

    assert list(after.similarity) == ["0.80-0.85", "0.85-0.90", "0.90-0.95", ">=0.95"]
    assert [grew(b, "similarity") for b in after.similarity] == [1, 0, 1, 1]
    assert grew("possible_match", "dispositions") == 1
    assert grew("not_a_match", "dispositions") == 1
    assert "pending" not in after.dispositions
    rows = {(d, k) for d, k, _ in after.rows()}
    assert ("similarity", ">=0.95") in rows and ("dispositions", "inconclusive") in rows
