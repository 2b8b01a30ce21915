"""The policy gate: ask the engine, record the decision and audit it in the caller's transaction."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from audit.chain import canonical_json
from audit.services import audit_record
from policy.decision import Decision
from policy.engine import engine_get
from policy.models import PolicyDecision
from tenants.context import agency_transaction


def policy_input_digest(policy_input: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of a policy input."""
    return hashlib.sha256(canonical_json(policy_input).encode()).hexdigest()


def decision_store(
    *,
    agency_id: str,
    policy_input: dict[str, Any],
    decision: Decision,
    search_id: uuid.UUID | None = None,
) -> PolicyDecision:
    """Store a decision with the input it answered; the caller audits it with ``decision_audit``.

    Split from the audit so a caller can write every row first and take the audit chain's lock
    last, just before its commit.
    """
    return PolicyDecision.objects.create(
        agency_id=agency_id,
        search_id=search_id,
        engine=decision.engine,
        engine_decision_id=decision.engine_decision_id,
        bundle_revision=decision.bundle_revision,
        input=policy_input,
        input_digest=policy_input_digest(policy_input),
        allow=decision.allow,
        reasons=decision.reasons,
        obligations=decision.obligations,
        latency_ms=decision.latency_ms,
    )


def decision_audit(
    *, record: PolicyDecision, actor: Any = None, purpose: str = "search", error: str = ""
) -> None:
    """Write the audit event of a stored decision, in the caller's transaction."""
    audit_record(
        agency_id=record.agency_id,
        actor=actor,
        action="policy.decided",
        object_type="policy_decision",
        object_id=str(record.id),
        data={
            "purpose": purpose,
            "search_id": str(record.search_id) if record.search_id else None,
            "allow": record.allow,
            "codes": [str(r.get("code", "")) for r in record.reasons],
            "bundle_revision": record.bundle_revision,
            "engine": record.engine,
            "input_digest": record.input_digest,
            "error": error,
        },
    )


def policy_evaluate(*, policy_input: dict[str, Any]) -> Decision:
    """Ask the configured engine; never raises (a failing engine answers a deny)."""
    return engine_get().decide(policy_input)


def decision_record(
    *,
    agency_id: str,
    policy_input: dict[str, Any],
    decision: Decision,
    search_id: uuid.UUID | None = None,
    actor: Any = None,
    purpose: str = "search",
) -> PolicyDecision:
    """Store a decision with the input it answered and write its audit event."""
    with agency_transaction(agency_id):
        record = decision_store(
            agency_id=agency_id, policy_input=policy_input, decision=decision, search_id=search_id
        )
        decision_audit(record=record, actor=actor, purpose=purpose, error=decision.error)
    return record


def policy_decide(
    *,
    agency_id: str,
    policy_input: dict[str, Any],
    search_id: uuid.UUID | None = None,
    actor: Any = None,
    purpose: str = "search",
) -> PolicyDecision:
    """Ask the configured engine and record its decision (a failing engine records a deny)."""
    decision = policy_evaluate(policy_input=policy_input)
    return decision_record(
        agency_id=agency_id,
        policy_input=policy_input,
        decision=decision,
        search_id=search_id,
        actor=actor,
        purpose=purpose,
    )
