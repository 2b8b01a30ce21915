"""Archive import: photos or precomputed embeddings in by COPY, resumable, agency-bound."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from audit.models import AuditEvent
from matching.galleries import gallery_create
from matching.gallery_import import (
    IMPORT_MODEL_MISMATCH,
    GalleryImportError,
    gallery_import_create,
    gallery_import_process,
)
from matching.models import Face, Gallery, GalleryImport, HeldPhoto, SubjectPhoto
from tenants.context import agency_transaction
from tests.conftest import PHOTOS, Tenant, side_by_side


def _archive(root: Path) -> Path:
    """Three subjects: two photos of one, one of another, a group photo for the third."""
    for ref, names in {
        "arch_obama": ["obama.jpg", "obama2.jpg"],
        "arch_biden": ["biden.jpg"],
    }.items():
        (root / ref).mkdir(parents=True)
        for name in names:
            shutil.copy(PHOTOS / name, root / ref / name)
    (root / "arch_group").mkdir()
    (root / "arch_group" / "group.jpg").write_bytes(side_by_side("obama.jpg", "biden.jpg"))
    (root / "arch_wall").mkdir()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(root / "arch_wall" / "wall.png")
    return root


def _gallery(tenant: Tenant) -> Gallery:
    """Return a new empty gallery of the tenant's agency."""
    return gallery_create(
        agency=tenant.agency,
        slug=f"archive-{uuid.uuid4().hex[:8]}",
        name="Archive",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
        cai_disclosure_filed=True,
    )


def _faces(gallery: Gallery) -> list[tuple[str, str]]:
    with agency_transaction(gallery.agency_id):
        return sorted(
            Face.objects.filter(gallery=gallery).values_list("subject__ref", "photo__sha256")
        )


def test_directory_import_loads_faces_and_holds_group_photos(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    record = gallery_import_create(
        gallery=gallery, source=_archive(tmp_path), enqueue=False, actor="test"
    )
    done = gallery_import_process(agency_id=tenant_a.agency.id, import_id=record.id)
    assert done is not None and done.status == "done"
    assert (done.enrolled, done.rejected, done.held, done.skipped) == (3, 1, 1, 0)
    assert [r["reason"] for r in done.results if r["status"] == "rejected"] == ["no_face"]
    faces = _faces(gallery)
    assert [ref for ref, _ in faces] == ["arch_biden", "arch_obama", "arch_obama"]
    with agency_transaction(tenant_a.agency.id):
        assert HeldPhoto.objects.filter(gallery=gallery, subject_ref="arch_group").exists()
        face = Face.objects.filter(gallery=gallery, subject__ref="arch_biden").get()
        assert len(face.box) == 4 and face.box[2] > face.box[0]
        assert SubjectPhoto.objects.get(pk=face.photo_id).content_key is not None
        actions = set(
            AuditEvent.objects.filter(object_id=str(record.id)).values_list("action", flat=True)
        )
    assert {
        "gallery_import.created",
        "gallery_import.chunk_loaded",
        "gallery_import.done",
    } <= actions


def test_interrupted_import_resumes_without_duplicates(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    record = gallery_import_create(
        gallery=gallery,
        source=_archive(tmp_path),
        several_faces="largest",
        enqueue=False,
        actor="test",
    )
    stopped = gallery_import_process(
        agency_id=tenant_a.agency.id, import_id=record.id, chunk_subjects=1, stop_after_chunks=2
    )
    assert stopped is None
    with agency_transaction(tenant_a.agency.id):
        assert GalleryImport.objects.get(id=record.id).subjects_done == 2
    partial = _faces(gallery)
    done = gallery_import_process(
        agency_id=tenant_a.agency.id, import_id=record.id, chunk_subjects=1
    )
    assert done is not None and done.status == "done"
    faces = _faces(gallery)
    assert set(partial) < set(faces) and len(faces) == len(set(faces)) == 4
    assert (done.enrolled, done.rejected, done.held) == (4, 1, 0)


def test_reimport_skips_photos_already_enrolled(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    source = _archive(tmp_path)
    for _ in range(2):
        record = gallery_import_create(gallery=gallery, source=source, enqueue=False, actor="test")
        done = gallery_import_process(agency_id=tenant_a.agency.id, import_id=record.id)
    assert done is not None and (done.enrolled, done.skipped) == (0, 3)
    assert len(_faces(gallery)) == 3


def test_manifest_of_precomputed_embeddings_is_loaded_without_detection(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    from matching.faces import MODEL_NAME, MODEL_VERSION

    shutil.copy(PHOTOS / "obama.jpg", tmp_path / "obama.jpg")
    vector = [0.01 * i for i in range(128)]
    lines = [
        {"model_name": MODEL_NAME, "model_version": MODEL_VERSION},
        {
            "subject": "arch_obama",
            "photo": "obama.jpg",
            "embedding": vector,
            "box": [10, 90, 90, 10],
        },
    ]
    manifest = tmp_path / "archive.jsonl"
    manifest.write_text("\n".join(json.dumps(x) for x in lines))
    record = gallery_import_create(gallery=gallery, source=manifest, enqueue=False)
    assert record.kind == "embeddings"
    gallery_import_process(agency_id=tenant_a.agency.id, import_id=record.id)
    with agency_transaction(tenant_a.agency.id):
        face = Face.objects.get(gallery=gallery, subject__ref="arch_obama")
    assert face.box == [10, 90, 90, 10]
    assert [float(x) for x in face.embedding] == pytest.approx(vector, abs=1e-6)


def test_manifest_from_another_model_version_is_refused(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    from matching.faces import MODEL_NAME

    manifest = tmp_path / "archive.jsonl"
    manifest.write_text(json.dumps({"model_name": MODEL_NAME, "model_version": "fr-0.1"}))
    with pytest.raises(GalleryImportError) as refused:
        gallery_import_create(gallery=gallery, source=manifest, enqueue=False)
    assert refused.value.code == IMPORT_MODEL_MISMATCH
    with agency_transaction(tenant_a.agency.id):
        assert not GalleryImport.objects.filter(gallery=gallery).exists()


def test_import_into_another_agencys_gallery_is_refused(
    committed: None, tenant_a: Tenant, tenant_b: Tenant, tmp_path: Path
) -> None:
    gallery, other = _gallery(tenant_a), _gallery(tenant_b)
    with pytest.raises(CommandError, match="no such agency or gallery"):
        call_command(
            "gallery_import",
            "--agency",
            tenant_a.agency.id,
            "--gallery",
            other.slug,
            str(_archive(tmp_path)),
            "--inline",
        )
    record = gallery_import_create(gallery=other, source=tmp_path, enqueue=False)
    assert gallery_import_process(agency_id=tenant_a.agency.id, import_id=record.id) is None
    assert _faces(gallery) == [] and _faces(other) == []


def test_command_imports_through_the_celery_worker(
    committed: None, celery_worker: object, tenant_a: Tenant, tmp_path: Path
) -> None:
    gallery = _gallery(tenant_a)
    call_command(
        "gallery_import",
        "--agency",
        tenant_a.agency.id,
        "--gallery",
        gallery.slug,
        str(_archive(tmp_path)),
        "--several-faces",
        "refuse",
    )
    assert [ref for ref, _ in _faces(gallery)] == ["arch_biden", "arch_obama", "arch_obama"]


def test_progress_is_visible_through_the_api_to_its_agency_only(
    committed: None, tenant_a: Tenant, tenant_b: Tenant, tmp_path: Path
) -> None:
    from tenants.models import Role

    gallery = _gallery(tenant_a)
    record = gallery_import_create(gallery=gallery, source=_archive(tmp_path), enqueue=False)
    queued = tenant_a.client(Role.AGENCY_ADMIN).get(f"/api/v1/imports/{record.id}")
    assert queued.status_code == 200 and queued["Retry-After"]
    assert (queued.json()["status"], queued.json()["subjects_total"]) == ("queued", 4)
    gallery_import_process(agency_id=tenant_a.agency.id, import_id=record.id)
    done = tenant_a.client(Role.AGENCY_ADMIN).get(f"/api/v1/imports/{record.id}").json()
    assert (done["status"], done["subjects_done"], done["enrolled"]) == ("done", 4, 3)
    other = tenant_b.client(Role.AGENCY_ADMIN).get(f"/api/v1/imports/{record.id}")
    assert other.status_code == 404 and other.json()["error"]["code"] == "import_not_found"
