"""The policy engine interface and the choice of implementation.

``ActiveRevisionEngine`` (in-process regorus, following the active policy revisions) serves
single machines and tests; ``OpaRestEngine``
asks OPA servers over the REST Data API in production (``OPA_URL``). Both evaluate the same
bundle and both fail closed.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

from django.conf import settings

from policy.decision import Decision


class PolicyEngine(Protocol):
    """Anything that turns a policy input into a decision."""

    name: str

    def decide(self, policy_input: dict[str, Any]) -> Decision:
        """Return the decision for ``policy_input``; never raise, fail closed instead."""
        ...

    def health(self) -> tuple[bool, str]:
        """Return whether the engine can decide, with a short description."""
        ...


@functools.cache
def engine_get() -> PolicyEngine:
    """Return the configured engine (cached for the process)."""
    if settings.OPA_URL:
        from policy.engines.opa import OpaRestEngine

        return OpaRestEngine(
            base_url=settings.OPA_URL,
            decision_path=settings.OPA_DECISION_PATH,
            timeout_seconds=settings.OPA_TIMEOUT_SECONDS,
            token=settings.OPA_TOKEN,
        )
    from policy.engines.following import ActiveRevisionEngine

    return ActiveRevisionEngine()
