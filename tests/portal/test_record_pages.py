"""Authority-record pages: who lists, reads, enters, verifies and revokes what; other agencies;
the document's headers and audit; the new-search form's choice of the case's records."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from authorizations.models import RecordStatus, Warrant
from authorizations.services import Document, record_enter, record_verify
from tenants.context import agency_transaction
from tests.authorizations.test_records import PDF
from tests.conftest import Tenant, photo
from tests.portal.conftest import Staff, sign_in, staff_create
from tests.portal.test_pages import form_fields, searches_of

pytestmark = pytest.mark.django_db


def signed_in_as(tenant: Tenant, role: str) -> tuple[Client, Staff]:
    client = Client()
    staff = staff_create(tenant, role)
    sign_in(client, staff)
    return client, staff


def confirm(client: Client, staff: Staff) -> None:
    """Confirm who one is again, as the sensitive actions ask."""
    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302


def warrant_of(
    author: Any,
    *,
    case: str = "2026-123456",
    verifier: Any = None,
    expires_in: timedelta = timedelta(days=28),
    number: str | None = None,
) -> Warrant:
    """Enter a warrant through the service (verified by ``verifier`` when given)."""
    now = timezone.now()
    warrant = record_enter(
        user=author,
        record=Warrant(
            case_number=case,
            kind="production_order",
            number=number or f"PO-{uuid.uuid4().hex[:6]}",
            issuing_court="Ontario Court of Justice, Toronto",
            issuing_jurisdiction="CA-ON",
            issued_at=now - timedelta(days=2),
            expires_at=now + expires_in,
            authorized_purposes=["criminal_investigation"],
            authorized_case_number=case,
        ),
        document=Document(name="order.pdf", content=PDF),
    )
    if verifier is not None:
        warrant = record_verify(user=verifier, record=warrant)
    return warrant


def page_of(warrant: Warrant, suffix: str = "") -> str:
    return f"/authorities/warrants/{warrant.id}{suffix}"


def events(tenant: Tenant, action: str, object_id: str) -> list[AuditEvent]:
    with agency_transaction(tenant.agency.id):
        return list(AuditEvent.objects.filter(action=action, object_id=object_id))


def warrant_form(case: str = "2026-123456", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "search_warrant",
        "number": "SW-2026-0042",
        "case_number": case,
        "authorized_case_number": case,
        "issuing_court": "Ontario Court of Justice, Toronto",
        "issuing_jurisdiction": "CA-ON",
        "issued_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "expires_at": (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        "authorized_purposes": ["criminal_investigation"],
        "document": SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf"),
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def test_an_investigator_enters_a_warrant_with_its_document(tenant_a: Tenant) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    form = client.get("/authorities/new/warrants?case_number=2026-777")
    assert form.status_code == 200
    assert 'value="2026-777"' in form.content.decode()
    response = client.post("/authorities/new/warrants", warrant_form("2026-777"))
    assert response.status_code == 302, response.content.decode()[:2000]
    with agency_transaction(tenant_a.agency.id):
        warrant = Warrant.objects.get(entered_by=staff.user)
    assert warrant.status == RecordStatus.PENDING
    assert warrant.document_type == "application/pdf"
    assert response["Location"] == page_of(warrant)
    listed = client.get("/authorities?case_number=2026-777").content.decode()
    assert str(warrant.id) in listed and "Pending verification" in listed


def test_a_document_that_is_not_pdf_jpeg_or_png_is_refused_beside_its_field(
    tenant_a: Tenant,
) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    text = SimpleUploadedFile("order.pdf", b"just text, not a PDF", content_type="application/pdf")
    response = client.post("/authorities/new/warrants", warrant_form(document=text))
    assert response.status_code == 415
    assert 'id="id_document_errors"' in response.content.decode()
    assert "PDF, JPEG or PNG" in response.content.decode()
    with agency_transaction(tenant_a.agency.id):
        assert not Warrant.objects.filter(entered_by=staff.user).exists()


def test_the_input_rules_are_the_apis(tenant_a: Tenant) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    before = (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/authorities/new/warrants", warrant_form(expires_at=before))
    assert response.status_code == 400
    assert 'id="id_expires_at_errors"' in response.content.decode()
    with agency_transaction(tenant_a.agency.id):
        assert not Warrant.objects.filter(entered_by=staff.user).exists()


def test_the_document_is_served_no_store_and_each_opening_is_audited(tenant_a: Tenant) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    warrant = warrant_of(staff.user)
    response = client.get(page_of(warrant, "/document"))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    opened = events(tenant_a, "warrant.document_downloaded", str(warrant.id))
    assert len(opened) == 1 and opened[0].actor == staff.user.username
    assert client.get(page_of(warrant)).status_code == 200
    assert len(events(tenant_a, "warrant.viewed", str(warrant.id))) == 1


def test_an_investigator_reads_only_their_own_records(tenant_a: Tenant) -> None:
    client, _staff = signed_in_as(tenant_a, "investigator")
    colleague = staff_create(tenant_a, "investigator")
    theirs = warrant_of(colleague.user)
    assert str(theirs.id) not in client.get("/authorities").content.decode()
    assert client.get(page_of(theirs)).status_code == 403
    assert client.get(page_of(theirs, "/document")).status_code == 403
    assert events(tenant_a, "warrant.document_downloaded", str(theirs.id)) == []
    refused = events(tenant_a, "request.refused", page_of(theirs)[:80])
    assert refused and refused[0].data["code"] == "permission_denied"


def test_roles_without_the_records_get_not_found(tenant_a: Tenant) -> None:
    client, _staff = signed_in_as(tenant_a, "agency_admin")
    warrant = warrant_of(staff_create(tenant_a, "investigator").user)
    for path in ("/authorities", page_of(warrant), page_of(warrant, "/document")):
        assert client.get(path).status_code == 404, path
    assert client.get("/authorities/new/warrants").status_code == 404
    assert "/authorities" not in client.get("/").content.decode()


def test_an_auditor_reads_every_record_but_neither_verifies_nor_revokes(
    tenant_a: Tenant,
) -> None:
    client, _staff = signed_in_as(tenant_a, "auditor")
    warrant = warrant_of(staff_create(tenant_a, "investigator").user)
    page = client.get(page_of(warrant)).content.decode()
    assert "record-verify" not in page and "record-revoke" not in page
    assert client.post(page_of(warrant, "/verify")).status_code == 404
    assert client.post(page_of(warrant, "/revoke"), {"reason": "x"}).status_code == 404
    assert client.get("/authorities/new/warrants").status_code == 404
    with agency_transaction(tenant_a.agency.id):
        assert Warrant.objects.get(pk=warrant.pk).status == RecordStatus.PENDING


def test_a_supervisor_cannot_verify_their_own_record_another_one_does(tenant_a: Tenant) -> None:
    first, first_staff = signed_in_as(tenant_a, "supervisor")
    second, second_staff = signed_in_as(tenant_a, "supervisor")
    warrant = warrant_of(first_staff.user)
    assert "record-verify" in first.get(page_of(warrant)).content.decode()
    asked = first.post(page_of(warrant, "/verify"))
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert events(tenant_a, "warrant.verified", str(warrant.id)) == []
    confirm(first, first_staff)
    confirm(second, second_staff)
    refused = first.post(page_of(warrant, "/verify"))
    assert refused.status_code == 409
    assert "another supervisor verifies it" in refused.content.decode()
    with agency_transaction(tenant_a.agency.id):
        assert Warrant.objects.get(pk=warrant.pk).status == RecordStatus.PENDING
    verified = second.post(page_of(warrant, "/verify"))
    assert verified.status_code == 302
    with agency_transaction(tenant_a.agency.id):
        assert Warrant.objects.get(pk=warrant.pk).status == RecordStatus.VERIFIED
    page = second.get(page_of(warrant)).content.decode()
    assert 'data-state="verified"' in page and "record-verify" not in page


def test_revoking_needs_a_reason_and_takes_the_record_off_the_picker(tenant_a: Tenant) -> None:
    supervisor, sup = signed_in_as(tenant_a, "supervisor")
    confirm(supervisor, sup)
    investigator, staff = signed_in_as(tenant_a, "investigator")
    warrant = warrant_of(
        staff.user, case="2026-REV", verifier=staff_create(tenant_a, "supervisor").user
    )
    picker = "/searches/new/authorities?case_number=2026-REV"
    assert str(warrant.id) in investigator.get(picker).content.decode()
    blank = supervisor.post(page_of(warrant, "/revoke"), {"reason": ""})
    assert blank.status_code == 400
    assert 'id="id_reason_errors"' in blank.content.decode()
    revoked = supervisor.post(page_of(warrant, "/revoke"), {"reason": "Quashed on review."})
    assert revoked.status_code == 302
    with agency_transaction(tenant_a.agency.id):
        fresh = Warrant.objects.get(pk=warrant.pk)
    assert fresh.status == RecordStatus.REVOKED
    assert fresh.revocation_reason == "Quashed on review."
    assert str(warrant.id) not in investigator.get(picker).content.decode()
    assert events(tenant_a, "warrant.revoked", str(warrant.id))


def test_another_agencys_record_is_not_found(tenant_a: Tenant, tenant_b: Tenant) -> None:
    client, staff = signed_in_as(tenant_a, "supervisor")
    confirm(client, staff)
    foreign = warrant_of(
        staff_create(tenant_b, "investigator").user,
        verifier=staff_create(tenant_b, "supervisor").user,
    )
    for path in (page_of(foreign), page_of(foreign, "/document")):
        assert client.get(path).status_code == 404, path
    assert client.post(page_of(foreign, "/verify")).status_code == 404
    assert client.post(page_of(foreign, "/revoke"), {"reason": "Not ours."}).status_code == 404
    assert client.get(f"/authorities/warrants/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/authorities/passports/{foreign.id}").status_code == 404
    with agency_transaction(tenant_b.agency.id):
        assert Warrant.objects.get(pk=foreign.pk).status == RecordStatus.VERIFIED


def test_the_list_is_filtered_by_case_and_paginated(tenant_a: Tenant) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    case = f"2026-P{uuid.uuid4().hex[:5]}"
    made = [warrant_of(staff.user, case=case) for _ in range(21)]
    other = warrant_of(staff.user, case="2026-OTHER")
    first = client.get(f"/authorities?case_number={case}").content.decode()
    assert "Page 1 of 2" in first and str(other.id) not in first
    assert str(made[-1].id) in first and str(made[0].id) not in first
    second = client.get(f"/authorities?case_number={case}&page=2").content.decode()
    assert str(made[0].id) in second


def test_the_picker_offers_the_cases_verified_unexpired_records_only(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    supervisor = staff_create(tenant_a, "supervisor").user
    case = f"2026-K{uuid.uuid4().hex[:5]}"
    usable = warrant_of(staff.user, case=case, verifier=supervisor, number="PO-USABLE")
    pending = warrant_of(staff.user, case=case)
    expired = warrant_of(staff.user, case=case, verifier=supervisor, expires_in=-timedelta(hours=1))
    elsewhere = warrant_of(staff.user, case="2026-ELSEWHERE", verifier=supervisor)
    foreign = warrant_of(
        staff_create(tenant_b, "investigator").user,
        case=case,
        verifier=staff_create(tenant_b, "supervisor").user,
    )
    fragment = client.get(f"/searches/new/authorities?case_number={case}").content.decode()
    assert str(usable.id) in fragment
    assert "Production order PO-USABLE, issued by Ontario Court of Justice, Toronto" in fragment
    for absent in (pending, expired, elsewhere, foreign):
        assert str(absent.id) not in fragment
    assert f"/authorities/new/warrants?case_number={case}" in fragment
    page = client.get(f"/searches/new?case_number={case}").content.decode()
    assert str(usable.id) in page and 'hx-get="/searches/new/authorities"' in page


def test_the_picker_offers_a_colleagues_warrant_for_the_case_but_nothing_to_who_cannot_search(
    tenant_a: Tenant,
) -> None:
    from authorizations.selectors import records_usable

    client, _ = signed_in_as(tenant_a, "investigator")
    colleague = staff_create(tenant_a, "investigator").user
    case = f"2026-C{uuid.uuid4().hex[:5]}"
    theirs = warrant_of(
        colleague, case=case, verifier=staff_create(tenant_a, "supervisor").user, number="W-COL"
    )
    # The record itself stays its enterer's to read; the search may still rely on it.
    assert client.get(page_of(theirs)).status_code == 403
    fragment = client.get(f"/searches/new/authorities?case_number={case}").content.decode()
    assert str(theirs.id) in fragment
    auditor = staff_create(tenant_a, "auditor").user
    offered = records_usable(
        agency=tenant_a.agency, user=auditor, case_number=case, now=timezone.now()
    )
    assert (offered.warrants, offered.exigent_approvals, offered.agreements) == ([], [], [])


def test_a_search_relies_on_the_record_picked_and_refuses_any_other(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    client, staff = signed_in_as(tenant_a, "investigator")
    supervisor = staff_create(tenant_a, "supervisor").user
    foreign = warrant_of(
        staff_create(tenant_b, "investigator").user,
        verifier=staff_create(tenant_b, "supervisor").user,
    )
    elsewhere = warrant_of(staff.user, case="2026-ELSEWHERE", verifier=supervisor)
    for refused in (foreign, elsewhere):
        probe = SimpleUploadedFile("probe.jpg", photo("obama3.jpg"), content_type="image/jpeg")
        response = client.post(
            "/searches/new", {**form_fields(warrant_id=str(refused.id)), "probe": probe}
        )
        assert response.status_code == 400
        assert 'id="id_warrant_id_errors"' in response.content.decode()
    assert searches_of(staff) == []
    warrant = warrant_of(staff.user, verifier=supervisor)
    probe = SimpleUploadedFile("probe.jpg", photo("obama3.jpg"), content_type="image/jpeg")
    response = client.post(
        "/searches/new", {**form_fields(warrant_id=str(warrant.id)), "probe": probe}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (search,) = searches_of(staff)
    assert search.warrant_record_id == warrant.id
    assert search.decision is not None and search.decision.allow
