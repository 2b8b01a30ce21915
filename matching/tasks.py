"""Celery tasks: thin wrappers that take ids only and call the services.

A database error is retried inside the task, on the task's own thread, never with a countdown:
a countdown hands the retry to the consumer's timer, which under the solo pool ran it on the
timer thread next to the task in progress (two face-model calls at once in one process).
Whatever still fails is left to the lease and the recovery beat.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from celery import shared_task
from django.db import InterfaceError, OperationalError, connections

from matching.enrollment import enrollment_batch_process
from matching.searches import (
    enrollments_recover,
    search_execute,
    search_fail_unexpected,
    searches_recover,
)

logger = logging.getLogger(__name__)
DATABASE_ATTEMPTS = 4


def _with_database_retries(work: Callable[[], object]) -> None:
    """Run ``work``, retrying on a lost database connection with a short backoff."""
    for attempt in range(DATABASE_ATTEMPTS):
        try:
            work()
            return
        except (OperationalError, InterfaceError):
            connections.close_all()
            if attempt == DATABASE_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * 2**attempt)


@shared_task(acks_late=True)
def search_run(search_id: str, agency_id: str) -> None:
    """Run an allowed search; a database outage is retried, then left to recovery."""
    sid = uuid.UUID(search_id)
    try:
        _with_database_retries(lambda: search_execute(agency_id=agency_id, search_id=sid))
    except (OperationalError, InterfaceError):
        logger.warning("search %s: database unavailable; recovery will re-enqueue it", sid)
    except Exception as exc:
        search_fail_unexpected(agency_id=agency_id, search_id=sid, error=type(exc).__name__)
        raise


@shared_task(acks_late=True)
def enrollment_batch_run(batch_id: str, agency_id: str) -> None:
    """Enroll a batch; safe to run again, it resumes where it stopped."""
    bid = uuid.UUID(batch_id)
    try:
        _with_database_retries(lambda: enrollment_batch_process(agency_id=agency_id, batch_id=bid))
    except (OperationalError, InterfaceError):
        logger.warning("batch %s: database unavailable; recovery will re-enqueue it", bid)


@shared_task
def probes_purge() -> int:
    """Delete every agency's probes whose retention obligation has ended (run by beat)."""
    from matching.searches import probes_purge_due
    from tenants.models import Agency

    return sum(probes_purge_due(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task
def subjects_purge() -> int:
    """Purge every agency's subjects a legal event has made due, unless on hold (run by beat)."""
    from matching.gallery_purge import subjects_purge_due
    from tenants.models import Agency

    return sum(subjects_purge_due(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task
def face_changes_purge() -> int:
    """Delete every agency's face change-log entries past their retention (run by beat)."""
    from matching.gallery_vectors import face_changes_purge as purge
    from tenants.models import Agency

    return sum(purge(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task
def work_recover() -> int:
    """Re-enqueue searches and enrollment batches whose message or worker was lost (beat).

    While messages wait in the queue, a queued search is more likely behind them than lost, so
    only expired leases are recovered; queued searches are looked at once the queue is empty
    (or when the broker cannot say), which keeps a backlog from being enqueued twice.
    """
    from config.celery import queue_depth
    from tenants.models import Agency

    depth = queue_depth()
    include_queued = depth is None or depth == 0
    recovered = 0
    for agency_id in Agency.objects.values_list("id", flat=True):
        recovered += searches_recover(agency_id=agency_id, include_queued=include_queued)
        recovered += enrollments_recover(agency_id=agency_id, include_queued=include_queued)
    return recovered


@shared_task
def biometric_keys_sweep() -> int:
    """Destroy data keys no probe, upload or photo refers to any more (run by beat)."""
    from matching.biometric_bytes import biometric_keys_sweep as sweep
    from tenants.models import Agency

    return sum(sweep(agency_id=a) for a in Agency.objects.values_list("id", flat=True))


@shared_task(acks_late=True)
def gallery_import_run(import_id: str, agency_id: str) -> None:
    """Load an archive import; safe to run again, it resumes after its last committed chunk."""
    from matching.gallery_import import gallery_import_process

    iid = uuid.UUID(import_id)
    try:
        _with_database_retries(lambda: gallery_import_process(agency_id=agency_id, import_id=iid))
    except (OperationalError, InterfaceError):
        logger.warning("import %s: database unavailable; run it again to resume", iid)
