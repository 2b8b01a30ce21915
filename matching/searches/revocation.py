"""Stop searches that rely on a revoked authority record."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.services import audit_record
from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    Warrant,
)
from matching.models import Search, SearchStatus

AUTHORITY_REVOKED = "authority_revoked"
ACTIVE_STATES = (
    SearchStatus.SUBMITTED,
    SearchStatus.QUEUED,
    SearchStatus.RUNNING,
    SearchStatus.AWAITING_FACE_CHOICE,
)
FINISHED_STATES = (SearchStatus.AWAITING_REVIEW, SearchStatus.REVIEWED)


def searches_stop_for_revoked_authority(
    *, record: AuthorizationRecord, actor: Any, reason: str
) -> dict[str, int]:
    """Cancel searches still relying on a revoked record and quarantine finished results.

    Runs in the revocation's transaction, which holds the record ``FOR UPDATE``. A worker that
    finishes afterwards finds its search cancelled and discards what it computed.
    """
    from matching.searches.retention import probe_discard
    from matching.searches.transitions import search_transition

    field = {
        Warrant: "warrant_record",
        ExigentApproval: "exigent_record",
        InteragencyAgreement: "agreement_record",
    }[type(record)]
    now = timezone.now()
    cancelled = quarantined = 0
    searches = (
        Search.objects.select_for_update(of=("self",))
        .filter(agency_id=record.agency_id, **{field: record})
        .order_by("id")
    )
    for search in searches:
        if search.status in ACTIVE_STATES:
            probe_discard(search, actor="system", reason="authority revoked")
            search_transition(
                search=search,
                to=SearchStatus.CANCELLED,
                actor=actor,
                data={"authority": str(record.pk), "reason": reason},
                fields={
                    "error_code": AUTHORITY_REVOKED,
                    "error_message": f"Authority revoked: {reason}"[:300],
                },
            )
            cancelled += 1
        elif search.status in FINISHED_STATES and search.quarantined_at is None:
            search.quarantined_at = now
            search.quarantine_reason = f"Authority revoked: {reason}"[:300]
            search.save(update_fields=["quarantined_at", "quarantine_reason", "updated_at"])
            quarantined += 1
            audit_record(
                agency_id=record.agency_id,
                actor=actor,
                action="search.quarantined",
                object_type="search",
                object_id=str(search.id),
                data={"authority": str(record.pk), "reason": reason},
            )
    return {"searches_cancelled": cancelled, "searches_quarantined": quarantined}
