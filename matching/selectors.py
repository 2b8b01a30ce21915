"""Reads of galleries, searches and the nearest faces; every one takes the acting agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from matching.gallery_vectors import HELD_GALLERIES, GalleryTooLargeError
from matching.models import EnrollmentBatch, Gallery, Search
from tenants.context import agency_transaction
from tenants.models import Agency


def gallery_get(*, agency: Agency, slug: str) -> Gallery | None:
    """Return the agency's gallery ``slug``; another agency's gallery is simply not found."""
    with agency_transaction(agency.id):
        return Gallery.objects.select_related("agency").filter(agency=agency, slug=slug).first()


def gallery_list(*, agency: Agency) -> list[Gallery]:
    """Return the agency's galleries."""
    with agency_transaction(agency.id):
        return list(Gallery.objects.filter(agency=agency).order_by("slug"))


def search_get(*, agency: Agency, search_id: uuid.UUID) -> Search | None:
    """Return the agency's search, or None (also for another agency's search)."""
    with agency_transaction(agency.id):
        return (
            Search.objects.select_related("gallery", "decision", "requested_by")
            .filter(agency=agency, id=search_id)
            .first()
        )


def enrollment_batch_get(*, agency: Agency, batch_id: uuid.UUID) -> EnrollmentBatch | None:
    """Return the agency's enrollment batch, or None."""
    with agency_transaction(agency.id):
        return (
            EnrollmentBatch.objects.select_related("gallery")
            .filter(agency=agency, id=batch_id)
            .first()
        )


@dataclass(frozen=True)
class Neighbour:
    """A gallery face and its distance from the probe."""

    face_id: int
    subject_id: int
    distance: float


def vector_literal(embedding: NDArray[np.float64]) -> str:
    """Return pgvector's text form of an embedding."""
    return "[" + ",".join(repr(float(x)) for x in embedding) + "]"


# The service's query computed exactly: a materialized CTE cannot hand its ORDER BY to the
# partition's HNSW index, so every face of the gallery is compared.
EXACT_NEAREST_SQL = """
WITH gallery_faces AS MATERIALIZED (
    SELECT id, subject_id, embedding <-> %(probe)s::vector AS distance
    FROM matching_face
    WHERE agency_id = %(agency)s AND gallery_id = %(gallery)s
)
SELECT id, subject_id, distance FROM gallery_faces
WHERE distance <= %(max_distance)s
ORDER BY distance LIMIT %(limit)s
"""
# One primary-key lookup per picked face: the lateral subquery (kept apart by its LIMIT) holds
# the planner to the key even before a freshly imported partition has statistics, and the
# gallery is checked on the row.
PICKED_FACES_SQL = """
SELECT f.id, f.subject_id, f.embedding <-> %(probe)s::vector AS distance
FROM unnest(%(ids)s::bigint[]) AS picked (id)
CROSS JOIN LATERAL (
    SELECT id, subject_id, gallery_id, embedding FROM matching_face
    WHERE agency_id = %(agency)s AND id = picked.id LIMIT 1
) AS f
WHERE f.gallery_id = %(gallery)s
"""
# Extra faces taken from the held scan so float32 rounding near the cut cannot change the list.
HELD_SCAN_MARGIN = 8


def faces_nearest(
    *,
    agency_id: str,
    gallery_id: int,
    embedding: NDArray[np.float64],
    limit: int,
    max_distance: float,
) -> list[Neighbour]:
    """Return up to ``limit`` faces of one gallery within ``max_distance``, nearest first.

    The search is exact at every gallery size. The worker's held copy of the gallery (kept
    current from the change log in this same agency transaction) picks the faces, and
    PostgreSQL, under row-level security, returns them with their distances. Inside an outer
    transaction (whose uncommitted writes no shared copy may see) or for a gallery beyond the
    memory budget, PostgreSQL scans the gallery exactly itself.
    """
    params: dict[str, Any] = {
        "probe": vector_literal(embedding),
        "agency": agency_id,
        "gallery": gallery_id,
        "limit": limit,
        "max_distance": max_distance,
    }
    outer = connection.in_atomic_block
    with agency_transaction(agency_id), connection.cursor() as cursor:
        ids = None
        if not outer and HELD_GALLERIES.max_faces > 0:
            try:
                ids = HELD_GALLERIES.nearest(
                    agency_id=agency_id,
                    gallery_id=gallery_id,
                    probe=np.asarray(embedding, dtype=np.float32),
                    limit=limit + HELD_SCAN_MARGIN,
                    max_distance=max_distance,
                )
            except GalleryTooLargeError:
                ids = None
        if ids is None:
            cursor.execute(EXACT_NEAREST_SQL, params)
        else:
            cursor.execute(PICKED_FACES_SQL, {**params, "ids": ids})
        rows = cursor.fetchall()
    found = [Neighbour(int(r[0]), int(r[1]), float(r[2])) for r in rows]
    within = sorted(
        (n for n in found if n.distance <= max_distance), key=lambda n: (n.distance, n.face_id)
    )
    return within[:limit]
