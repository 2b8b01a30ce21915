"""The agency admin's pages: users, training, tokens, galleries, batches; who may see them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, side_by_side
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ("/agency/users", "/agency/tokens")
GALLERY_PAGES = ("/agency/galleries", "/agency/galleries/booking")


@pytest.fixture
def admin(tenant_a: Tenant) -> tuple[Client, Staff]:
    client = Client()
    staff = staff_create(tenant_a, "agency_admin")
    sign_in(client, staff)
    return client, staff


def confirm(client: Client, staff: Staff) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302


def events(agency_id: str, action: str, object_id: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(
            AuditEvent.objects.filter(agency_id=agency_id, action=action, object_id=object_id)
        )


def batch_of(tenant: Tenant) -> Any:
    from matching.models import EnrollmentBatch

    with agency_transaction(tenant.agency.id):
        return EnrollmentBatch.objects.filter(gallery=tenant.gallery).order_by("created_at")[0]


def test_other_roles_find_no_admin_page(tenant_a: Tenant) -> None:
    investigator = Client()
    sign_in(investigator, staff_create(tenant_a))
    target = tenant_a.users["analyst"].pk
    batch = batch_of(tenant_a)
    for url in (
        *ADMIN_PAGES,
        *GALLERY_PAGES,
        f"/agency/users/{target}",
        f"/agency/batches/{batch.id}",
    ):
        assert investigator.get(url).status_code == 404, url
    # Refused before any confirmation is asked for.
    assert (
        investigator.post(f"/agency/users/{target}/active", {"active": "false"}).status_code == 404
    )
    assert investigator.post("/agency/tokens/1/revoke").status_code == 404
    assert (
        investigator.post("/agency/users", {"username": "x", "roles": ["auditor"]}).status_code
        == 404
    )
    page = investigator.get("/").content.decode()
    assert "/agency/users" not in page and "/agency/galleries" not in page


def test_compliance_reads_galleries_but_not_users(tenant_a: Tenant) -> None:
    officer = Client()
    sign_in(officer, staff_create(tenant_a, "compliance_officer"))
    for url in GALLERY_PAGES:
        assert officer.get(url).status_code == 200, url
    assert officer.get(f"/agency/batches/{batch_of(tenant_a).id}").status_code == 200
    for url in ADMIN_PAGES:
        assert officer.get(url).status_code == 404, url
    page = officer.get("/").content.decode()
    assert "/agency/galleries" in page and "/agency/users" not in page


def test_an_admin_creates_a_user_with_roles(admin: tuple[Client, Staff]) -> None:
    from tenants.models import User

    client, staff = admin
    name = f"new_{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/agency/users",
        {
            "username": name,
            "email": f"{name}@police.example",
            "roles": ["analyst", "supervisor"],
            "password": "a first password 123",
        },
    )
    assert response.status_code == 302
    with agency_transaction(staff.user.agency_id):
        created = User.objects.get(username=name)
    assert response["Location"] == f"/agency/users/{created.pk}"
    assert created.roles == ["analyst", "supervisor"] and created.agency_id == staff.user.agency_id
    assert created.check_password("a first password 123")
    (event,) = events(staff.user.agency_id, "user.created", str(created.pk))
    assert event.actor == staff.user.username
    page = client.get(response["Location"]).content.decode()
    assert f"User {name} created." in page
    assert "Analyst, Supervisor" in page and 'data-action="user.created"' in page
    assert name in client.get("/agency/users").content.decode()


def test_user_form_errors_are_shown_beside_the_fields(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    client, _ = admin
    response = client.post("/agency/users", {"username": "bad name!", "password": "short"})
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("username", "roles", "password"):
        assert f'id="id_{field}_errors"' in page, field
    assert 'aria-describedby="id_username_errors"' in page
    common = client.post(
        "/agency/users",
        {"username": "cst_common", "roles": ["analyst"], "password": "password1234"},
    )
    assert common.status_code == 400
    assert 'id="id_password_errors"' in common.content.decode()
    taken = tenant_a.users["analyst"].username
    response = client.post("/agency/users", {"username": taken, "roles": ["analyst"]})
    assert response.status_code == 400
    assert "A user with this username already exists." in response.content.decode()


def test_disabling_a_user_asks_to_confirm_then_is_audited(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    client, staff = admin
    target = staff_create(tenant_a, "analyst").user
    url = f"/agency/users/{target.pk}/active"
    response = client.post(url, {"active": "false"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert events(staff.user.agency_id, "user.disabled", str(target.pk)) == []
    confirm(client, staff)
    response = client.post(url, {"active": "false"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-active="false"' in page and 'data-action="user.disabled"' in page
    (event,) = events(staff.user.agency_id, "user.disabled", str(target.pk))
    assert event.actor == staff.user.username
    client.post(url, {"active": "true"})
    assert len(events(staff.user.agency_id, "user.enabled", str(target.pk))) == 1
    # One's own account is never disabled from here.
    confirm(client, staff)
    client.post(f"/agency/users/{staff.user.pk}/active", {"active": "false"})
    assert events(staff.user.agency_id, "user.disabled", str(staff.user.pk)) == []


def test_another_agencys_user_and_token_are_not_found(
    admin: tuple[Client, Staff], tenant_b: Tenant
) -> None:
    from tenants.selectors import token_list

    client, staff = admin
    confirm(client, staff)
    foreign_user = tenant_b.users["investigator"]
    foreign_token = token_list(agency=tenant_b.agency, user_id=foreign_user.pk)[0]
    assert client.get(f"/agency/users/{foreign_user.pk}").status_code == 404
    assert (
        client.post(f"/agency/users/{foreign_user.pk}/active", {"active": "false"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/agency/users/{foreign_user.pk}",
            {
                "course": "FR",
                "completed_on": "2026-01-01",
                "expires_on": "2027-01-01",
            },
        ).status_code
        == 404
    )
    assert client.post(f"/agency/tokens/{foreign_token.pk}/revoke").status_code == 404
    assert foreign_token.prefix not in client.get("/agency/tokens").content.decode()
    assert client.get("/agency/galleries/nowhere").status_code == 404
    assert client.get(f"/agency/batches/{uuid.uuid4()}").status_code == 404


def test_training_records_are_added_with_their_expiry(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    client, staff = admin
    target = staff_create(tenant_a, "analyst", trained=False).user
    url = f"/agency/users/{target.pk}"
    assert "No training on record" in client.get(url).content.decode()
    response = client.post(
        url, {"course": "FR refresher", "completed_on": "2026-11-01", "expires_on": "2026-10-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_expires_on_errors"' in page
    assert "The expiry must come after the completion." in page
    response = client.post(
        url, {"course": "FR refresher", "completed_on": "2026-11-01", "expires_on": "2027-11-01"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "FR refresher" in page and 'data-action="training.recorded"' in page
    assert len(events(staff.user.agency_id, "training.recorded", str(target.pk))) == 1


def test_an_admin_revokes_a_token_after_confirming(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    from tenants.models import TokenIssuer
    from tenants.selectors import token_list
    from tenants.services import token_issue

    client, staff = admin
    owner = staff_create(tenant_a, "analyst").user
    key = token_issue(user=owner, issued_via=TokenIssuer.AGENCY_ADMIN, label="nightly export")
    token = token_list(agency=tenant_a.agency, user_id=owner.pk)[0]
    listing = client.get("/agency/tokens").content.decode()
    assert key[:12] in listing and "nightly export" in listing
    url = f"/agency/tokens/{token.pk}/revoke"
    response = client.post(url)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    confirm(client, staff)
    response = client.post(url, {"back": str(owner.pk)})
    assert response["Location"] == f"/agency/users/{owner.pk}"
    assert token_list(agency=tenant_a.agency, user_id=owner.pk)[0].revoked_at is not None
    (event,) = events(staff.user.agency_id, "token.revoked", str(token.pk))
    assert event.actor == staff.user.username
    page = client.get(response["Location"]).content.decode()
    assert "revoked." in page
    again = client.post(url)
    assert again.status_code == 302
    assert "already revoked" in client.get(again["Location"]).content.decode()


def test_galleries_subjects_and_a_batchs_files(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    client, _ = admin
    listing = client.get("/agency/galleries").content.decode()
    assert 'data-gallery="booking"' in listing
    page = client.get("/agency/galleries/booking").content.decode()
    assert 'data-subject="obama"' in page and 'data-subject="biden"' in page
    batch = batch_of(tenant_a)
    assert f"/agency/batches/{batch.id}" in page
    page = client.get(f"/agency/batches/{batch.id}").content.decode()
    assert f'value="{batch.processed}"' in page and 'data-status="done"' in page
    assert page.count('data-result="enrolled"') == batch.enrolled
    for result in batch.results:
        assert result["file"] in page


def test_a_batch_in_progress_updates_itself(admin: tuple[Client, Staff], tenant_a: Tenant) -> None:
    from matching.enrollment import UploadItem, enrollment_batch_create

    client, _ = admin
    item = UploadItem(
        subject_ref="pending-1", filename="pending.jpg", content=photo("biden.jpg"), display_name=""
    )
    batch = enrollment_batch_create(gallery=tenant_a.gallery, items=[item], enqueue=False)
    page = client.get(f"/agency/batches/{batch.id}").content.decode()
    assert 'data-status="queued"' in page and 'max="1" value="0"' in page
    assert f'hx-get="/agency/batches/{batch.id}"' in page and 'hx-select="#batch-live"' in page
    assert "No file processed yet." in page


def held_batch(tenant: Tenant, ref: str) -> Any:
    """Enroll a photo with two faces for ``ref``: the batch holds it for a face choice."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process

    item = UploadItem(
        subject_ref=ref,
        filename="group.jpg",
        content=side_by_side("obama.jpg", "biden.jpg"),
        display_name=ref,
    )
    batch = enrollment_batch_create(gallery=tenant.gallery, items=[item], enqueue=False)
    enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
    return batch


def test_an_admin_enrolls_the_chosen_face_of_a_held_photo(
    admin: tuple[Client, Staff], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from matching.held_photos import held_photo_list
    from matching.models import Subject

    client, staff = admin
    ref = f"held-{uuid.uuid4().hex[:6]}"
    batch = held_batch(tenant_a, ref)
    (held,) = [h for h in held_photo_list(agency=tenant_a.agency) if h.batch_id == batch.id]
    page = client.get(f"/agency/batches/{batch.id}").content.decode()
    assert f"/agency/held-photos/{held.id}" in page and 'data-result="held"' in page
    page = client.get(f"/agency/held-photos/{held.id}").content.decode()
    assert page.count('type="radio" name="face"') == 2 and "Face 2 of 2" in page
    assert f'src="/agency/held-photos/{held.id}/picture"' in page
    picture = client.get(f"/agency/held-photos/{held.id}/picture")
    assert picture["Cache-Control"] == "no-store" and picture["Content-Type"] == "image/jpeg"
    assert len(events(staff.user.agency_id, "held_photo.viewed", str(held.id))) == 1

    # Other roles and other agencies find nothing.
    officer, foreign = Client(), Client()
    sign_in(officer, staff_create(tenant_a, "compliance_officer"))
    sign_in(foreign, staff_create(tenant_b, "agency_admin"))
    for other in (officer, foreign):
        assert other.get(f"/agency/held-photos/{held.id}").status_code == 404
        assert other.get(f"/agency/held-photos/{held.id}/picture").status_code == 404
        assert other.post(f"/agency/held-photos/{held.id}", {"face": "0"}).status_code == 404

    assert client.post(f"/agency/held-photos/{held.id}", {"face": "5"}).status_code == 400
    left = min(range(2), key=lambda i: held.boxes[i][3])
    response = client.post(
        f"/agency/held-photos/{held.id}", {"action": "enroll", "face": str(left)}
    )
    assert response["Location"] == f"/agency/batches/{batch.id}"
    with agency_transaction(tenant_a.agency.id):
        subject = Subject.objects.get(gallery=tenant_a.gallery, ref=ref)
        assert subject.photos.get().face_choice == "admin"
    (enrolled,) = events(staff.user.agency_id, "subject.enrolled", str(subject.pk))
    assert enrolled.data["face_chosen"] == left
    again = client.post(f"/agency/held-photos/{held.id}", {"action": "enroll", "face": "0"})
    assert again.status_code == 409
    assert "already been resolved" in again.content.decode()
    assert client.get(f"/agency/held-photos/{held.id}/picture").status_code == 404


def test_an_admin_discards_a_held_photo(admin: tuple[Client, Staff], tenant_a: Tenant) -> None:
    from matching.held_photos import held_photo_get, held_photo_list

    client, staff = admin
    batch = held_batch(tenant_a, f"held-{uuid.uuid4().hex[:6]}")
    (held,) = [h for h in held_photo_list(agency=tenant_a.agency) if h.batch_id == batch.id]
    response = client.post(f"/agency/held-photos/{held.id}", {"action": "discard"})
    assert response.status_code == 302
    assert "discarded" in client.get(response["Location"]).content.decode()
    resolved = held_photo_get(agency=tenant_a.agency, held_id=held.id)
    assert resolved is not None and resolved.status == "discarded"
    assert len(events(staff.user.agency_id, "held_photo.discarded", str(held.id))) == 1
    assert "already been resolved" in client.get(f"/agency/held-photos/{held.id}").content.decode()


def test_an_admin_enrolls_a_subjects_photos_and_follows_the_batch(
    admin: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from matching.models import EnrollmentBatch

    client, staff = admin
    url = "/agency/galleries/booking/enroll"
    refused = client.post(url, {"ref": "", "several_faces": "hold"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="id_ref_errors"' in page and 'id="id_images_errors"' in page
    ref = f"enrol-{uuid.uuid4().hex[:6]}"
    photos = [
        SimpleUploadedFile(name, photo(name), content_type="image/jpeg")
        for name in ("obama.jpg", "obama2.jpg")
    ]
    response = client.post(
        url, {"ref": ref, "display_name": "Barack", "several_faces": "refuse", "images": photos}
    )
    assert response.status_code == 302
    batch_id = response["Location"].rsplit("/", 1)[-1]
    with agency_transaction(tenant_a.agency.id):
        batch = EnrollmentBatch.objects.get(id=batch_id)
    assert (batch.total, batch.several_faces, batch.created_by_id) == (2, "refuse", staff.user.pk)
    (created,) = events(staff.user.agency_id, "enrollment.batch_created", batch_id)
    assert created.actor == staff.user.username
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in page and "hx-get" in page


def test_only_agency_admins_enroll(tenant_a: Tenant) -> None:
    officer = Client()
    sign_in(officer, staff_create(tenant_a, "compliance_officer"))
    page = officer.get("/agency/galleries/booking").content.decode()
    assert "enroll-form" not in page
    assert officer.post("/agency/galleries/booking/enroll", {"ref": "x"}).status_code == 404
