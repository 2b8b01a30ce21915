"""The embedded engine that follows the active policy revisions, in every process.

Each decision first asks whether the revisions in force changed: at most once per
``POLICY_REVISION_CHECK_SECONDS`` (one indexed query on the revision ids), and at once in the
process that activated a revision (a generation bump on commit). When they changed, the
bundle is rebuilt and every thread prepares its regorus engine again on its next decision;
no restart is needed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings

from policy.decision import Decision, fail_closed
from policy.engines.embedded import EmbeddedRegoEngine

_generation = 0
_generation_lock = threading.Lock()


def policy_generation_bump() -> None:
    """Make this process look for new revisions before its next decision."""
    global _generation
    with _generation_lock:
        _generation += 1


class ActiveRevisionEngine:
    """Decide with the bundle the active revisions compose; fail closed when it cannot be read."""

    name = EmbeddedRegoEngine.name

    def __init__(self, *, check_seconds: float | None = None) -> None:
        self.check_seconds = (
            settings.POLICY_REVISION_CHECK_SECONDS if check_seconds is None else check_seconds
        )
        self._lock = threading.Lock()
        self._engine: EmbeddedRegoEngine | None = None
        self._key: tuple[str, ...] = ()
        self._checked_at = 0.0
        self._generation = -1

    @property
    def revision_ids(self) -> tuple[str, ...]:
        """Return the ids of the revisions the engine decides under now."""
        return self._key

    def current(self) -> EmbeddedRegoEngine:
        """Return the engine for the revisions in force, rebuilding it when they changed."""
        from policy.revisions.selectors import active_bundle_revisions, active_revision_key

        now = time.monotonic()
        engine = self._engine
        if (
            engine is not None
            and self._generation == _generation
            and now - self._checked_at < self.check_seconds
        ):
            return engine
        with self._lock:
            generation = _generation
            key = active_revision_key()
            if self._engine is None or key != self._key:
                key, bundle = active_bundle_revisions()
                self._engine = EmbeddedRegoEngine(bundle)
                self._key = key
            self._checked_at = now
            self._generation = generation
            return self._engine

    @property
    def revision(self) -> str:
        """Return the bundle revision in force (reading it if needed)."""
        return self.current().revision

    def decide(self, policy_input: dict[str, Any]) -> Decision:
        """Decide under the revisions in force; if they cannot be read, deny."""
        started = time.perf_counter()
        try:
            engine = self.current()
        except Exception as exc:
            return fail_closed(
                engine=self.name,
                bundle_revision=self._engine.revision if self._engine else "",
                error=f"policy revisions unavailable: {type(exc).__name__}: {exc}"[:300],
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        return engine.decide(policy_input)

    def health(self) -> tuple[bool, str]:
        """Report the bundle revision in force."""
        try:
            return True, f"{self.name} {self.current().revision}"
        except Exception as exc:
            return False, f"{self.name}: policy revisions unavailable ({type(exc).__name__})"
