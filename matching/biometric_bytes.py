"""Probe, upload, held- and subject-photo bytes: sealed under a key per object, erased by it.

The rows hold ciphertext only (``datakeys``); each object's data key lives in the key store
outside PostgreSQL. Erasing an object's bytes clears the row and destroys its key once the
transaction commits, which makes every other copy of the ciphertext (WAL, backups, replicas)
unreadable. ``biometric_keys_sweep`` destroys keys no row refers to any more (rows removed by a
cascade, a rolled-back insert, a process that died before destroying a key).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime

from datakeys.services import (
    datakey_destroy_on_commit,
    datakeys_sweep,
    sealed_bytes_add,
    sealed_bytes_create,
    sealed_bytes_open,
)
from matching.models import EnrollmentUpload, HeldPhoto, Probe, SubjectPhoto
from tenants.context import agency_transaction


def probe_purpose(search_id: uuid.UUID) -> str:
    return f"probe:{search_id}"


def upload_purpose(batch_id: uuid.UUID, sha256: str) -> str:
    return f"enrollment_upload:{batch_id}:{sha256}"


def photo_purpose(subject_id: int, sha256: str) -> str:
    return f"subject_photo:{subject_id}:{sha256}"


def held_photo_purpose(held_id: uuid.UUID) -> str:
    return f"held_photo:{held_id}"


def held_embeddings_purpose(held_id: uuid.UUID) -> str:
    return f"held_photo:{held_id}:embeddings"


def probe_content_seal(*, probe: Probe, content: bytes) -> None:
    """Put ``content`` on the probe (unsaved) sealed under a new data key."""
    sealed = sealed_bytes_create(
        agency_id=probe.agency_id, purpose=probe_purpose(probe.search_id), plaintext=content
    )
    probe.content, probe.content_key = sealed.blob, sealed.key_id


def probe_content_open(*, probe: Probe) -> bytes:
    """Return the probe's bytes (``DataKeyDestroyedError`` once erased)."""
    if probe.content is None or probe.content_key is None:
        raise ValueError(f"probe of search {probe.search_id} holds no bytes")
    return sealed_bytes_open(
        agency_id=probe.agency_id,
        purpose=probe_purpose(probe.search_id),
        key_id=probe.content_key,
        blob=bytes(probe.content),
    )


def probe_content_erase(*, agency_id: str, search_id: uuid.UUID, deleted_at: datetime) -> bool:
    """Clear the probe's bytes and destroy their key on commit; caller's agency transaction."""
    probe = (
        Probe.objects.select_for_update()
        .filter(agency_id=agency_id, search_id=search_id, content__isnull=False)
        .only("search_id", "content_key")
        .first()
    )
    if probe is None:
        return False
    Probe.objects.filter(search_id=search_id).update(
        content=None, content_key=None, deleted_at=deleted_at
    )
    if probe.content_key is not None:
        datakey_destroy_on_commit(agency_id=agency_id, key_id=probe.content_key)
    return True


def upload_content_seal(*, upload: EnrollmentUpload, content: bytes) -> None:
    """Put ``content`` on the (unsaved) upload, sealed under a new data key."""
    sealed = sealed_bytes_create(
        agency_id=upload.agency_id,
        purpose=upload_purpose(upload.batch_id, upload.sha256),
        plaintext=content,
    )
    upload.content, upload.content_key = sealed.blob, sealed.key_id


def upload_content_open(*, upload: EnrollmentUpload) -> bytes:
    """Return an upload's bytes."""
    if upload.content_key is None:
        raise ValueError(f"upload {upload.pk} holds no sealed bytes")
    return sealed_bytes_open(
        agency_id=upload.agency_id,
        purpose=upload_purpose(upload.batch_id, upload.sha256),
        key_id=upload.content_key,
        blob=bytes(upload.content),
    )


def uploads_delete(*, agency_id: str, uploads: Iterable[EnrollmentUpload]) -> None:
    """Delete processed uploads and destroy their keys on commit; caller's agency transaction."""
    chosen = list(uploads)
    EnrollmentUpload.objects.filter(agency_id=agency_id, id__in=[u.pk for u in chosen]).delete()
    for upload in chosen:
        if upload.content_key is not None:
            datakey_destroy_on_commit(agency_id=agency_id, key_id=upload.content_key)


def photo_content_seal(*, photo: SubjectPhoto, content: bytes) -> None:
    """Put ``content`` on the (unsaved) subject photo, sealed under a new data key."""
    sealed = sealed_bytes_create(
        agency_id=photo.agency_id,
        purpose=photo_purpose(photo.subject_id, photo.sha256),
        plaintext=content,
    )
    photo.content, photo.content_key = sealed.blob, sealed.key_id


def photo_content_open(*, photo: SubjectPhoto) -> bytes:
    """Return an enrolled photo's bytes, for a reviewer comparing it with the probe."""
    if photo.content_key is None:
        raise ValueError(f"photo {photo.pk} holds no sealed bytes")
    return sealed_bytes_open(
        agency_id=photo.agency_id,
        purpose=photo_purpose(photo.subject_id, photo.sha256),
        key_id=photo.content_key,
        blob=bytes(photo.content),
    )


def held_photo_content_seal(
    *, held: HeldPhoto, content: bytes, embeddings: list[list[float]]
) -> None:
    """Put ``content`` and its faces' embeddings on the (unsaved) held photo, sealed together.

    Both are sealed under one new data key: destroying it erases the photo and every face of it.
    """
    sealed = sealed_bytes_create(
        agency_id=held.agency_id, purpose=held_photo_purpose(held.id), plaintext=content
    )
    held.content, held.content_key = sealed.blob, sealed.key_id
    held.embeddings_sealed = sealed_bytes_add(
        agency_id=held.agency_id,
        purpose=held_embeddings_purpose(held.id),
        key_id=sealed.key_id,
        plaintext=json.dumps(embeddings).encode(),
    )


def held_photo_content_open(*, held: HeldPhoto) -> bytes:
    """Return a held photo's bytes (``DataKeyDestroyedError`` once resolved)."""
    if held.content is None or held.content_key is None:
        raise ValueError(f"held photo {held.id} holds no bytes")
    return sealed_bytes_open(
        agency_id=held.agency_id,
        purpose=held_photo_purpose(held.id),
        key_id=held.content_key,
        blob=bytes(held.content),
    )


def held_photo_embeddings_open(*, held: HeldPhoto) -> list[list[float]]:
    """Return the embedding of each face of a held photo, in the order of its boxes."""
    if held.embeddings_sealed is None or held.content_key is None:
        raise ValueError(f"held photo {held.id} holds no embeddings")
    embeddings: list[list[float]] = json.loads(
        sealed_bytes_open(
            agency_id=held.agency_id,
            purpose=held_embeddings_purpose(held.id),
            key_id=held.content_key,
            blob=bytes(held.embeddings_sealed),
        )
    )
    return embeddings


def held_photo_content_erase(*, held: HeldPhoto) -> None:
    """Clear a held photo's bytes and embeddings, destroy their key on commit.

    For a held photo the caller has locked, in its agency transaction.
    """
    HeldPhoto.objects.filter(agency_id=held.agency_id, id=held.id).update(
        content=None, content_key=None, embeddings_sealed=None
    )
    if held.content_key is not None:
        datakey_destroy_on_commit(agency_id=held.agency_id, key_id=held.content_key)


def biometric_keys_sweep(*, agency_id: str, grace_seconds: float = 3600.0) -> int:
    """Destroy the agency's data keys that no probe, upload or photo refers to any more."""
    with agency_transaction(agency_id):
        referenced: set[uuid.UUID] = set()
        for model in (Probe, EnrollmentUpload, SubjectPhoto, HeldPhoto):
            keys = model.objects.filter(agency_id=agency_id).values_list("content_key", flat=True)
            referenced.update(key for key in keys if key is not None)
    return datakeys_sweep(agency_id=agency_id, referenced=referenced, grace_seconds=grace_seconds)
