"""Show a search's candidates to a person, recording that they saw them."""

from __future__ import annotations

from audit.services import audit_record
from matching.models import Candidate, Search
from matching.searches.revocation import FINISHED_STATES
from tenants.context import agency_transaction
from tenants.models import User


def search_candidates_view(*, user: User, search: Search) -> list[Candidate]:
    """Return a search's candidates to a person, recording that they saw them.

    Quarantined results are withheld and nothing is recorded as seen. Candidates are shown only
    with the status they belong to: a search read while still running shows none, even if the
    worker commits its candidates a moment later.
    """
    if search.quarantined_at is not None or search.status not in FINISHED_STATES:
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
