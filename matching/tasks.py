"""Celery tasks: thin wrappers that take ids only and call the services."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import OperationalError

from matching.enrollment import enrollment_batch_process
from matching.searches import search_execute, search_fail_unexpected


@shared_task(bind=True, acks_late=True, max_retries=3)
def search_run(self, search_id: str, agency_id: str) -> None:  # type: ignore[no-untyped-def]
    """Run an allowed search; retry only when the database was briefly unreachable."""
    try:
        search_execute(agency_id=agency_id, search_id=uuid.UUID(search_id))
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
    except Exception as exc:
        search_fail_unexpected(
            agency_id=agency_id, search_id=uuid.UUID(search_id), error=type(exc).__name__
        )
        raise


@shared_task(bind=True, acks_late=True, max_retries=3)
def enrollment_batch_run(self, batch_id: str, agency_id: str) -> None:  # type: ignore[no-untyped-def]
    """Enroll a batch; safe to run again, it resumes where it stopped."""
    try:
        enrollment_batch_process(agency_id=agency_id, batch_id=uuid.UUID(batch_id))
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc


@shared_task
def probes_purge() -> int:
    """Delete every agency's probes whose retention obligation has ended (run by beat)."""
    from matching.searches import probes_purge_due
    from tenants.models import Agency

    return sum(probes_purge_due(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task
def face_changes_purge() -> int:
    """Delete every agency's face change-log entries past their retention (run by beat)."""
    from matching.gallery_vectors import face_changes_purge as purge
    from tenants.models import Agency

    return sum(purge(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task
def searches_unstick() -> int:
    """Fail searches whose worker died mid-run (run by beat)."""
    from matching.searches import searches_fail_stuck
    from tenants.models import Agency

    return sum(searches_fail_stuck(agency_id=a)
               for a in Agency.objects.values_list("id", flat=True))
