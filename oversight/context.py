"""The transaction in which an oversight auditor reads: no agency, only the auditor's grants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

from oversight.rls import SETTING
from tenants.context import AgencyContextConflictError, current_agency_id


@contextmanager
def oversight_transaction(*, auditor_id: int, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction that sees what the auditor's grants admit, and no more.

    Refused inside an agency's transaction: the two contexts would add up.
    """
    with transaction.atomic(using=using):
        if current_agency_id(using):
            raise AgencyContextConflictError("an oversight read cannot run inside an agency")
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(auditor_id)])
        yield
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
