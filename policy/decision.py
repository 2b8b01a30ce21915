"""The decision every policy engine returns, and the fail-closed decision for engine failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policy.obligations import obligations_invalid_reason, search_limits

FAIL_CLOSED_CODE = "request_malformed"
FAIL_CLOSED_MESSAGE = (
    "Request is malformed or contains an unparsable timestamp; no biometric processing performed."
)
FAIL_CLOSED_AUTHORITY = "Fail-closed design; OPC FR guidance (May 2022), accountability principle."


@dataclass(frozen=True)
class Decision:
    """A structured policy decision: allow, the reasons behind it, and what an allow obliges."""

    allow: bool
    reasons: list[dict[str, Any]]
    obligations: dict[str, Any]
    engine: str
    bundle_revision: str
    engine_decision_id: str = ""
    latency_ms: float = 0.0
    error: str = ""

    @property
    def codes(self) -> list[str]:
        """Return the reason codes in order."""
        return [str(r.get("code", "")) for r in self.reasons]

    def as_output(self) -> dict[str, Any]:
        """Return the decision as ``policy_eval`` and the dry-run API print it."""
        return {
            "allow": self.allow,
            "reasons": [
                {key: r.get(key) for key in ("code", "message", "authority")} for r in self.reasons
            ],
            "obligations": self.obligations,
        }


def fail_closed(
    *, engine: str, bundle_revision: str, error: str, latency_ms: float = 0.0
) -> Decision:
    """Return a deny for an engine that erred, timed out or answered something unusable."""
    return Decision(
        allow=False,
        reasons=[
            {
                "code": FAIL_CLOSED_CODE,
                "message": FAIL_CLOSED_MESSAGE,
                "authority": FAIL_CLOSED_AUTHORITY,
                "kind": "deny",
                "detail": f"policy engine failure: {error}",
            }
        ],
        obligations={},
        engine=engine,
        bundle_revision=bundle_revision,
        latency_ms=latency_ms,
        error=error,
    )


def decision_from_result(
    result: Any,
    *,
    engine: str,
    bundle_revision: str,
    latency_ms: float,
    engine_decision_id: str = "",
) -> Decision:
    """Validate an engine's raw answer; anything but a well-formed decision fails closed."""
    if not isinstance(result, dict):
        kind = "undefined" if result is None else type(result).__name__
        return fail_closed(
            engine=engine,
            bundle_revision=bundle_revision,
            error=f"result is {kind}",
            latency_ms=latency_ms,
        )
    allow = result.get("allow")
    reasons = result.get("reasons")
    obligations = result.get("obligations")
    well_formed = (
        isinstance(allow, bool)
        and isinstance(reasons, list)
        and all(isinstance(r, dict) and isinstance(r.get("code"), str) for r in reasons)
        and isinstance(obligations, dict)
    )
    if not well_formed:
        return fail_closed(
            engine=engine,
            bundle_revision=bundle_revision,
            error="malformed decision",
            latency_ms=latency_ms,
        )
    if not isinstance(reasons, list) or not isinstance(obligations, dict):  # for the type checker
        return fail_closed(engine=engine, bundle_revision=bundle_revision, error="malformed")
    has_deny = any(r.get("kind") == "deny" for r in reasons)
    allowed = bool(allow) and not has_deny
    if allowed and search_limits(obligations) is None:
        allowed, reasons = False, [*reasons, obligations_invalid_reason()]
    return Decision(
        allow=allowed,
        reasons=reasons,
        obligations=obligations,
        engine=engine,
        bundle_revision=bundle_revision,
        engine_decision_id=engine_decision_id,
        latency_ms=latency_ms,
    )
