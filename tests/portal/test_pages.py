"""Portal pages: my searches, a denied search with every reason, other agencies, headers."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Tenant, photo
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db


def form_fields(**overrides: Any) -> dict[str, Any]:
    """Return the new-search form filled for an allowable robbery search in Ontario."""
    fields: dict[str, Any] = {
        "case_number": "2026-123456",
        "purpose": "criminal_investigation",
        "offence_category": "robbery",
        "offence_code": "CC 344",
        "offence_indictable": "true",
        "gallery": "booking",
        "justification": "Armed robbery suspect captured on store CCTV; no other leads.",
        "probe_source": "cctv",
        "probe_collected_in": "CA-ON",
        "probe_collected_municipality": "Toronto",
        "probe_captured_at": "2026-11-20T14:30",
        "probe_subject_believed_minor": "false",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def searches_of(staff: Staff) -> list[Any]:
    """Return the staff member's searches, read within their agency (row-level security)."""
    from matching.models import Search
    from tenants.context import agency_transaction

    with agency_transaction(staff.user.agency_id):
        return list(Search.objects.select_related("decision").filter(requested_by=staff.user))


def submit(client: Client, **overrides: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    probe = SimpleUploadedFile("probe.jpg", photo("obama3.jpg"), content_type="image/jpeg")
    return client.post("/searches/new", {**form_fields(**overrides), "probe": probe})


def test_a_prohibited_purpose_is_denied_and_every_reason_is_shown(
    signed_in: tuple[Client, Staff],
) -> None:

    client, staff = signed_in
    response = submit(
        client,
        purpose="protest_monitoring",
        justification="Crowd.",
        offence_category="",
        offence_code="",
    )
    assert response.status_code == 302
    search = searches_of(staff)[0]
    assert search.status == "denied"
    page = client.get(response["Location"]).content.decode()
    codes = [r["code"] for r in search.decision.reasons if r["kind"] == "deny"]
    assert {"purpose_prohibited", "justification_insufficient"} <= set(codes)
    for code in codes:
        assert code in page
    assert "Purpose is prohibited for police FR." in page
    assert "Charter" in page  # the legal authority of purpose_prohibited
    assert "not an identification" in page


def test_the_session_decides_mfa_verified(tenant_a: Tenant) -> None:
    """A session that never passed a second factor is denied mfa_not_verified on record."""

    staff = staff_create(tenant_a)
    client = Client()
    client.force_login(staff.user)
    submit(client)
    search = searches_of(staff)[0]
    assert search.status == "denied"
    assert "mfa_not_verified" in [r["code"] for r in search.decision.reasons]


def test_field_errors_are_shown_beside_the_fields(signed_in: tuple[Client, Staff]) -> None:
    client, _ = signed_in
    response = submit(client, purpose="", probe_captured_at="yesterday")
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_purpose_errors"', page)
    assert re.search(r'id="id_probe_captured_at_errors"', page)


def test_an_unreadable_probe_is_refused_beside_the_probe_field(
    signed_in: tuple[Client, Staff],
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client, staff = signed_in
    probe = SimpleUploadedFile("probe.jpg", b"not an image", content_type="image/jpeg")
    response = client.post("/searches/new", {**form_fields(), "probe": probe})
    assert response.status_code == 400
    assert 'id="id_probe_errors"' in response.content.decode()
    assert searches_of(staff) == []


def test_my_searches_lists_only_mine_paginated(
    signed_in: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    from portal.selectors import SEARCHES_PER_PAGE

    client, _ = signed_in
    other = staff_create(tenant_a)
    other_client = Client()
    sign_in(other_client, other)
    submit(other_client, purpose="protest_monitoring", case_number="OTHER-1")
    for n in range(SEARCHES_PER_PAGE + 1):
        submit(client, purpose="protest_monitoring", case_number=f"MINE-{n}")
    first = client.get("/").content.decode()
    assert "OTHER-1" not in first
    assert f"MINE-{SEARCHES_PER_PAGE}" in first and "MINE-0<" not in first
    second = client.get("/?page=2").content.decode()
    assert "MINE-0<" in second


def test_another_agencys_search_is_not_found(
    signed_in: tuple[Client, Staff], tenant_b: Tenant
) -> None:

    foreign_staff = staff_create(tenant_b)
    foreign = Client()
    sign_in(foreign, foreign_staff)
    submit(foreign, purpose="protest_monitoring", probe_collected_in="CA-QC")
    search = searches_of(foreign_staff)[0]
    client, _ = signed_in
    assert client.get(f"/searches/{search.id}").status_code == 404
    assert client.get(f"/searches/{search.id}/live").status_code == 404
    assert client.get(f"/searches/{uuid.uuid4()}").status_code == 404


def test_roles_that_cannot_search_get_no_search_form(tenant_a: Tenant) -> None:
    auditor = staff_create(tenant_a, role="auditor")
    client = Client()
    sign_in(client, auditor)
    assert client.get("/searches/new").status_code == 404
    assert "/searches/new" not in client.get("/").content.decode()


def test_pages_forbid_caching_and_inline_scripts(signed_in: tuple[Client, Staff]) -> None:
    client, _ = signed_in
    for url in ("/", "/searches/new", "/tokens", "/accounts/login/"):
        response = client.get(url)
        assert response["Cache-Control"] == "no-store", url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "<script>" not in response.content.decode()
        assert " style=" not in response.content.decode()


def test_forms_refuse_a_post_without_the_csrf_token(tenant_a: Tenant) -> None:
    staff = staff_create(tenant_a)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"login": staff.user.username, "password": staff.password}
    )
    assert response.status_code == 403
    client.force_login(staff.user)
    assert client.post("/searches/new", form_fields()).status_code == 403
    for url in ("/searches/new", "/tokens"):
        assert 'name="csrfmiddlewaretoken"' in client.get(url).content.decode()
