"""Probe retention: delete the bytes when the obligation's period ends; audited."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.services import audit_record
from matching.models import Probe, Search, SearchStatus
from matching.searches.transitions import search_transition
from tenants.context import agency_transaction


def probe_discard(search: Search, *, actor: Any, reason: str) -> bool:
    """Delete the probe's bytes (kept metadata: digest and size); audited. Caller's transaction."""
    deleted = Probe.objects.filter(search=search, content__isnull=False).update(
        content=None, deleted_at=timezone.now()
    )
    if deleted:
        audit_record(
            agency_id=search.agency_id,
            actor=actor,
            action="probe.deleted",
            object_type="search",
            object_id=str(search.id),
            data={"reason": reason},
        )
    return bool(deleted)


def probes_purge_due(*, agency_id: str) -> int:
    """Delete the agency's probes whose retention has ended; return how many.

    Probes of searches in flight are kept until the search settles. A failed search whose
    probe is gone has nothing left to act on and becomes ``purged``.
    """
    now = timezone.now()
    purged = 0
    with agency_transaction(agency_id):
        due = (
            Search.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(agency_id=agency_id, probe_retain_until__lte=now, probe__content__isnull=False)
            .exclude(status__in=[SearchStatus.QUEUED, SearchStatus.RUNNING])
        )
        for search in due:
            purged += probe_discard(search, actor="system", reason="retention period ended")
            if search.status == SearchStatus.FAILED:
                search_transition(
                    search=search,
                    to=SearchStatus.PURGED,
                    actor="system",
                    data={"reason": "retention period ended"},
                )
    return purged
