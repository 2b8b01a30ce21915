"""A gallery subject's legal record in the portal: events that purge it, holds, the import,
certificates; who may do what, and another agency's subjects not found."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db


def signed(tenant: Tenant, role: str) -> tuple[Client, Staff]:
    staff = staff_create(tenant, role)
    client = Client()
    sign_in(client, staff)
    return client, staff


def confirm(client: Client, staff: Staff) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302


def enrolled(tenant: Tenant, ref: str = "") -> Any:
    """Enroll one photo for a new subject in a gallery of its own; return the subject."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.galleries import gallery_create
    from matching.models import Subject

    slug = f"legal-{uuid.uuid4().hex[:8]}"
    gallery = gallery_create(
        agency=tenant.agency,
        slug=slug,
        name=f"Legal {slug[-8:]}",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    ref = ref or f"rec-{uuid.uuid4().hex[:6]}"
    item = UploadItem(
        subject_ref=ref, filename="a.jpg", content=photo("obama.jpg"), display_name="A. Person"
    )
    batch = enrollment_batch_create(gallery=gallery, items=[item], enqueue=False)
    enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
    with agency_transaction(tenant.agency.id):
        return Subject.objects.select_related("gallery").get(gallery=gallery, ref=ref)


def url(subject: Any, tail: str = "") -> str:
    return f"/agency/galleries/{subject.gallery.slug}/subjects/{subject.pk}{tail}"


def events(agency_id: str, action: str, object_id: str | None = None) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        found = AuditEvent.objects.filter(agency_id=agency_id, action=action)
        if object_id is not None:
            found = found.filter(object_id=object_id)
        return list(found.order_by("seq"))


def fresh(tenant: Tenant, subject: Any) -> Any:
    from matching.models import Subject

    with agency_transaction(tenant.agency.id):
        return Subject.objects.get(pk=subject.pk)


def photos_of(tenant: Tenant, subject: Any) -> int:
    from matching.models import SubjectPhoto

    with agency_transaction(tenant.agency.id):
        return SubjectPhoto.objects.filter(subject_id=subject.pk).count()


ACQUITTAL = {
    "kind": "acquittal",
    "event_date": "2026-01-15",
    "reference": "ONCJ 4411-25",
    "note": "Acquitted on all counts.",
}


def test_an_acquittal_purges_the_subject_and_shows_its_certificate(tenant_a: Tenant) -> None:
    client, staff = signed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    page = client.get(url(subject)).content.decode()
    assert "legal-event-form" in page and 'value="ycja_access_period_end"' in page
    assert "End of a YCJA access period" in page
    assert "hold-form" not in page  # holds are compliance officers'
    # Recording asks to confirm who one is first; nothing is written before.
    response = client.post(url(subject, "/legal-events"), ACQUITTAL)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert events(staff.user.agency_id, "legal_event.recorded") == [] or all(
        e.data["subject_id"] != subject.pk
        for e in events(staff.user.agency_id, "legal_event.recorded")
    )
    confirm(client, staff)
    response = client.post(url(subject, "/legal-events"), ACQUITTAL)
    assert response.status_code == 302
    match = re.fullmatch(r"/agency/certificates/([0-9a-f-]{36})", response["Location"])
    assert match, response["Location"]
    certificate = client.get(response["Location"]).content.decode()
    assert f"{subject.ref} is purged" in certificate
    assert f"<code>{subject.ref}</code>" in certificate
    assert 'data-deleted="photos">1<' in certificate and 'data-deleted="faces">1<' in certificate
    assert 'data-rule="R-ACQUITTAL"' in certificate
    assert "Identification of Criminals Act" in certificate
    assert f'data-deleted-by="{staff.user.username}"' in certificate
    assert "ONCJ 4411-25" in certificate and "Acquittal" in certificate
    assert fresh(tenant_a, subject).purged_at is not None and photos_of(tenant_a, subject) == 0
    (recorded,) = [
        e
        for e in events(staff.user.agency_id, "legal_event.recorded")
        if e.data["subject_id"] == subject.pk
    ]
    assert recorded.actor == staff.user.username and recorded.data["outcome"] == "purged"
    (purged,) = events(staff.user.agency_id, "subject.purged", str(subject.pk))
    assert purged.data["certificate"] == match.group(1) and purged.actor == staff.user.username
    gallery = client.get(f"/agency/galleries/{subject.gallery.slug}").content.decode()
    assert f'data-subject="{subject.ref}"' not in gallery
    tombstone = client.get(url(subject)).content.decode()
    assert 'data-subject-state="purged"' in tombstone and "legal-event-form" not in tombstone
    assert f"/agency/certificates/{match.group(1)}" in tombstone
    # Once purged, another event is refused on the page and on record.
    again = client.post(url(subject, "/legal-events"), ACQUITTAL)
    assert again.status_code == 409
    assert "already been purged" in again.content.decode()


def test_a_bad_event_is_refused_beside_its_field(tenant_a: Tenant) -> None:
    client, staff = signed(tenant_a, "compliance_officer")  # they record events too
    subject = enrolled(tenant_a)
    confirm(client, staff)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url(subject, "/legal-events"), {**ACQUITTAL, "event_date": tomorrow})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_event_date_errors"' in page and "cannot be dated in the future" in page
    response = client.post(url(subject, "/legal-events"), {"kind": "pardon", "reference": ""})
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("kind", "event_date", "reference"):
        assert f'id="id_{field}_errors"' in page, field
    assert fresh(tenant_a, subject).purged_at is None and photos_of(tenant_a, subject) == 1
    # A YCJA access period ending ahead is recorded and scheduled, not purged now.
    ahead = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        url(subject, "/legal-events"),
        {"kind": "ycja_access_period_end", "event_date": ahead, "reference": "YC-1"},
    )
    assert response["Location"] == url(subject)
    page = client.get(url(subject)).content.decode()
    assert "will be purged on" in page and 'data-kind="ycja_access_period_end"' in page
    assert fresh(tenant_a, subject).purged_at is None


def test_a_legal_hold_stops_the_purge_until_it_is_lifted(tenant_a: Tenant) -> None:
    from matching.gallery_purge import subjects_purge_due
    from matching.models import LegalHold

    officer, officer_staff = signed(tenant_a, "compliance_officer")
    admin, admin_staff = signed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    assert "hold-form" in officer.get(url(subject)).content.decode()
    confirm(officer, officer_staff)
    assert officer.post(url(subject, "/holds"), {"reason": " "}).status_code == 400
    response = officer.post(url(subject, "/holds"), {"reason": "Appeal filed by the Crown."})
    assert response["Location"] == url(subject)
    with agency_transaction(tenant_a.agency.id):
        hold = LegalHold.objects.get(subject_id=subject.pk)
    (placed,) = events(tenant_a.agency.id, "legal_hold.placed", str(hold.id))
    assert placed.actor == officer_staff.user.username
    page = admin.get(url(subject)).content.decode()
    assert 'data-subject-state="held"' in page and "Appeal filed by the Crown." in page
    assert "While the hold is in force" in page

    confirm(admin, admin_staff)
    response = admin.post(url(subject, "/legal-events"), ACQUITTAL)
    assert response["Location"] == url(subject)
    page = admin.get(url(subject)).content.decode()
    assert "is on legal hold: nothing was purged" in page
    assert fresh(tenant_a, subject).purged_at is None and photos_of(tenant_a, subject) == 1
    assert events(tenant_a.agency.id, "subject.purged", str(subject.pk)) == []
    # A second hold is refused; an admin may not lift one.
    assert officer.post(url(subject, "/holds"), {"reason": "Again."}).status_code == 409
    lift = url(subject, f"/holds/{hold.id}/lift")
    assert admin.post(lift, {"reason": "x"}).status_code == 404

    assert officer.post(lift, {"reason": ""}).status_code == 400
    response = officer.post(lift, {"reason": "Appeal dismissed."})
    assert response["Location"] == url(subject)
    (lifted,) = events(tenant_a.agency.id, "legal_hold.lifted", str(hold.id))
    assert lifted.data["reason"] == "Appeal dismissed."
    assert officer.post(lift, {"reason": "Again."}).status_code == 409
    assert subjects_purge_due(agency_id=tenant_a.agency.id) >= 1
    assert fresh(tenant_a, subject).purged_at is not None
    (purged,) = events(tenant_a.agency.id, "subject.purged", str(subject.pk))
    assert purged.actor == "system"


def csv_file(text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("events.csv", text.encode(), content_type="text/csv")


def test_a_csv_import_is_applied_whole_or_not_at_all(tenant_a: Tenant) -> None:
    from matching.models import LegalEvent

    client, staff = signed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    page = f"/agency/galleries/{subject.gallery.slug}/legal-events/import"
    assert page in client.get(f"/agency/galleries/{subject.gallery.slug}").content.decode()
    # The page asks to confirm first: a request resumed after a confirmation has no file.
    assert client.get(page)["Location"].startswith("/accounts/reauthenticate/")
    confirm(client, staff)
    assert "import-form" in client.get(page).content.decode()
    header = "subject_ref,kind,event_date,reference\n"
    bad = header + f"{subject.ref},acquittal,2026-01-15,R-1\nnobody-here,acquittal,2026-13-01,R-2\n"
    response = client.post(page, {"file": csv_file(bad)})
    assert response.status_code == 400
    report = response.content.decode()
    assert 'data-applied="false"' in report and "Nothing was written." in report
    assert 'data-row="2" data-status="valid"' in report
    assert 'data-row="3" data-status="error"' in report
    assert "The date must be written YYYY-MM-DD." in report
    with agency_transaction(tenant_a.agency.id):
        assert not LegalEvent.objects.filter(subject_id=subject.pk).exists()
    assert fresh(tenant_a, subject).purged_at is None
    assert len(events(tenant_a.agency.id, "request.refused", page[:80])) == 1

    unreadable = client.post(page, {"file": csv_file("ref;kind\nx;y\n")})
    assert unreadable.status_code == 400
    assert 'id="id_file_errors"' in unreadable.content.decode()

    good = header + f"{subject.ref},charges_withdrawn,2026-01-15,R-1\n"
    response = client.post(page, {"file": csv_file(good)})
    assert response.status_code == 200
    report = response.content.decode()
    assert 'data-applied="true"' in report and 'data-row="2" data-status="purged"' in report
    assert "/agency/certificates/" in report
    assert fresh(tenant_a, subject).purged_at is not None
    (imported,) = [
        e
        for e in events(tenant_a.agency.id, "legal_events.imported")
        if e.actor == staff.user.username
    ]
    assert imported.data["rows"] == 1 and imported.data["purged"] == 1


def test_roles_without_the_action_find_no_form_and_no_page(tenant_a: Tenant) -> None:
    subject = enrolled(tenant_a)
    investigator, _ = signed(tenant_a, "investigator")
    auditor, _ = signed(tenant_a, "auditor")
    imports = f"/agency/galleries/{subject.gallery.slug}/legal-events/import"
    for path in (url(subject), imports, f"/agency/certificates/{uuid.uuid4()}"):
        assert investigator.get(path).status_code == 404, path
    for path in ("/legal-events", "/holds"):
        assert investigator.post(url(subject, path), ACQUITTAL).status_code == 404
    # Auditors read the subject's record, and change nothing.
    page = auditor.get(url(subject)).content.decode()
    assert "legal-event-form" not in page and "hold-form" not in page
    assert auditor.post(url(subject, "/legal-events"), ACQUITTAL).status_code == 404
    assert auditor.post(url(subject, "/holds"), {"reason": "x"}).status_code == 404
    assert auditor.get(imports).status_code == 404
    assert fresh(tenant_a, subject).purged_at is None


def test_another_agencys_subject_hold_and_certificate_are_not_found(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from matching.legal_events import EventInput, legal_event_record

    subject = enrolled(tenant_a)
    foreign, foreign_staff = signed(tenant_b, "agency_admin")
    officer_b, officer_b_staff = signed(tenant_b, "compliance_officer")
    # Not found before any confirmation is asked for.
    assert foreign.post(url(subject, "/legal-events"), ACQUITTAL).status_code == 404
    imports = f"/agency/galleries/{subject.gallery.slug}/legal-events/import"
    assert foreign.get(imports).status_code == 404
    confirm(foreign, foreign_staff)
    confirm(officer_b, officer_b_staff)
    # The same slug in agency B names B's gallery, which holds no such subject.
    same_slug = f"/agency/galleries/booking/subjects/{subject.pk}"
    for path in (url(subject), same_slug):
        assert foreign.get(path).status_code == 404, path
        assert foreign.post(f"{path}/legal-events", ACQUITTAL).status_code == 404
        assert officer_b.post(f"{path}/holds", {"reason": "x"}).status_code == 404
    assert (
        foreign.get(f"/agency/galleries/{subject.gallery.slug}/legal-events/import").status_code
        == 404
    )
    officer_a = staff_create(tenant_a, "compliance_officer").user
    recorded = legal_event_record(
        user=officer_a,
        data=EventInput(
            subject_ref=subject.ref,
            gallery=subject.gallery.slug,
            kind="acquittal",
            event_date=timezone.localdate(),
            reference="R-9",
        ),
    )
    assert recorded.certificate is not None
    assert foreign.get(f"/agency/certificates/{recorded.certificate.id}").status_code == 404
    assert (
        officer_b.post(url(subject, f"/holds/{uuid.uuid4()}/lift"), {"reason": "x"}).status_code
        == 404
    )
