"""Reads of galleries, searches and the nearest faces; every one takes the acting agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from numpy.typing import NDArray

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
        return (EnrollmentBatch.objects.select_related("gallery")
                .filter(agency=agency, id=batch_id).first())


@dataclass(frozen=True)
class Neighbour:
    """A gallery face and its distance from the probe."""

    face_id: int
    subject_id: int
    distance: float


def vector_literal(embedding: NDArray[np.float64]) -> str:
    """Return pgvector's text form of an embedding."""
    return "[" + ",".join(repr(float(x)) for x in embedding) + "]"


NEAREST_SQL = """
SELECT id, subject_id, embedding <-> %(probe)s::vector AS distance
FROM matching_face
WHERE agency_id = %(agency)s AND gallery_id = %(gallery)s
ORDER BY embedding <-> %(probe)s::vector
LIMIT %(limit)s
"""


def faces_nearest(
    *,
    agency_id: str,
    gallery_id: int,
    embedding: NDArray[np.float64],
    limit: int,
    max_distance: float,
) -> list[Neighbour]:
    """Return up to ``limit`` faces of one gallery within ``max_distance``, nearest first.

    The agency predicate prunes to the agency's partition at plan time and row-level security
    enforces it again; iterative HNSW scanning keeps a small gallery inside a larger partition
    from coming back short.
    """
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)",
                       [str(max(settings.HNSW_EF_SEARCH, limit))])
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        cursor.execute(
            NEAREST_SQL,
            {"probe": vector_literal(embedding), "agency": agency_id,
             "gallery": gallery_id, "limit": limit},
        )
        rows = cursor.fetchall()
    found = [Neighbour(int(r[0]), int(r[1]), float(r[2])) for r in rows]
    return sorted((n for n in found if n.distance <= max_distance), key=lambda n: n.distance)
