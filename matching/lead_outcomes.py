"""What became of a lead: after review, the outcome of a possible match is put on record.

A possible match is an investigative lead, never an identification. Once other evidence has
confirmed or excluded the person (or they were charged), the requester or a supervisor records
it; the statistics oversight bodies read count these outcomes from the audit trail, so a
programme's leads can be weighed against what they led to. An outcome may be corrected (each
record is its own audit event); it needs current training and a second factor, like a review.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from matching.models import Candidate, Disposition, LeadOutcome, Search
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_require
from tenants.services import training_status

CANDIDATE_NOT_FOUND = "candidate_not_found"
NOT_A_LEAD = "candidate_not_a_lead"
OUTCOME_INVALID = "lead_outcome_invalid"
TRAINING_REQUIRED = "training_required"
MFA_REQUIRED = "mfa_required"
OUTCOME_ACTION = "lead.outcome_recorded"
HISTORY_LENGTH = 50


@dataclass(frozen=True)
class OutcomeEntry:
    """One record of a lead's outcome, from the audit trail; the latest one counts."""

    outcome: str
    previous: str
    note: str
    actor: str
    recorded_at: datetime


def lead_outcome_record(
    *,
    user: User,
    search_id: uuid.UUID,
    rank: int,
    outcome: str,
    note: str,
    mfa_verified: bool,
) -> Candidate:
    """Record what became of a possible match; audited in the same transaction."""
    assert user.agency is not None  # noqa: S101
    if outcome not in LeadOutcome.values:
        raise ApiError(
            OUTCOME_INVALID,
            f"Choose one of: {', '.join(LeadOutcome.values)}.",
            fields={"outcome": ["Not a lead outcome."]},
        )
    agency_id = user.agency.id
    with agency_transaction(agency_id):
        search = Search.objects.filter(agency_id=agency_id, id=search_id).first()
        candidate = (
            Candidate.objects.select_for_update(of=("self",))
            .filter(agency_id=agency_id, search_id=search_id, rank=rank)
            .first()
            if search is not None
            else None
        )
        if search is None or candidate is None or search.quarantined_at is not None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        action_require(user=user, action="lead.outcome_record", owner_id=search.requested_by_id)
        completed, expires_at = training_status(user=user)
        if not completed or expires_at is None or expires_at <= timezone.now():
            raise ApiError(TRAINING_REQUIRED, "Current FR training is required.", http_status=403)
        if not mfa_verified:
            raise ApiError(
                MFA_REQUIRED, "Sign in with a second factor to record an outcome.", http_status=403
            )
        if candidate.disposition != Disposition.POSSIBLE_MATCH:
            raise ApiError(
                NOT_A_LEAD, "Only a confirmed possible match is a lead.", http_status=409
            )
        previous = candidate.outcome
        candidate.outcome, candidate.outcome_at = outcome, timezone.now()
        candidate.save(update_fields=["outcome", "outcome_at"])
        audit_record(
            agency_id=agency_id,
            actor=user,
            action=OUTCOME_ACTION,
            object_type="search",
            object_id=str(search_id),
            data={"rank": rank, "outcome": outcome, "previous": previous, "note": note[:2000]},
        )
    return candidate


def lead_outcome_history(*, user: User, search_id: uuid.UUID, rank: int) -> list[OutcomeEntry]:
    """Return the outcomes recorded for a candidate, newest first (who sees the candidate)."""
    assert user.agency is not None  # noqa: S101
    agency_id = user.agency.id
    with agency_transaction(agency_id):
        search = Search.objects.filter(agency_id=agency_id, id=search_id).first()
        if search is None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        action_require(user=user, action="candidates.read", owner_id=search.requested_by_id)
        events = AuditEvent.objects.filter(
            agency_id=agency_id,
            action=OUTCOME_ACTION,
            object_type="search",
            object_id=str(search_id),
            data__rank=rank,
        ).order_by("-seq")[:HISTORY_LENGTH]
        return [
            OutcomeEntry(
                outcome=str(e.data.get("outcome", "")),
                previous=str(e.data.get("previous") or ""),
                note=str(e.data.get("note", "")),
                actor=e.actor,
                recorded_at=e.occurred_at,
            )
            for e in events
        ]
