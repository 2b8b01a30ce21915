"""Searches stop at their next step once the person who asked for them is disabled.

Runs in the transaction that disables the user: a queued search is never claimed, a running
one finds itself cancelled when its worker next writes (the worker only moves a running search
on), and one waiting for a face choice cannot be resumed. Finished searches keep their results
for review.
"""

from __future__ import annotations

from typing import Any

from matching.models import Search, SearchStatus
from matching.searches.retention import probe_discard
from matching.searches.transitions import search_transition

REQUESTER_DISABLED = "requester_disabled"
STOPPABLE = (
    SearchStatus.SUBMITTED,
    SearchStatus.QUEUED,
    SearchStatus.RUNNING,
    SearchStatus.AWAITING_FACE_CHOICE,
)


def searches_stop_for_disabled_requester(*, agency_id: str, user_id: int, actor: Any) -> int:
    """Cancel the user's searches that have not finished; return how many."""
    stopped = 0
    searches = (
        Search.objects.select_for_update(of=("self",))
        .filter(agency_id=agency_id, requested_by_id=user_id, status__in=STOPPABLE)
        .order_by("id")
    )
    for search in searches:
        probe_discard(search, actor="system", reason=REQUESTER_DISABLED)
        search_transition(
            search=search,
            to=SearchStatus.CANCELLED,
            actor=actor,
            data={"reason": REQUESTER_DISABLED},
            fields={
                "error_code": REQUESTER_DISABLED,
                "error_message": "The requester's account was disabled.",
            },
        )
        stopped += 1
    return stopped
