"""Another agency's searches, galleries, batches and tasks behave exactly like missing ones."""

from __future__ import annotations

import io
import uuid
from typing import Any

import numpy as np
import pytest

from matching.enrollment import enrollment_batch_process
from matching.models import EnrollmentBatch, Search, SearchStatus
from matching.searches import search_execute
from matching.selectors import faces_nearest
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields
from tests.factories import SearchFactory


@pytest.fixture
def search_of_a(db: None, tenant_a: Tenant) -> Search:
    """A queued search of agency A that no worker will pick up (it is never committed)."""
    with agency_transaction(tenant_a.agency.id):
        search: Search = SearchFactory.create(
            gallery=tenant_a.gallery,
            requested_by=tenant_a.users["investigator"],
            status=SearchStatus.AWAITING_FACE_CHOICE,
            face_boxes=[{"x": 0, "y": 0, "w": 9, "h": 9}] * 2,
        )
        return search


def test_get_another_agencys_search_is_404_like_a_missing_one(
    search_of_a: Search, tenant_b: Tenant
) -> None:
    theirs = tenant_b.client().get(f"/api/v1/searches/{search_of_a.id}")
    missing = tenant_b.client().get(f"/api/v1/searches/{uuid.uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_choosing_a_face_in_another_agencys_search_is_404(
    search_of_a: Search, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    response = tenant_b.client().post(
        f"/api/v1/searches/{search_of_a.id}/face-choice", {"face": 0}, format="json"
    )
    assert response.status_code == 404
    with agency_transaction(tenant_a.agency.id):
        search_of_a.refresh_from_db()
    assert search_of_a.face_choice is None
    assert search_of_a.status == SearchStatus.AWAITING_FACE_CHOICE


@pytest.fixture
def gallery_only_a_has(db: None, tenant_a: Tenant) -> str:
    """A gallery of agency A whose slug agency B has no gallery under."""
    from matching.galleries import gallery_create

    slug = f"a-only-{uuid.uuid4().hex[:6]}"
    gallery_create(
        agency=tenant_a.agency,
        slug=slug,
        name="A's own archive",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    return slug


def _search_post(tenant: Tenant, gallery: str) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    return tenant.client().post(
        "/api/v1/searches", {**search_fields(gallery=gallery), "probe": upload}, format="multipart"
    )


def test_searching_another_agencys_gallery_is_404(
    gallery_only_a_has: str, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    theirs = _search_post(tenant_b, gallery_only_a_has)
    missing = _search_post(tenant_b, f"missing-{uuid.uuid4().hex[:6]}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert theirs.json()["error"]["code"] == "gallery_not_found"
    with agency_transaction(tenant_a.agency.id):
        assert not Search.objects.filter(gallery__slug=gallery_only_a_has).exists()


def test_gallery_list_shows_only_the_agencys_own(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    body = tenant_b.client().get("/api/v1/galleries").json()
    assert [g["id"] for g in body["galleries"]] == ["booking"]
    from matching.selectors import gallery_list

    assert [g.pk for g in gallery_list(agency=tenant_b.agency)] == [tenant_b.gallery.pk]


def test_the_search_task_cannot_run_another_agencys_search(
    search_of_a: Search, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=search_of_a.id).update(status=SearchStatus.QUEUED)
    search_execute(agency_id=tenant_b.agency.id, search_id=search_of_a.id)
    with agency_transaction(tenant_a.agency.id):
        search_of_a.refresh_from_db()
    assert search_of_a.status == SearchStatus.QUEUED


def test_the_enrollment_task_cannot_process_another_agencys_batch(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    with agency_transaction(tenant_a.agency.id):
        batch = EnrollmentBatch.objects.create(agency=tenant_a.agency, gallery=tenant_a.gallery)
    assert enrollment_batch_process(agency_id=tenant_b.agency.id, batch_id=batch.id) is None
    with agency_transaction(tenant_a.agency.id):
        batch.refresh_from_db()
    assert batch.status == "queued"


def test_nearest_faces_of_another_agencys_gallery_are_invisible(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from matching.models import Face

    with agency_transaction(tenant_a.agency.id):
        face = Face.objects.filter(gallery=tenant_a.gallery).first()
    assert face is not None
    embedding = np.array(face.embedding)
    own = faces_nearest(
        agency_id=tenant_a.agency.id,
        gallery_id=tenant_a.gallery.id,
        embedding=embedding,
        limit=5,
        max_distance=2.0,
    )
    theirs = faces_nearest(
        agency_id=tenant_b.agency.id,
        gallery_id=tenant_a.gallery.id,
        embedding=embedding,
        limit=5,
        max_distance=2.0,
    )
    assert own and own[0].distance < 1e-6
    assert theirs == []


def test_enrolling_into_another_agencys_gallery_is_404(
    gallery_only_a_has: str, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    def enroll(slug: str) -> Any:
        upload: Any = io.BytesIO(photo("biden.jpg"))
        upload.name = "biden.jpg"
        return tenant_b.client("agency_admin").post(
            f"/api/v1/galleries/{slug}/subjects",
            {"ref": "x", "images": [upload]},
            format="multipart",
        )

    theirs, missing = enroll(gallery_only_a_has), enroll(f"missing-{uuid.uuid4().hex[:6]}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    with agency_transaction(tenant_a.agency.id):
        assert not EnrollmentBatch.objects.filter(gallery__slug=gallery_only_a_has).exists()
