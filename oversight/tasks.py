"""Celery tasks: thin wrappers that take ids only and call the services."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, acks_late=True, max_retries=3)
def audit_export_run(self, export_id: str, agency_id: str) -> None:  # type: ignore[no-untyped-def]
    """Build a signed export; retry when the database was briefly unreachable."""
    from oversight.exports import audit_export_build, audit_export_fail

    try:
        audit_export_build(agency_id=agency_id, export_id=uuid.UUID(export_id))
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
    except Exception as exc:
        audit_export_fail(
            agency_id=agency_id, export_id=uuid.UUID(export_id), error=type(exc).__name__
        )
        raise
