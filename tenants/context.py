"""Per-transaction agency context that PostgreSQL's row-level security reads.

Every query over tenant-owned tables runs inside ``agency_transaction``: it opens a transaction
and sets ``app.agency_id`` for that transaction only (``set_config(..., true)``), so a pooled
connection can never carry one agency's context into another's work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

SETTING = "app.agency_id"


class AgencyContextConflictError(RuntimeError):
    """Raised when code nests one agency's transaction inside another's."""


def current_agency_id(using: str = "default") -> str:
    """Return the agency id of the open transaction, or '' when none is set."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [SETTING])
        row = cursor.fetchone()
    return str(row[0]) if row else ""


@contextmanager
def agency_transaction(agency_id: str, *, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction whose rows are limited to ``agency_id``."""
    if not agency_id:
        raise AgencyContextConflictError("an agency id is required")
    with transaction.atomic(using=using):
        current = current_agency_id(using)
        if current and current != agency_id:
            raise AgencyContextConflictError(f"already in agency {current!r}")
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, agency_id])
        yield
        # Leaving a nested block hands the enclosing transaction back its own context (a block
        # that raises is rolled back to its savepoint, which reverts the setting as well).
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, current])
