"""A purged probe cannot be read back from anything PostgreSQL keeps: heap, TOAST or WAL."""

from __future__ import annotations

import io
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connections
from django.utils import timezone
from PIL import Image

from datakeys.services import DataKeyDestroyedError, key_store, sealed_aad
from matching.biometric_bytes import photo_content_open, probe_content_open, probe_purpose
from matching.models import EnrollmentUpload, Probe, Search, SearchStatus, SubjectPhoto
from matching.searches import probes_purge_due
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, wait_for


def unique_probe(name: str = "obama.jpg") -> bytes:
    """Return a real face photo with random noise in its top-left corner, far from the face.

    The first blocks of the JPEG scan then occur in no other file: see ``scan_fragment``.
    """
    image = Image.open(io.BytesIO(photo(name))).convert("RGB")
    noise = Image.frombytes("RGB", (32, 32), random.randbytes(32 * 32 * 3))
    image.paste(noise, (0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def scan_fragment(jpeg: bytes) -> bytes:
    """Return 48 bytes of entropy-coded data from the first blocks (the noisy corner)."""
    sos = jpeg.index(b"\xff\xda")
    header = int.from_bytes(jpeg[sos + 2 : sos + 4], "big")
    start = sos + 2 + header + 8
    return jpeg[start : start + 48]


def database_files() -> list[Path]:
    """Return every file of this database (heap, TOAST, indexes) and every WAL segment."""
    with connections["owner"].cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (data_dir,) = cursor.fetchone() or ("",)
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        (oid,) = cursor.fetchone() or (0,)
    root = Path(data_dir)
    return [
        p
        for d in (root / "base" / str(oid), root / "pg_wal", root / "global")
        for p in d.rglob("*")
        if p.is_file()
    ]


def files_containing(needle: bytes) -> list[str]:
    return [str(p) for p in database_files() if needle in p.read_bytes()]


def submit(tenant: Tenant, content: bytes) -> dict[str, Any]:
    upload = io.BytesIO(content)
    upload.name = "probe.jpg"
    response = tenant.client().post(
        "/api/v1/searches", {**search_fields(), "probe": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def checkpoint_and_vacuum() -> None:
    with connections["owner"].cursor() as cursor:
        cursor.execute("VACUUM matching_probe")
        cursor.execute("CHECKPOINT")


@pytest.mark.worker
def test_a_purged_probe_leaves_no_readable_bytes(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    """Finding: after purge, CHECKPOINT and VACUUM the probe was in TOAST and two WAL files."""
    probe_bytes = unique_probe()
    fragment = scan_fragment(probe_bytes)
    created = submit(tenant_a, probe_bytes)
    agency_id = tenant_a.agency.id

    def finished() -> bool:
        with agency_transaction(agency_id):
            return Search.objects.get(id=created["id"]).status == SearchStatus.AWAITING_REVIEW

    wait_for(finished)
    with agency_transaction(agency_id):
        Search.objects.filter(id=created["id"]).update(
            probe_retain_until=timezone.now() - timedelta(seconds=1)
        )
    with agency_transaction(agency_id):
        held = Probe.objects.get(search_id=created["id"])
    assert held.content_key is not None and held.content is not None
    sealed, key_id = bytes(held.content), held.content_key
    data_key = key_store().get(agency_id=agency_id, key_id=key_id)
    assert probe_content_open(probe=held) == probe_bytes
    assert probes_purge_due(agency_id=agency_id) >= 1
    with agency_transaction(agency_id):
        assert Probe.objects.get(search_id=created["id"]).content is None
    checkpoint_and_vacuum()
    assert files_containing(fragment) == []
    # What the database still holds is ciphertext (WAL keeps it); the scan does see it.
    assert files_containing(sealed[200:248])
    # No key material for it is in the database, and none that remains anywhere opens it.
    assert files_containing(data_key) == []
    with pytest.raises(DataKeyDestroyedError):
        probe_content_open(probe=held)
    assert not list(Path(settings.DATAKEY_STORE_DIR).rglob(f"{key_id}.key"))
    aad = sealed_aad(agency_id, key_id, probe_purpose(held.search_id))
    assert not any(opens(sealed, key, aad) for key in remaining_keys())


def remaining_keys() -> list[bytes]:
    """Return every data key still in the store, of every agency, unwrapped with the KEK."""
    store = key_store()
    keys = []
    for path in Path(settings.DATAKEY_STORE_DIR).glob("*/*.key"):
        keys.append(store.get(agency_id=path.parent.name, key_id=uuid.UUID(path.stem)))
    assert keys, "the store should hold other objects' keys"
    return keys


def opens(sealed: bytes, key: bytes, aad: bytes) -> bool:
    """Return whether ``key`` decrypts the sealed bytes (the associated data is no secret)."""
    try:
        AESGCM(key).decrypt(sealed[4:16], sealed[16:], aad)
    except InvalidTag:
        return False
    return True


def test_enrollment_keeps_only_sealed_bytes_and_destroys_upload_keys(committed: None) -> None:
    """Uploads and enrolled photos are sealed; processed uploads' keys are destroyed."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.galleries import gallery_create
    from tenants.models import Agency
    from tenants.services import agency_create

    agency_id = f"te_{uuid.uuid4().hex[:8]}"
    agency_create(
        agency_id=agency_id,
        name="Erasure test service",
        kind="municipal",
        jurisdiction="CA-ON",
        municipality="Toronto",
        pia_completed=True,
        fr_program_approved=True,
    )
    gallery = gallery_create(
        agency=Agency.objects.get(id=agency_id),
        slug="booking",
        name="Erasure test",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    content = unique_probe()
    batch = enrollment_batch_create(
        gallery=gallery,
        enqueue=False,
        items=[
            UploadItem(
                subject_ref=f"erasure-{uuid.uuid4().hex[:6]}", filename="p.jpg", content=content
            )
        ],
    )
    with agency_transaction(agency_id):
        upload = EnrollmentUpload.objects.get(batch=batch)
    assert upload.content_key is not None
    assert scan_fragment(content) not in bytes(upload.content)
    enrollment_batch_process(agency_id=agency_id, batch_id=batch.id)
    with agency_transaction(agency_id):
        assert not EnrollmentUpload.objects.filter(batch=batch).exists()
        photo = SubjectPhoto.objects.filter(subject__ref=upload.subject_ref).first()
    with pytest.raises(DataKeyDestroyedError):
        key_store().get(agency_id=agency_id, key_id=upload.content_key)
    assert photo is not None and photo.content_key is not None
    stored = photo_content_open(photo=photo)
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    checkpoint_and_vacuum()
    assert files_containing(scan_fragment(content)) == []
    assert files_containing(scan_fragment(stored)) == []


def test_the_sweep_destroys_keys_no_row_refers_to(committed: None, tenant_a: Tenant) -> None:
    from datakeys.services import sealed_bytes_create
    from matching.biometric_bytes import biometric_keys_sweep

    agency_id = tenant_a.agency.id
    orphan = sealed_bytes_create(agency_id=agency_id, purpose="probe:none", plaintext=b"x")
    with agency_transaction(agency_id):
        photo = SubjectPhoto.objects.filter(agency_id=agency_id).first()
    assert photo is not None and photo.content_key is not None
    assert settings.CELERY_BEAT_SCHEDULE["biometric-keys-sweep"]["task"] == (
        "matching.tasks.biometric_keys_sweep"
    )
    assert biometric_keys_sweep(agency_id=agency_id, grace_seconds=0) >= 1
    with pytest.raises(DataKeyDestroyedError):
        key_store().get(agency_id=agency_id, key_id=orphan.key_id)
    assert photo_content_open(photo=photo)
