"""Enrollment through the API and the real worker: one face per photo, a reason for the rest."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from PIL import Image

from matching.api import ENROLLMENT_NOT_FOUND, GALLERY_NOT_FOUND
from matching.enrollment import ALREADY_ENROLLED, NO_FACE, SEVERAL_FACES
from matching.galleries import gallery_create
from matching.models import EnrollmentBatch, EnrollmentStatus, Face, Gallery, Subject
from tenants import errors
from tenants.context import agency_transaction
from tenants.models import Role
from tests.conftest import Tenant, _tenant, photo, side_by_side, wait_for


@pytest.fixture(scope="module")
def enroller(django_db_setup: None, django_db_blocker: Any) -> Tenant:
    """An agency of its own with an empty ``booking`` gallery and a user per role.

    What these tests enroll is committed, so it must not land in the shared agencies' galleries,
    where other tests' searches and listings would see it.
    """
    with django_db_blocker.unblock():
        return _tenant("te", "CA-ON", "Toronto", {})


@pytest.fixture(scope="module")
def private_gallery(enroller: Tenant, django_db_blocker: Any) -> Gallery:
    """A gallery whose id only the enrolling agency has."""
    with django_db_blocker.unblock():
        return gallery_create(
            agency=enroller.agency,
            slug=f"intake-{uuid.uuid4().hex[:8]}",
            name="Intake",
            legal_basis="identification_of_criminals_act",
            contains_youth_records=False,
        )


def blank_png() -> bytes:
    """Return a plain generated image with no face in it."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(out, format="PNG")
    return out.getvalue()


def file(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def enroll(
    tenant: Tenant,
    gallery_slug: str,
    ref: str,
    files: list[tuple[str, bytes]],
    role: str = Role.AGENCY_ADMIN,
) -> Any:
    return tenant.client(role).post(
        f"/api/v1/galleries/{gallery_slug}/subjects",
        {
            "ref": ref,
            "display_name": f"Subject {ref}",
            "images": [file(name, content) for name, content in files],
        },
        format="multipart",
    )


def finished(tenant: Tenant, batch_id: str) -> dict[str, Any] | None:
    response = tenant.client(Role.AGENCY_ADMIN).get(f"/api/v1/enrollments/{batch_id}")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    done = {EnrollmentStatus.DONE, EnrollmentStatus.FAILED}
    return body if body["status"] in done else None


def enroll_and_wait(
    tenant: Tenant, gallery_slug: str, ref: str, files: list[tuple[str, bytes]]
) -> dict[str, Any]:
    response = enroll(tenant, gallery_slug, ref, files)
    assert response.status_code == 202, response.content
    body: dict[str, Any] = wait_for(lambda: finished(tenant, response.json()["id"]))
    assert body["status"] == EnrollmentStatus.DONE
    return body


def outcomes(batch: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Map each file name to its (status, reason)."""
    return {r["file"]: (r["status"], r["reason"]) for r in batch["results"]}


def face_count(gallery: Gallery, ref: str) -> int:
    with agency_transaction(gallery.agency_id):
        return Face.objects.filter(
            agency_id=gallery.agency_id, gallery_id=gallery.id, subject__ref=ref
        ).count()


def subject_exists(gallery: Gallery, ref: str) -> bool:
    with agency_transaction(gallery.agency_id):
        return Subject.objects.filter(gallery=gallery, ref=ref).exists()


def batch_count(tenant: Tenant) -> int:
    with agency_transaction(tenant.agency.id):
        return EnrollmentBatch.objects.filter(agency_id=tenant.agency.id).count()


def new_ref() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


@pytest.mark.worker
def test_each_photo_gets_a_result_and_a_group_photo_is_held_by_default(
    committed: None, celery_worker: Any, enroller: Tenant
) -> None:
    ref = new_ref()
    response = enroll(
        enroller,
        "booking",
        ref,
        [
            ("good.jpg", photo("obama.jpg")),
            ("blank.png", blank_png()),
            ("group.jpg", side_by_side("obama3.jpg", "biden.jpg")),
        ],
    )
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert response["Location"] == f"/api/v1/enrollments/{accepted['id']}"
    assert accepted["total"] == 3
    assert accepted["processed"] == 0

    body = wait_for(lambda: finished(enroller, accepted["id"]))
    assert body["status"] == EnrollmentStatus.DONE
    assert outcomes(body) == {
        "good.jpg": ("enrolled", ""),
        "blank.png": ("rejected", NO_FACE),
        "group.jpg": ("held", SEVERAL_FACES),
    }
    assert (body["total"], body["processed"]) == (3, 3)
    assert (body["enrolled"], body["rejected"], body["skipped"], body["held"]) == (1, 1, 0, 1)
    assert all(r["subject"] == ref for r in body["results"])
    assert face_count(enroller.gallery, ref) == 1
    with agency_transaction(enroller.agency.id):
        subject = Subject.objects.get(gallery=enroller.gallery, ref=ref)
    assert subject.display_name == f"Subject {ref}"


@pytest.mark.worker
def test_the_same_photo_again_is_skipped(
    committed: None, celery_worker: Any, enroller: Tenant
) -> None:
    ref = new_ref()
    first = enroll_and_wait(enroller, "booking", ref, [("a.jpg", photo("obama2.jpg"))])
    assert outcomes(first) == {"a.jpg": ("enrolled", "")}
    assert face_count(enroller.gallery, ref) == 1

    again = enroll_and_wait(enroller, "booking", ref, [("renamed.jpg", photo("obama2.jpg"))])
    assert outcomes(again) == {"renamed.jpg": ("skipped", ALREADY_ENROLLED)}
    assert (again["total"], again["processed"]) == (1, 1)
    assert (again["enrolled"], again["rejected"], again["skipped"]) == (0, 0, 1)
    assert face_count(enroller.gallery, ref) == 1


@pytest.mark.worker
def test_the_same_photo_twice_in_one_request_is_enrolled_once(
    committed: None, celery_worker: Any, enroller: Tenant
) -> None:
    ref = new_ref()
    body = enroll_and_wait(
        enroller, "booking", ref, [("a.jpg", photo("obama2.jpg")), ("b.jpg", photo("obama2.jpg"))]
    )
    assert outcomes(body) == {"a.jpg": ("enrolled", ""), "b.jpg": ("skipped", ALREADY_ENROLLED)}
    assert face_count(enroller.gallery, ref) == 1


@pytest.mark.worker
def test_a_subject_with_no_acceptable_photo_is_not_created(
    committed: None, celery_worker: Any, enroller: Tenant
) -> None:
    ref = new_ref()
    body = enroll_and_wait(
        enroller,
        "booking",
        ref,
        [
            ("blank.png", blank_png()),
            ("group.jpg", side_by_side("obama3.jpg", "biden.jpg")),
        ],
    )
    assert (body["enrolled"], body["rejected"], body["held"]) == (0, 1, 1)
    assert not subject_exists(enroller.gallery, ref)
    assert face_count(enroller.gallery, ref) == 0


@pytest.mark.worker
def test_broken_files_are_rejected_with_their_image_code(
    committed: None, celery_worker: Any, enroller: Tenant
) -> None:
    ref = new_ref()
    whole = photo("obama3.jpg")
    body = enroll_and_wait(
        enroller,
        "booking",
        ref,
        [
            ("truncated.jpg", whole[: len(whole) // 2]),
            ("garbage.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8),
            ("notes.jpg", b"Suspect wore a dark jacket.\n"),
            ("empty.jpg", b""),
        ],
    )
    assert outcomes(body) == {
        "truncated.jpg": ("rejected", errors.IMAGE_TRUNCATED),
        "garbage.jpg": ("rejected", errors.IMAGE_CORRUPT),
        "notes.jpg": ("rejected", errors.IMAGE_TYPE_UNSUPPORTED),
        "empty.jpg": ("rejected", errors.IMAGE_MISSING),
    }
    assert not subject_exists(enroller.gallery, ref)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.AGENCY_ADMIN])
def test_only_agency_admins_enroll(db: None, enroller: Tenant, role: str) -> None:
    before = batch_count(enroller)
    ref = new_ref()
    response = enroll(enroller, "booking", ref, [("good.jpg", photo("obama.jpg"))], role=role)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == errors.PERMISSION_DENIED
    assert batch_count(enroller) == before


def test_no_images(db: None, enroller: Tenant) -> None:
    before = batch_count(enroller)
    response = enroll(enroller, "booking", new_ref(), [])
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == errors.IMAGE_MISSING
    assert batch_count(enroller) == before


def test_missing_ref(db: None, enroller: Tenant) -> None:
    before = batch_count(enroller)
    response = enroller.client(Role.AGENCY_ADMIN).post(
        "/api/v1/galleries/booking/subjects",
        {"images": [file("good.jpg", photo("obama.jpg"))]},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == errors.INVALID_REQUEST
    assert "ref" in response.json()["error"]["fields"]
    assert batch_count(enroller) == before


def test_oversized_image(db: None, enroller: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    import matching.api

    monkeypatch.setattr(matching.api, "ENROLL_MAX_BYTES", 50_000)
    before = batch_count(enroller)
    response = enroll(enroller, "booking", new_ref(), [("good.jpg", photo("obama.jpg"))])
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == errors.IMAGE_TOO_LARGE
    assert batch_count(enroller) == before


def test_other_agency_gallery_is_not_found(
    db: None, enroller: Tenant, private_gallery: Gallery, tenant_b: Tenant
) -> None:
    before = (batch_count(enroller), batch_count(tenant_b))
    ref = new_ref()
    other = enroll(tenant_b, private_gallery.slug, ref, [("good.jpg", photo("obama.jpg"))])
    missing = enroll(
        tenant_b, f"nowhere-{uuid.uuid4().hex[:8]}", ref, [("good.jpg", photo("obama.jpg"))]
    )
    assert other.status_code == missing.status_code == 404, other.content
    assert other.json()["error"]["code"] == GALLERY_NOT_FOUND
    assert other.json() == missing.json()
    assert (batch_count(enroller), batch_count(tenant_b)) == before
    assert not subject_exists(private_gallery, ref)


@pytest.mark.worker
def test_other_agency_enrollment_is_not_found(
    committed: None, celery_worker: Any, enroller: Tenant, tenant_b: Tenant
) -> None:
    body = enroll_and_wait(enroller, "booking", new_ref(), [("blank.png", blank_png())])

    other = tenant_b.client(Role.AGENCY_ADMIN).get(f"/api/v1/enrollments/{body['id']}")
    missing = tenant_b.client(Role.AGENCY_ADMIN).get(f"/api/v1/enrollments/{uuid.uuid4()}")
    malformed = tenant_b.client(Role.AGENCY_ADMIN).get("/api/v1/enrollments/not-a-uuid")
    assert other.status_code == missing.status_code == malformed.status_code == 404
    assert other.json()["error"]["code"] == ENROLLMENT_NOT_FOUND
    assert other.json() == missing.json()
    assert malformed.json()["error"]["code"] == ENROLLMENT_NOT_FOUND
