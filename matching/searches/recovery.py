"""Recover work whose message or worker was lost (run by beat every few seconds).

A queued search carries a dispatch deadline and a running one its worker's lease, both in
``lease_expires_at``. Once it has passed, the search is re-enqueued (a running one goes back to
``queued`` first); enrollment batches the same way. A duplicate message is harmless: the claim
finds the search held or finished and does nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from matching.models import EnrollmentBatch, EnrollmentStatus, Search, SearchStatus
from matching.searches.transitions import search_transition
from tenants.context import agency_transaction

RECOVER_BATCH = 200


def search_enqueue(*, search_id: uuid.UUID | str, agency_id: str) -> None:
    """Hand a search to a worker once the transaction commits; a broker error is logged only.

    A message that cannot be published is recovered like one the broker lost, so a broker
    outage never turns a committed search into an error for the client.
    """
    from matching.tasks import search_run

    sid = str(search_id)
    transaction.on_commit(lambda: search_run.delay(sid, agency_id), robust=True)


def searches_recover(*, agency_id: str, include_queued: bool = True) -> int:
    """Re-enqueue the agency's searches whose dispatch deadline or lease has passed.

    ``include_queued=False`` leaves queued searches alone (their messages may be waiting
    behind others) and takes back only running ones whose worker's lease expired.
    """
    now = timezone.now()
    deadline = now + timedelta(seconds=settings.DISPATCH_GRACE_SECONDS)
    states = [SearchStatus.RUNNING, *([SearchStatus.QUEUED] if include_queued else [])]
    recovered = 0
    with agency_transaction(agency_id):
        lost = list(
            Search.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(agency_id=agency_id, status__in=states)
            .filter(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
            .order_by("updated_at")[:RECOVER_BATCH]
        )
        for search in lost:
            if search.status == SearchStatus.RUNNING:
                search_transition(
                    search=search,
                    to=SearchStatus.QUEUED,
                    actor="system",
                    action="search.requeued",
                    data={"reason": "lease expired", "previous_owner": search.lease_owner},
                    fields={"lease_expires_at": deadline},
                )
            else:
                search.lease_expires_at = deadline
                search.save(update_fields=["lease_expires_at", "updated_at"])
                audit_record(
                    agency_id=agency_id,
                    actor="system",
                    action="search.requeued",
                    object_type="search",
                    object_id=str(search.id),
                    data={"reason": "not picked up in time"},
                )
            search_enqueue(search_id=search.id, agency_id=agency_id)
            recovered += 1
    return recovered


def enrollments_recover(*, agency_id: str, include_queued: bool = True) -> int:
    """Re-enqueue the agency's enrollment batches whose message or worker was lost."""
    from matching.tasks import enrollment_batch_run

    now = timezone.now()
    grace = timedelta(seconds=settings.DISPATCH_GRACE_SECONDS)
    recovered = 0
    with agency_transaction(agency_id):
        lost = list(
            EnrollmentBatch.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                agency_id=agency_id,
                status__in=[
                    EnrollmentStatus.RUNNING,
                    *([EnrollmentStatus.QUEUED] if include_queued else []),
                ],
            )
            .filter(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
            .order_by("created_at")[:RECOVER_BATCH]
        )
        for batch in lost:
            batch.lease_expires_at = now + grace
            batch.lease_owner = ""
            batch.save(update_fields=["lease_expires_at", "lease_owner"])
            audit_record(
                agency_id=agency_id,
                actor="system",
                action="enrollment.requeued",
                object_type="enrollment_batch",
                object_id=str(batch.id),
                data={"status": batch.status},
            )
            transaction.on_commit(
                partial(enrollment_batch_run.delay, str(batch.id), agency_id), robust=True
            )
            recovered += 1
    return recovered
