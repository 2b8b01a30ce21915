"""Searches stop at their next step once the person who asked for them is disabled.

Runs in the transaction that disables the user: a queued search is never claimed, a running
one finds itself cancelled when its worker next writes (the worker only moves a running search
on), and one waiting for a face choice cannot be resumed. Finished searches keep their results
for review.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.services import audit_record
from matching.models import Search, SearchStatus

REQUESTER_DISABLED = "requester_disabled"
STOPPABLE = (SearchStatus.SUBMITTED, SearchStatus.QUEUED, SearchStatus.RUNNING,
             SearchStatus.AWAITING_FACE_CHOICE)


def searches_stop_for_disabled_requester(*, agency_id: str, user_id: int, actor: Any) -> int:
    """Cancel the user's searches that have not finished; return how many."""
    now = timezone.now()
    stopped = 0
    searches = Search.objects.select_for_update().filter(
        agency_id=agency_id, requested_by_id=user_id, status__in=STOPPABLE)
    for search in searches:
        search.status = SearchStatus.CANCELLED
        search.error_code = REQUESTER_DISABLED
        search.error_message = "The requester's account was disabled."
        search.completed_at = now
        search.save(update_fields=["status", "error_code", "error_message", "completed_at",
                                   "updated_at"])
        audit_record(agency_id=agency_id, actor=actor, action="search.cancelled",
                     object_type="search", object_id=str(search.id),
                     data={"reason": REQUESTER_DISABLED})
        stopped += 1
    return stopped
