"""The transaction in which an oversight auditor reads: no agency, only the auditor's grants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

from oversight.rls import SETTING
from tenants.context import SETTING as AGENCY_SETTING
from tenants.context import AgencyContextConflictError, current_agency_id
from tenants.directory import directory_user_agency


@contextmanager
def oversight_transaction(*, auditor_id: int, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction that sees what the auditor's grants admit, and no more.

    Refused inside another agency's transaction: the two contexts would add up. Inside the
    auditor's own body's transaction (a portal request runs in its user's agency) the block
    leaves that agency for its duration, so the body's rows are not added either.
    """
    with transaction.atomic(using=using):
        current = current_agency_id(using)
        if current and current != directory_user_agency(user_id=auditor_id):
            raise AgencyContextConflictError("an oversight read cannot run inside an agency")
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, '', true), set_config(%s, %s, true)",
                [AGENCY_SETTING, SETTING, str(auditor_id)],
            )
        yield
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, '', true), set_config(%s, %s, true)",
                [SETTING, AGENCY_SETTING, current],
            )
