"""A held photo is sealed under a key of its own, destroyed when it is resolved or discarded."""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from audit.models import AuditEvent
from datakeys.services import DataKeyDestroyedError, sealed_aad
from matching.biometric_bytes import (
    biometric_keys_sweep,
    held_embeddings_purpose,
    held_photo_content_open,
    held_photo_embeddings_open,
    held_photo_purpose,
    photo_content_open,
)
from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.galleries import gallery_create
from matching.models import Face, HeldPhoto, SubjectPhoto
from tenants.context import agency_transaction
from tests.conftest import Tenant, side_by_side
from tests.matching.test_erasure import (
    checkpoint_and_vacuum,
    files_containing,
    opens,
    remaining_keys,
    scan_fragment,
)


def unique_group() -> bytes:
    """Return two real faces side by side, with random noise in the top-left margin.

    The first blocks of the re-encoded JPEG's scan then occur in no other file.
    """
    image = Image.open(io.BytesIO(side_by_side("obama.jpg", "biden.jpg"))).convert("RGB")
    image.paste(Image.frombytes("RGB", (32, 32), random.randbytes(32 * 32 * 3)), (0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def held_photo(tenant: Tenant) -> HeldPhoto:
    """Enroll a unique group photo with the default (hold) and return the held photo."""
    gallery = gallery_create(
        agency=tenant.agency,
        slug=f"held-{uuid.uuid4().hex[:6]}",
        name="Held photos",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    ref = f"held-{uuid.uuid4().hex[:8]}"
    batch = enrollment_batch_create(
        gallery=gallery,
        enqueue=False,
        actor="test",
        items=[UploadItem(subject_ref=ref, filename="group.jpg", content=unique_group())],
    )
    processed = enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
    assert processed is not None and processed.held == 1
    with agency_transaction(tenant.agency.id):
        return HeldPhoto.objects.get(subject_ref=ref)


def assert_erased(tenant: Tenant, held: HeldPhoto, jpeg: bytes) -> None:
    """The held row holds no bytes, its key is gone and no key left opens its ciphertext."""
    assert held.content_key is not None and held.content is not None
    assert held.embeddings_sealed is not None
    sealed, key_id, faces = bytes(held.content), held.content_key, bytes(held.embeddings_sealed)
    with agency_transaction(tenant.agency.id):
        after = HeldPhoto.objects.get(id=held.id)
    assert (after.content, after.content_key, after.embeddings_sealed) == (None, None, None)
    with pytest.raises(DataKeyDestroyedError):
        held_photo_content_open(held=held)
    with pytest.raises(DataKeyDestroyedError):
        held_photo_embeddings_open(held=held)
    assert not list(Path(settings.DATAKEY_STORE_DIR).rglob(f"{key_id}.key"))
    aad = sealed_aad(tenant.agency.id, key_id, held_photo_purpose(held.id))
    faces_aad = sealed_aad(tenant.agency.id, key_id, held_embeddings_purpose(held.id))
    keys = remaining_keys()
    assert not any(opens(sealed, key, aad) or opens(faces, key, faces_aad) for key in keys)
    checkpoint_and_vacuum()
    assert files_containing(scan_fragment(jpeg)) == []


def test_a_held_photo_is_stored_sealed_and_served_opened(committed: None, tenant_a: Tenant) -> None:
    held = held_photo(tenant_a)
    assert held.content_key is not None and held.content is not None
    jpeg = held_photo_content_open(held=held)
    assert Image.open(io.BytesIO(jpeg)).size == (held.width, held.height)
    stored = bytes(held.content)
    assert stored != jpeg and stored.startswith(b"PSB1")
    assert scan_fragment(jpeg) not in stored
    # Every face's embedding is sealed with the photo, under the same key.
    assert held.embeddings_sealed is not None and bytes(held.embeddings_sealed)[:4] == b"PSB1"
    assert len(held_photo_embeddings_open(held=held)) == len(held.boxes) == 2
    served = tenant_a.client("agency_admin").get(f"/api/v1/held-photos/{held.id}/photo")
    assert served.status_code == 200
    assert served.content == jpeg
    with agency_transaction(tenant_a.agency.id):
        viewed = AuditEvent.objects.filter(
            action="held_photo.viewed", object_id=str(held.id)
        ).count()
    assert viewed == 1
    # The sweep keeps the key of a held photo still waiting.
    biometric_keys_sweep(agency_id=tenant_a.agency.id, grace_seconds=0)
    assert held_photo_content_open(held=held) == jpeg


def test_after_resolution_the_held_bytes_cannot_be_decrypted(
    committed: None, tenant_a: Tenant
) -> None:
    held = held_photo(tenant_a)
    jpeg = held_photo_content_open(held=held)
    admin = tenant_a.client("agency_admin")
    chosen = admin.post(f"/api/v1/held-photos/{held.id}/face-choice", {"face": 0}, format="json")
    assert chosen.status_code == 200, chosen.json()
    with agency_transaction(tenant_a.agency.id):
        face = Face.objects.get(id=chosen.json()["face_id"])
        photo = SubjectPhoto.objects.get(id=face.photo_id)
    # The enrolled photo holds the same picture, sealed under a key of its own.
    assert photo.content_key is not None and photo.content_key != held.content_key
    assert bytes(photo.content) != jpeg
    assert photo_content_open(photo=photo) == jpeg
    assert_erased(tenant_a, held, jpeg)
    after = admin.get(f"/api/v1/held-photos/{held.id}/photo")
    assert after.status_code == 409
    assert after.json()["error"]["code"] == "held_photo_resolved"


def test_a_discarded_held_photo_cannot_be_decrypted_and_enrolls_nothing(
    committed: None, tenant_a: Tenant
) -> None:
    held = held_photo(tenant_a)
    jpeg = held_photo_content_open(held=held)
    admin = tenant_a.client("agency_admin")
    assert (
        tenant_a.client("investigator").post(f"/api/v1/held-photos/{held.id}/discard").status_code
        == 403
    )
    discarded = admin.post(f"/api/v1/held-photos/{held.id}/discard")
    assert discarded.status_code == 200, discarded.json()
    assert discarded.json()["status"] == "discarded"
    with agency_transaction(tenant_a.agency.id):
        assert not Face.objects.filter(subject__ref=held.subject_ref).exists()
        event = AuditEvent.objects.get(action="held_photo.discarded", object_id=str(held.id))
    assert event.data["faces_detected"] == 2
    assert_erased(tenant_a, held, jpeg)
    again = admin.post(f"/api/v1/held-photos/{held.id}/discard")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "held_photo_resolved"
    chosen = admin.post(f"/api/v1/held-photos/{held.id}/face-choice", {"face": 0}, format="json")
    assert chosen.status_code == 409
    listed = admin.get("/api/v1/held-photos").json()["held_photos"]
    assert str(held.id) not in [h["id"] for h in listed]


def test_another_agencys_held_photo_is_not_discarded(
    committed: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    held = held_photo(tenant_a)
    theirs = tenant_b.client("agency_admin").post(f"/api/v1/held-photos/{held.id}/discard")
    missing = tenant_b.client("agency_admin").post(f"/api/v1/held-photos/{uuid.uuid4()}/discard")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert held_photo_content_open(held=held)
    with agency_transaction(tenant_a.agency.id):
        assert HeldPhoto.objects.get(id=held.id).status == "pending"
