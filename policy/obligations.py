"""The obligations an allow carries that the service must be able to enforce.

Validated when the decision is built: an allow whose limits cannot be enforced is recorded as a
deny with ``obligations_invalid``, so no search ever runs (or ends ``failed``) on such an allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OBLIGATIONS_INVALID = "obligations_invalid"
OBLIGATIONS_INVALID_MESSAGE = (
    "The policy allowed the search with obligations the service cannot enforce "
    "(max_candidates 1-100, min_similarity 0-1, probe_retention_days >= 0)."
)
OBLIGATIONS_INVALID_AUTHORITY = "Fail-closed design; OPC FR guidance (May 2022), safeguards."


@dataclass(frozen=True)
class SearchLimits:
    """The enforceable limits of an allowed search."""

    max_candidates: int
    min_similarity: float
    probe_retention_days: int


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def search_limits(obligations: dict[str, Any]) -> SearchLimits | None:
    """Return the limits an allow's obligations set, or None if they cannot be enforced."""
    max_candidates = _int(obligations.get("max_candidates"))
    retention = _int(obligations.get("probe_retention_days"))
    raw_similarity = obligations.get("min_similarity")
    similarity = (
        float(raw_similarity)
        if isinstance(raw_similarity, int | float) and not isinstance(raw_similarity, bool)
        else None
    )
    if max_candidates is None or not 1 <= max_candidates <= 100:
        return None
    if similarity is None or not 0.0 <= similarity <= 1.0:
        return None
    if retention is None or retention < 0:
        return None
    return SearchLimits(max_candidates, similarity, retention)


def obligations_invalid_reason() -> dict[str, Any]:
    """Return the deny reason recorded for an allow with unusable obligations."""
    return {
        "code": OBLIGATIONS_INVALID,
        "message": OBLIGATIONS_INVALID_MESSAGE,
        "authority": OBLIGATIONS_INVALID_AUTHORITY,
        "kind": "deny",
    }
