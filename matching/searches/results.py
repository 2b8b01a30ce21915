"""Show a search's record and candidates to a person, within what their role reaches.

The record (status, decision, reasons, limits) and the candidates (names, similarities,
photos) are two different reaches in ``tenants.need_to_know``: an auditor reads the record of
every search of the agency and no name in it; an investigator reads their own searches whole.
"""

from __future__ import annotations

from audit.services import audit_record
from matching.models import Candidate, Search
from matching.searches.revocation import FINISHED_STATES
from tenants.context import agency_transaction
from tenants.models import User
from tenants.need_to_know import action_allowed, action_require


def search_read_require(*, user: User, search: Search) -> None:
    """Refuse (403) a person whose role does not reach this search's record."""
    action_require(user=user, action="search.read", owner_id=search.requested_by_id)


def search_candidates_visible(*, user: User, search: Search) -> bool:
    """Return whether the person's role shows them this search's candidates."""
    return action_allowed(user=user, action="candidates.read", owner_id=search.requested_by_id)


def search_candidates_view(*, user: User, search: Search) -> list[Candidate]:
    """Return a search's candidates to a person, recording that they saw them.

    Quarantined results, and every result to a role that does not see candidates, are withheld
    and nothing is recorded as seen. Candidates are shown only
    with the status they belong to: a search read while still running shows none, even if the
    worker commits its candidates a moment later.
    """
    if search.quarantined_at is not None or search.status not in FINISHED_STATES:
        return []
    if not search_candidates_visible(user=user, search=search):
        return []
    with agency_transaction(search.agency_id):
        candidates = list(
            Candidate.objects.select_related("subject")
            .prefetch_related("reviews__reviewer")
            .filter(agency_id=search.agency_id, search=search)
            .order_by("rank")
        )
        if candidates:
            audit_record(
                agency_id=search.agency_id,
                actor=user,
                action="candidates.viewed",
                object_type="search",
                object_id=str(search.id),
                data={"candidates": [c.subject.ref for c in candidates]},
            )
    return candidates
