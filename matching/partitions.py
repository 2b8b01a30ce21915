"""Per-agency vector partitions: one LIST partition for each agency, with no vector index.

An agency's search then touches only its own partition (pruned at plan time by the agency
predicate, and at run time by the row-level-security setting). Nearest faces are found by an
exact scan (``matching.gallery_vectors``), so the partition carries only its B-tree indexes:
no graph index to build after an archive import or to clean after an erasure.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connections

from tenants.models import AGENCY_ID_PATTERN


def partition_name(agency_id: str) -> str:
    """Return the name of the agency's partition of ``matching_face``."""
    if not re.fullmatch(AGENCY_ID_PATTERN, agency_id):
        raise ValueError(f"invalid agency id {agency_id!r}")
    return f"matching_face_p_{agency_id}"


def agency_partition_create(*, agency_id: str, using: str) -> None:
    """Create the agency's partition; only the parent is granted to the app.

    PostgreSQL checks privileges and row-level security on the parent when a query goes
    through it, so revoking direct access to the partition closes the only side door.
    """
    table = partition_name(agency_id)
    app_role = settings.DATABASES["default"]["USER"]
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE \"{table}\" PARTITION OF matching_face FOR VALUES IN ('{agency_id}')"
        )
        cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        cursor.execute(f'REVOKE ALL ON "{table}" FROM "{app_role}"')
