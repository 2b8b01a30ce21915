"""Lists: cursor pagination, filters, ordering, the agency and the caller's role."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from matching.models import Search, SearchStatus
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields

pytestmark = pytest.mark.django_db


def _denied_search(tenant: Tenant, role: str = "investigator", **overrides: Any) -> str:
    """Submit a search the policy denies (protest monitoring): recorded, nothing queued."""
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    fields = search_fields(purpose="protest_monitoring", **overrides)
    response = tenant.client(role).post(
        "/api/v1/searches", {**fields, "probe": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == SearchStatus.DENIED
    return str(response.json()["id"])


def _all_pages(tenant: Tenant, url: str, role: str = "supervisor") -> list[list[str]]:
    pages, client = [], tenant.client(role)
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    return pages


def test_searches_page_by_cursor_without_gaps_or_repeats(tenant_a: Tenant) -> None:
    ids = [_denied_search(tenant_a, case_number=f"PAGE-{n}") for n in range(5)]
    pages = _all_pages(tenant_a, "/api/v1/searches?page_size=2&purpose=protest_monitoring")
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [i for page in pages for i in page]
    assert listed == list(reversed(ids)), "newest first, each once"
    oldest_first = _all_pages(
        tenant_a, "/api/v1/searches?page_size=2&purpose=protest_monitoring&ordering=created_at"
    )
    assert [i for page in oldest_first for i in page] == ids


def test_search_filters(tenant_a: Tenant) -> None:
    mine = _denied_search(tenant_a, case_number="FILTER-1")
    analyst = _denied_search(tenant_a, role="analyst", case_number="FILTER-2")
    client = tenant_a.client("supervisor")

    def listed(query: str) -> list[str]:
        response = client.get(f"/api/v1/searches?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert listed("case_number=FILTER-1") == [mine]
    analyst_name = tenant_a.users["analyst"].username
    assert listed(f"requested_by={analyst_name}&purpose=protest_monitoring") == [analyst]
    assert set(listed("status=denied&case_number=FILTER-2")) == {analyst}
    assert listed("status=queued&case_number=FILTER-2") == []
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=mine).update(created_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    before = (timezone.now() - timedelta(days=5)).isoformat()
    assert mine not in listed(f"created_after={since.replace('+', '%2B')}")
    assert listed(f"created_before={before.replace('+', '%2B')}&case_number=FILTER-1") == [mine]


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "ordering=case_number",
        "page_size=0",
        "page_size=500",
        "created_after=yesterday",
    ],
)
def test_bad_list_parameters_are_400_with_a_code(tenant_a: Tenant, query: str) -> None:
    response = tenant_a.client("supervisor").get(f"/api/v1/searches?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_investigators_list_their_own_searches_supervisors_all(tenant_a: Tenant) -> None:
    own = _denied_search(tenant_a, case_number="SCOPE-1")
    other = _denied_search(tenant_a, role="analyst", case_number="SCOPE-1")
    url = "/api/v1/searches?case_number=SCOPE-1"
    as_investigator = [r["id"] for r in tenant_a.client().get(url).json()["results"]]
    as_supervisor = [r["id"] for r in tenant_a.client("supervisor").get(url).json()["results"]]
    assert as_investigator == [own]
    assert set(as_supervisor) == {own, other}
    refused = tenant_a.client("agency_admin").get(url)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"


def test_another_agencys_rows_are_never_listed(tenant_a: Tenant, tenant_b: Tenant) -> None:
    theirs = _denied_search(tenant_a, case_number="OTHER-AGENCY-1")
    for url in (
        "/api/v1/searches?case_number=OTHER-AGENCY-1",
        "/api/v1/searches",
        "/api/v1/policy/decisions",
        "/api/v1/enrollments",
        "/api/v1/galleries/booking/subjects",
        "/api/v1/authorities/warrants",
        "/api/v1/follow-ups?status=all",
    ):
        role = "compliance_officer" if "follow-ups" not in url else "supervisor"
        response = tenant_b.client(role).get(url)
        assert response.status_code == 200, (url, response.content)
        rows = response.json()["results"]
        assert theirs not in [r.get("id") for r in rows]
        assert all(r.get("search_id") != theirs for r in rows)
    own_subjects = tenant_b.client("agency_admin").get("/api/v1/galleries/booking/subjects")
    refs = {s["ref"] for s in own_subjects.json()["results"]}
    assert "obama" in refs and "biden" not in refs, "biden is enrolled only in agency A"


def test_decisions_list_by_outcome_and_reason(tenant_a: Tenant) -> None:
    search_id = _denied_search(tenant_a, case_number="DECISION-1")
    client = tenant_a.client("compliance_officer")
    rows = client.get("/api/v1/policy/decisions?case_number=DECISION-1").json()["results"]
    assert [r["search_id"] for r in rows] == [search_id]
    assert rows[0]["allow"] is False
    assert "purpose_prohibited" in [r["code"] for r in rows[0]["reasons"]]
    assert (
        client.get("/api/v1/policy/decisions?case_number=DECISION-1&outcome=allow").json()[
            "results"
        ]
        == []
    )
    by_reason = client.get(
        "/api/v1/policy/decisions?reason=purpose_prohibited&case_number=DECISION-1"
    ).json()["results"]
    assert [r["search_id"] for r in by_reason] == [search_id]
    other = _denied_search(tenant_a, role="analyst", case_number="DECISION-1")
    as_investigator = tenant_a.client().get("/api/v1/policy/decisions?case_number=DECISION-1")
    assert [r["search_id"] for r in as_investigator.json()["results"]] == [search_id]
    assert other


def test_enrollment_batches_and_subjects_are_listed_for_admins(tenant_a: Tenant) -> None:
    admin = tenant_a.client("agency_admin")
    batches = admin.get("/api/v1/enrollments?gallery=booking").json()["results"]
    assert batches and batches[0]["gallery"] == "booking"
    assert admin.get("/api/v1/enrollments?status=failed").json()["results"] == []
    subjects = admin.get("/api/v1/galleries/booking/subjects?ref=obama").json()["results"]
    assert [s["ref"] for s in subjects] == ["obama"]
    assert tenant_a.client().get("/api/v1/enrollments").status_code == 403


@pytest.mark.parametrize("cursor", ["//4=", "cD1ub3RhZGF0ZQ==", "bz0tMQ=="])
def test_a_forged_or_broken_cursor_is_400(tenant_a: Tenant, cursor: str) -> None:
    response = tenant_a.client("supervisor").get(f"/api/v1/searches?cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_an_unknown_url_answers_json_404(tenant_a: Tenant) -> None:
    response = tenant_a.client().get("/api/v1/searches/x/candidates/notanumber/reviews")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
