"""A photo with several faces is refused, held for an admin, or enrolled by its largest face."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from PIL import Image

from audit.models import AuditEvent
from matching.biometric_bytes import held_photo_embeddings_open
from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.galleries import gallery_create
from matching.models import EnrollmentBatch, Face, Gallery, HeldPhoto, SubjectPhoto
from tenants.context import agency_transaction
from tests.conftest import Tenant, side_by_side

GROUP = side_by_side("obama.jpg", "biden.jpg")


_GROUP_GALLERIES: dict[str, Gallery] = {}


def _gallery(tenant: Tenant) -> Gallery:
    """A gallery of the tenant's for group photos: they must not join the shared booking one."""
    if tenant.agency.id not in _GROUP_GALLERIES:
        _GROUP_GALLERIES[tenant.agency.id] = gallery_create(
            agency=tenant.agency,
            slug=f"groups-{uuid.uuid4().hex[:6]}",
            name="Group photos",
            legal_basis="identification_of_criminals_act",
            contains_youth_records=False,
        )
    return _GROUP_GALLERIES[tenant.agency.id]


def _enroll(tenant: Tenant, several_faces: str | None) -> tuple[EnrollmentBatch, str]:
    ref = f"group-{uuid.uuid4().hex[:8]}"
    gallery = _gallery(tenant)
    items = [UploadItem(subject_ref=ref, filename="group.jpg", content=GROUP)]
    if several_faces is None:
        batch = enrollment_batch_create(gallery=gallery, enqueue=False, actor="test", items=items)
    else:
        batch = enrollment_batch_create(
            gallery=gallery, enqueue=False, actor="test", items=items, several_faces=several_faces
        )
    processed = enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
    assert processed is not None
    return processed, ref


def _encoded_faces() -> list[list[float]]:
    from matching.faces import face_encode, faces_detect
    from matching.images import image_decode, image_pixels

    pixels = image_pixels(image_decode(GROUP))
    return [[float(x) for x in face_encode(pixels, b)] for b in faces_detect(pixels)]


def test_refuse_rejects_the_photo_and_enrolls_nothing(committed: None, tenant_a: Tenant) -> None:
    batch, ref = _enroll(tenant_a, "refuse")
    assert (batch.enrolled, batch.rejected, batch.held) == (0, 1, 0)
    assert batch.results[0]["reason"] == "several_faces"
    with agency_transaction(tenant_a.agency.id):
        assert not Face.objects.filter(subject__ref=ref).exists()
        assert not HeldPhoto.objects.filter(subject_ref=ref).exists()


def test_largest_enrolls_the_largest_face_flagged_and_audited(
    committed: None, tenant_a: Tenant
) -> None:
    batch, ref = _enroll(tenant_a, "largest")
    assert (batch.enrolled, batch.rejected, batch.held) == (1, 0, 0)
    assert batch.results[0]["face_choice"] == "largest"
    with agency_transaction(tenant_a.agency.id):
        photo = SubjectPhoto.objects.get(subject__ref=ref)
        face = Face.objects.get(subject_id=photo.subject_id)
        event = AuditEvent.objects.filter(
            action="subject.enrolled", object_id=str(photo.subject_id)
        ).get()
    assert (photo.face_choice, photo.faces_detected) == ("largest", 2)
    faces = _encoded_faces()
    assert len(faces) == 2
    assert np.allclose(np.array(face.embedding), faces[0], atol=1e-5)
    assert event.data["largest_face_chosen"] == [{"file": "group.jpg", "faces_detected": 2}]


def test_by_default_the_photo_is_held_and_an_admin_picks_the_face(
    committed: None, tenant_a: Tenant
) -> None:
    batch, ref = _enroll(tenant_a, None)
    assert batch.several_faces == "hold"
    assert (batch.enrolled, batch.rejected, batch.held) == (0, 0, 1)
    with agency_transaction(tenant_a.agency.id):
        held = HeldPhoto.objects.get(subject_ref=ref)
        assert not Face.objects.filter(subject__ref=ref).exists()
    embeddings = held_photo_embeddings_open(held=held)
    assert held.status == "pending" and len(held.boxes) == len(embeddings) == 2
    assert np.allclose(np.array(embeddings), _encoded_faces(), atol=1e-5)

    admin = tenant_a.client("agency_admin")
    listed = admin.get("/api/v1/held-photos").json()["held_photos"]
    mine = next(h for h in listed if h["id"] == str(held.id))
    assert [f["face"] for f in mine["faces"]] == [0, 1]
    assert "embeddings" not in mine
    photo = admin.get(f"/api/v1/held-photos/{held.id}/photo")
    assert photo.status_code == 200
    assert Image.open(io.BytesIO(photo.content)).size == (held.width, held.height)

    chosen = admin.post(f"/api/v1/held-photos/{held.id}/face-choice", {"face": 1}, format="json")
    assert chosen.status_code == 200, chosen.json()
    with agency_transaction(tenant_a.agency.id):
        face = Face.objects.get(id=chosen.json()["face_id"])
        enrolled_photo = SubjectPhoto.objects.get(id=face.photo_id)
        held.refresh_from_db()
        event = AuditEvent.objects.filter(
            action="subject.enrolled", object_id=str(face.subject_id)
        ).get()
    assert np.allclose(np.array(face.embedding), _encoded_faces()[1], atol=1e-5)
    assert (enrolled_photo.face_choice, enrolled_photo.faces_detected) == ("admin", 2)
    assert (held.status, held.chosen_face, held.embeddings_sealed) == ("enrolled", 1, None)
    assert event.data["face_chosen"] == 1 and event.data["held_photo"] == str(held.id)

    again = admin.post(f"/api/v1/held-photos/{held.id}/face-choice", {"face": 0}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "held_photo_resolved"


@pytest.fixture
def pending(committed: None, tenant_a: Tenant) -> HeldPhoto:
    _, ref = _enroll(tenant_a, "hold")
    with agency_transaction(tenant_a.agency.id):
        return HeldPhoto.objects.get(subject_ref=ref)


def test_a_face_out_of_range_is_refused_and_nothing_is_enrolled(
    pending: HeldPhoto, tenant_a: Tenant
) -> None:
    response = tenant_a.client("agency_admin").post(
        f"/api/v1/held-photos/{pending.id}/face-choice", {"face": 2}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "held_face_out_of_range"
    with agency_transaction(tenant_a.agency.id):
        pending.refresh_from_db()
        assert not Face.objects.filter(subject__ref=pending.subject_ref).exists()
    assert pending.status == "pending" and len(held_photo_embeddings_open(held=pending)) == 2


def test_only_agency_admins_resolve_held_photos(pending: HeldPhoto, tenant_a: Tenant) -> None:
    for path in ("/api/v1/held-photos", f"/api/v1/held-photos/{pending.id}/photo"):
        assert tenant_a.client("investigator").get(path).status_code == 403
    response = tenant_a.client("investigator").post(
        f"/api/v1/held-photos/{pending.id}/face-choice", {"face": 0}, format="json"
    )
    assert response.status_code == 403


def test_another_agencys_held_photo_answers_like_a_missing_one(
    pending: HeldPhoto, tenant_b: Tenant
) -> None:
    admin = tenant_b.client("agency_admin")
    theirs = admin.post(f"/api/v1/held-photos/{pending.id}/face-choice", {"face": 0}, format="json")
    missing = admin.post(
        f"/api/v1/held-photos/{uuid.uuid4()}/face-choice", {"face": 0}, format="json"
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert admin.get(f"/api/v1/held-photos/{pending.id}/photo").status_code == 404
    listed = admin.get("/api/v1/held-photos").json()["held_photos"]
    assert str(pending.id) not in [h["id"] for h in listed]
