"""Per-agency vector partitions: one LIST partition and one HNSW index for each agency.

An agency's search then touches only its own partition (pruned at plan time by the agency
predicate, and at run time by the row-level-security setting) and its index cost does not grow
with other agencies' galleries.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connections

from tenants.models import AGENCY_ID_PATTERN

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64


def partition_name(agency_id: str) -> str:
    """Return the name of the agency's partition of ``matching_face``."""
    if not re.fullmatch(AGENCY_ID_PATTERN, agency_id):
        raise ValueError(f"invalid agency id {agency_id!r}")
    return f"matching_face_p_{agency_id}"


def agency_partition_create(*, agency_id: str, using: str) -> None:
    """Create the agency's partition and its HNSW index; only the parent is granted to the app.

    PostgreSQL checks privileges and row-level security on the parent when a query goes
    through it, so revoking direct access to the partition closes the only side door.
    """
    table = partition_name(agency_id)
    app_role = settings.DATABASES["default"]["USER"]
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{table}" PARTITION OF matching_face '
            f"FOR VALUES IN ('{agency_id}')"
        )
        cursor.execute(
            f'CREATE INDEX "{table}_hnsw" ON "{table}" USING hnsw (embedding vector_l2_ops) '
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
        )
        cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        cursor.execute(f'REVOKE ALL ON "{table}" FROM "{app_role}"')
