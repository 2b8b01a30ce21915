"""The vector step is exact at every size and follows enrollment and erasure at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from numpy.typing import NDArray

from matching.galleries import gallery_create
from matching.gallery_vectors import HELD_GALLERIES
from matching.models import Gallery, Subject, SubjectPhoto
from matching.selectors import faces_nearest, vector_literal
from tenants.context import agency_transaction
from tenants.services import agency_create
from tests.conftest import Tenant

SUBJECTS = 40
LIMIT = 80


@dataclass
class Loaded:
    agency_id: str
    gallery: Gallery
    ids: NDArray[np.int64]
    vectors: NDArray[np.float64]
    subject_ids: list[int]
    photo_ids: list[int]


def _agency() -> str:
    agency_id = f"tv_{uuid.uuid4().hex[:8]}"
    agency_create(
        agency_id=agency_id,
        name=f"Vector test {agency_id}",
        kind="municipal",
        jurisdiction="CA-ON",
        municipality="Toronto",
        pia_completed=True,
        fr_program_approved=True,
    )
    return agency_id


def _gallery(agency_id: str, slug: str) -> Gallery:
    from tenants.models import Agency

    agency = Agency.objects.get(id=agency_id)
    return gallery_create(
        agency=agency,
        slug=slug,
        name=slug,
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )


Inserted = tuple[NDArray[np.int64], list[int], list[int]]


def faces_insert(
    agency_id: str,
    gallery: Gallery,
    vectors: NDArray[np.float64],
    subject_ids: list[int] | None = None,
    photo_ids: list[int] | None = None,
) -> Inserted:
    """Insert faces through the app role (row-level security applies), one commit."""
    with agency_transaction(agency_id):
        if subject_ids is None or photo_ids is None:
            subjects = [
                Subject.objects.create(
                    agency_id=agency_id, gallery=gallery, ref=f"s{i}-{uuid.uuid4().hex[:6]}"
                )
                for i in range(SUBJECTS)
            ]
            photos = [
                SubjectPhoto.objects.create(
                    agency_id=agency_id,
                    subject=s,
                    sha256="0" * 64,
                    content=b"x",
                    content_type="image/jpeg",
                    width=1,
                    height=1,
                )
                for s in subjects
            ]
            subject_ids, photo_ids = [s.pk for s in subjects], [p.pk for p in photos]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO matching_face (agency_id, gallery_id, subject_id, photo_id, "
                "embedding, box, model_name, model_version, created_at) "
                "SELECT %s, %s, s, p, v::vector, '[0,1,1,0]', 'test', '1', now() "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS t(s, p, v) "
                "RETURNING id",
                [
                    agency_id,
                    gallery.pk,
                    [subject_ids[i % len(subject_ids)] for i in range(len(vectors))],
                    [photo_ids[i % len(photo_ids)] for i in range(len(vectors))],
                    [vector_literal(v) for v in vectors],
                ],
            )
            ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    return ids, subject_ids, photo_ids


def random_faces(rng: np.random.Generator, count: int) -> NDArray[np.float64]:
    """Spread vectors at the model's scale (norm ≈ 1): a hard case for a graph index."""
    vectors = rng.normal(size=(count, 128))
    scaled = vectors / np.linalg.norm(vectors, axis=1, keepdims=True) * 0.9
    return np.asarray(scaled.astype(np.float32), dtype=np.float64)


def exact_ids(
    loaded: Loaded, probe: NDArray[np.float64], limit: int, max_distance: float
) -> list[int]:
    distances = np.linalg.norm(loaded.vectors - probe, axis=1)
    order = np.lexsort((loaded.ids, distances))
    return [int(loaded.ids[i]) for i in order if distances[i] <= max_distance][:limit]


@pytest.fixture(scope="module")
def big_gallery(django_db_setup: None, django_db_blocker: Any) -> Iterator[Loaded]:
    """An agency with a 4,000-face gallery and a 300-face gallery in the same partition."""
    rng = np.random.default_rng(12)
    with django_db_blocker.unblock():
        agency_id = _agency()
        gallery = _gallery(agency_id, "archive")
        vectors = random_faces(rng, 4000)
        ids, subjects, photos = faces_insert(agency_id, gallery, vectors)
        yield Loaded(agency_id, gallery, ids, vectors, subjects, photos)
        HELD_GALLERIES.clear()


def _probes(loaded: Loaded, count: int, seed: int) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    picked = loaded.vectors[rng.choice(len(loaded.vectors), size=count, replace=False)]
    return np.asarray(picked + rng.normal(scale=0.05, size=picked.shape))


def test_the_nearest_faces_are_exactly_those_of_an_exact_scan(
    committed: None, big_gallery: Loaded
) -> None:
    for probe in _probes(big_gallery, 15, seed=1):
        found = faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=big_gallery.gallery.pk,
            embedding=probe,
            limit=LIMIT,
            max_distance=2.0,
        )
        assert [n.face_id for n in found] == exact_ids(big_gallery, probe, LIMIT, 2.0)
        by_id = dict(zip(big_gallery.ids.tolist(), big_gallery.vectors, strict=True))
        for n in found:
            assert n.distance == pytest.approx(
                float(np.linalg.norm(by_id[n.face_id] - probe)), abs=1e-5
            )


def test_max_distance_cuts_the_list(committed: None, big_gallery: Loaded) -> None:
    probe = big_gallery.vectors[7]
    found = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=LIMIT,
        max_distance=1.1,
    )
    assert found
    assert [n.face_id for n in found] == exact_ids(big_gallery, probe, LIMIT, 1.1)
    assert all(n.distance <= 1.1 for n in found)


def test_a_small_gallery_inside_a_large_partition_is_searched_exactly(
    committed: None, big_gallery: Loaded
) -> None:
    rng = np.random.default_rng(5)
    with agency_transaction(big_gallery.agency_id):
        small = _gallery(big_gallery.agency_id, f"small-{uuid.uuid4().hex[:6]}")
    vectors = random_faces(rng, 300)
    ids, _, _ = faces_insert(big_gallery.agency_id, small, vectors)
    loaded = Loaded(big_gallery.agency_id, small, ids, vectors, [], [])
    for probe in _probes(big_gallery, 5, seed=2):
        found = faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=small.pk,
            embedding=probe,
            limit=10,
            max_distance=2.0,
        )
        assert [n.face_id for n in found] == exact_ids(loaded, probe, 10, 2.0)


def test_a_face_enrolled_after_the_gallery_was_loaded_is_found(
    committed: None, big_gallery: Loaded
) -> None:
    probe = random_faces(np.random.default_rng(99), 1)[0]
    before = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    new_ids, _, _ = faces_insert(
        big_gallery.agency_id,
        big_gallery.gallery,
        probe[None, :],
        big_gallery.subject_ids,
        big_gallery.photo_ids,
    )
    after = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert new_ids[0] not in [n.face_id for n in before]
    assert after[0].face_id == new_ids[0]
    assert after[0].distance < 1e-6


def test_an_erased_face_is_never_returned(committed: None, big_gallery: Loaded) -> None:
    probe = big_gallery.vectors[11]
    first = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert first[0].face_id == big_gallery.ids[11]
    with agency_transaction(big_gallery.agency_id), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM matching_face WHERE agency_id = %s AND id = %s",
            [big_gallery.agency_id, int(big_gallery.ids[11])],
        )
    after = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert big_gallery.ids[11] not in [n.face_id for n in after]
    assert len(after) == 5
    held = HELD_GALLERIES._held[(big_gallery.agency_id, big_gallery.gallery.pk)]
    position = int(np.searchsorted(held.ids, big_gallery.ids[11]))
    assert (
        position >= len(held.ids)
        or held.ids[position] != big_gallery.ids[11]
        or (not np.isfinite(held.norms[position]))
    )


def _app_connection() -> psycopg.Connection[Any]:
    db = settings.DATABASES["default"]
    host = db.get("OPTIONS", {}).get("host") or db["HOST"]
    info: dict[str, Any] = {"host": host, "user": db["USER"], "dbname": db["NAME"]}
    if db.get("PORT"):
        info["port"] = db["PORT"]
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    return psycopg.connect(**info)


def test_a_face_committed_after_a_search_that_ran_while_it_was_written_is_found(
    committed: None, big_gallery: Loaded
) -> None:
    """A writer that started before a sync and commits after it must not be skipped."""
    probe = random_faces(np.random.default_rng(123), 1)[0]
    faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    with _app_connection() as writer:
        writer.execute("SELECT set_config('app.agency_id', %s, true)", [big_gallery.agency_id])
        row = writer.execute(
            "INSERT INTO matching_face (agency_id, gallery_id, subject_id, photo_id, embedding, "
            "box, model_name, model_version, created_at) VALUES (%s, %s, %s, %s, %s::vector, "
            "'[0,1,1,0]', 'test', '1', now()) RETURNING id",
            [
                big_gallery.agency_id,
                big_gallery.gallery.pk,
                big_gallery.subject_ids[0],
                big_gallery.photo_ids[0],
                vector_literal(probe),
            ],
        ).fetchone()
        assert row is not None
        # A later writer commits first, so a reader that only moved forward would pass it by.
        faces_insert(
            big_gallery.agency_id,
            big_gallery.gallery,
            random_faces(np.random.default_rng(124), 1),
            big_gallery.subject_ids,
            big_gallery.photo_ids,
        )
        during = faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=big_gallery.gallery.pk,
            embedding=probe,
            limit=5,
            max_distance=2.0,
        )
        writer.commit()
    after = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert row[0] not in [n.face_id for n in during]
    assert after[0].face_id == row[0]


def test_another_agency_never_sees_a_held_gallery(
    committed: None, big_gallery: Loaded, tenant_b: Tenant
) -> None:
    probe = big_gallery.vectors[3]
    own = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    theirs = faces_nearest(
        agency_id=tenant_b.agency.id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert own and own[0].face_id == big_gallery.ids[3]
    assert theirs == []


def test_a_gallery_beyond_the_memory_budget_is_scanned_exactly_by_postgresql(
    committed: None, big_gallery: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    HELD_GALLERIES.clear()
    monkeypatch.setattr(HELD_GALLERIES, "max_faces", 1000)
    probe = _probes(big_gallery, 1, seed=4)[0]
    found = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=LIMIT,
        max_distance=2.0,
    )
    assert HELD_GALLERIES.faces_held() == 0
    expected = exact_ids(big_gallery, probe, LIMIT, 2.0)
    assert [n.face_id for n in found][:20] == expected[:20]


def test_inside_an_open_transaction_the_shared_copy_is_not_used(
    db: None, big_gallery: Loaded
) -> None:
    """Uncommitted (later rolled back) faces must never enter a copy other searches share."""
    HELD_GALLERIES.clear()
    probe = random_faces(np.random.default_rng(77), 1)[0]
    new_ids, _, _ = faces_insert(
        big_gallery.agency_id,
        big_gallery.gallery,
        probe[None, :],
        big_gallery.subject_ids,
        big_gallery.photo_ids,
    )
    found = faces_nearest(
        agency_id=big_gallery.agency_id,
        gallery_id=big_gallery.gallery.pk,
        embedding=probe,
        limit=5,
        max_distance=2.0,
    )
    assert found[0].face_id == new_ids[0]
    assert HELD_GALLERIES.faces_held() == 0


def test_a_long_transaction_elsewhere_does_not_make_every_search_reapply_changes(
    committed: None, big_gallery: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.gallery_vectors import GalleryVectors

    applied: list[int] = []
    original = GalleryVectors.apply

    def counted(self: GalleryVectors, changed: NDArray[np.int64], rows: Any) -> None:
        applied.append(len(changed))
        original(self, changed, rows)

    monkeypatch.setattr(GalleryVectors, "apply", counted)
    probe = random_faces(np.random.default_rng(321), 1)[0]
    with _app_connection() as idle:
        idle.execute("SELECT pg_current_xact_id()")  # holds the cluster's xmin back
        faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=big_gallery.gallery.pk,
            embedding=probe,
            limit=5,
            max_distance=2.0,
        )
        faces_insert(
            big_gallery.agency_id,
            big_gallery.gallery,
            probe[None, :],
            big_gallery.subject_ids,
            big_gallery.photo_ids,
        )
        first = faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=big_gallery.gallery.pk,
            embedding=probe,
            limit=5,
            max_distance=2.0,
        )
        second = faces_nearest(
            agency_id=big_gallery.agency_id,
            gallery_id=big_gallery.gallery.pk,
            embedding=probe,
            limit=5,
            max_distance=2.0,
        )
        idle.rollback()
    assert first == second and first[0].distance < 1e-6
    assert applied == [1]


def test_change_log_entries_past_their_retention_are_purged_for_the_agency_only(
    committed: None, big_gallery: Loaded, tenant_a: Tenant
) -> None:
    from matching.gallery_vectors import CHANGE_LOG_RETENTION_SECONDS, face_changes_purge

    def old_entries(agency_id: str) -> int:
        with agency_transaction(agency_id), connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM matching_face_change WHERE agency_id = %s "
                "AND created_at < now() - make_interval(secs => %s)",
                [agency_id, CHANGE_LOG_RETENTION_SECONDS],
            )
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])

    aged = {}
    for agency_id in (big_gallery.agency_id, tenant_a.agency.id):
        with agency_transaction(agency_id), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE matching_face_change SET created_at = now() - interval '2 days' "
                "WHERE id IN (SELECT id FROM matching_face_change "
                "WHERE agency_id = %s ORDER BY id LIMIT 5)",
                [agency_id],
            )
            aged[agency_id] = cursor.rowcount
    assert aged[big_gallery.agency_id] == 5 and aged[tenant_a.agency.id] > 0
    assert old_entries(big_gallery.agency_id) == 5
    assert face_changes_purge(agency_id=big_gallery.agency_id) == 5
    assert old_entries(big_gallery.agency_id) == 0
    assert old_entries(tenant_a.agency.id) == aged[tenant_a.agency.id]
    assert face_changes_purge(agency_id=tenant_a.agency.id) == aged[tenant_a.agency.id]
