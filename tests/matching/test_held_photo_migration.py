"""Held photos stored before sealing are sealed or cleared by the migration, agency by agency."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor

from datakeys.services import sealed_bytes_open
from matching.biometric_bytes import (
    held_embeddings_purpose,
    held_photo_content_open,
    held_photo_embeddings_open,
    held_photo_purpose,
    photo_purpose,
)
from matching.galleries import gallery_create
from matching.models import HeldPhoto
from tests.conftest import Tenant
from tests.matching.test_held_photo_erasure import held_photo

BEFORE = ("matching", "0014_gallery_import")
AFTER = ("matching", "0015_sealed_held_photos")


class _RolledBack(Exception):
    """Raised to undo the migration round trip."""


def _held_insert(
    cursor: object, agency_id: str, gallery_id: int, status: str, content: bytes
) -> uuid.UUID:
    held_id = uuid.uuid4()
    cursor.execute(  # type: ignore[attr-defined]
        "INSERT INTO matching_heldphoto (id, agency_id, gallery_id, subject_ref, display_name, "
        "filename, sha256, content, width, height, boxes, embeddings, model_name, "
        "model_version, status, created_at) VALUES (%s, %s, %s, %s, '', 'g.jpg', %s, %s, 4, 4, "
        "'[[0, 1, 1, 0], [2, 3, 3, 2]]', '[[0.1], [0.2]]', 'm', 'v', %s, now())",
        [
            held_id,
            agency_id,
            gallery_id,
            f"old-{held_id.hex[:8]}",
            held_id.hex * 2,
            content,
            status,
        ],
    )
    return held_id


def test_existing_held_photos_are_sealed_or_cleared(committed: None, tenant_a: Tenant) -> None:
    agency_id = tenant_a.agency.id
    gallery = gallery_create(
        agency=tenant_a.agency,
        slug=f"old-{uuid.uuid4().hex[:6]}",
        name="Before sealing",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    pending_bytes, photo_bytes = b"\xff\xd8pending held photo", b"\xff\xd8enrolled from held"
    earlier = held_photo(tenant_a)
    earlier_jpeg = held_photo_content_open(held=earlier)
    earlier_faces = held_photo_embeddings_open(held=earlier)
    owner = connections["owner"]
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        MigrationExecutor(owner).migrate([BEFORE])
        with owner.cursor() as cursor:
            cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
            pending = _held_insert(cursor, agency_id, gallery.pk, "pending", pending_bytes)
            enrolled = _held_insert(cursor, agency_id, gallery.pk, "enrolled", photo_bytes)
            cursor.execute(
                "INSERT INTO matching_subject (agency_id, gallery_id, ref, display_name, "
                "created_at) VALUES (%s, %s, %s, '', now()) RETURNING id",
                [agency_id, gallery.pk, f"old-{uuid.uuid4().hex[:8]}"],
            )
            (subject_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO matching_subjectphoto (agency_id, subject_id, sha256, content, "
                "content_type, width, height, faces_detected, face_choice, created_at) "
                "VALUES (%s, %s, 'abc', %s, 'image/jpeg', 4, 4, 2, 'admin', now()) "
                "RETURNING id",
                [agency_id, subject_id, photo_bytes],
            )
            (photo_id,) = cursor.fetchone()
            cursor.execute("SELECT set_config('app.agency_id', '', true)")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        MigrationExecutor(owner).migrate([AFTER])
        with owner.cursor() as cursor:
            cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
            cursor.execute(
                "SELECT id, content, content_key, embeddings_sealed "
                "FROM matching_heldphoto "
                "WHERE id IN (%s, %s)",
                [pending, enrolled],
            )
            rows = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT content, content_key FROM matching_subjectphoto WHERE id = %s", [photo_id]
            )
            photo_row = cursor.fetchone()
            cursor.execute(
                "SELECT id, content, content_key, embeddings_sealed FROM matching_heldphoto "
                "WHERE id = %s",
                [earlier.id],
            )
            again = cursor.fetchone()
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'matching_heldphoto' AND column_name = 'embeddings'"
            )
            assert cursor.fetchone() is None
        # A held photo sealed before the round trip reads the same after it.
        assert again is not None
        resealed = HeldPhoto(
            id=again[0],
            agency_id=agency_id,
            content=again[1],
            content_key=again[2],
            embeddings_sealed=again[3],
        )
        assert held_photo_content_open(held=resealed) == earlier_jpeg
        assert held_photo_embeddings_open(held=resealed) == earlier_faces
        sealed, key_id, faces = rows[pending]
        assert bytes(sealed) != pending_bytes and key_id is not None
        opened = sealed_bytes_open(
            agency_id=agency_id,
            purpose=held_embeddings_purpose(pending),
            key_id=key_id,
            blob=bytes(faces),
        )
        assert json.loads(opened) == [[0.1], [0.2]]
        assert (
            sealed_bytes_open(
                agency_id=agency_id,
                purpose=held_photo_purpose(pending),
                key_id=key_id,
                blob=bytes(sealed),
            )
            == pending_bytes
        )
        assert rows[enrolled] == (None, None, None)
        assert photo_row is not None and photo_row[1] is not None
        assert bytes(photo_row[0]) != photo_bytes
        assert (
            sealed_bytes_open(
                agency_id=agency_id,
                purpose=photo_purpose(subject_id, "abc"),
                key_id=photo_row[1],
                blob=bytes(photo_row[0]),
            )
            == photo_bytes
        )
        raise _RolledBack
