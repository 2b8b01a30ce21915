"""The one place a search's status changes: checked against the table, audited with the change."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.services import audit_record
from matching.models import SEARCH_TRANSITIONS, Search, SearchStatus

TERMINAL = frozenset(
    {
        SearchStatus.DENIED,
        SearchStatus.FAILED,
        SearchStatus.CANCELLED,
        SearchStatus.AWAITING_REVIEW,
        SearchStatus.REVIEWED,
        SearchStatus.PURGED,
    }
)
# Where a search ends for this service: done, or waiting on a person.
SETTLED = TERMINAL | {SearchStatus.AWAITING_FACE_CHOICE}


class SearchTransitionError(RuntimeError):
    """Raised for a status change the state table does not allow (a bug, never user input)."""


def search_transition(
    *,
    search: Search,
    to: SearchStatus,
    actor: Any,
    action: str | None = None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> Search:
    """Move ``search`` (locked by the caller) to ``to``, save ``fields`` too, and audit it.

    Runs in the caller's transaction, which must hold the search row ``FOR UPDATE`` (or have
    just inserted it); the audit event takes the chain's lock, so call this last.
    """
    allowed = SEARCH_TRANSITIONS[SearchStatus(search.status)]
    if to not in allowed:
        raise SearchTransitionError(f"search {search.id}: {search.status} → {to} is not allowed")
    before = search.status
    now = timezone.now()
    changes: dict[str, Any] = {"status": to, **(fields or {})}
    if to in TERMINAL and "completed_at" not in changes and search.completed_at is None:
        changes["completed_at"] = now
    if to not in (SearchStatus.RUNNING,):
        changes.setdefault("lease_owner", "")
        if to != SearchStatus.QUEUED:
            changes.setdefault("lease_expires_at", None)
    for name, value in changes.items():
        setattr(search, name, value)
    search.save(update_fields=[*changes, "updated_at"])
    audit_record(
        agency_id=search.agency_id,
        actor=actor,
        action=action or f"search.{to}",
        object_type="search",
        object_id=str(search.id),
        data={"from": before, **(data or {})},
    )
    return search
