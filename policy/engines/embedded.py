"""The in-process Rego engine (regorus): the default on one machine and in tests."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import regorus

from policy.bundles.bundle import Bundle, bundle_from_directory
from policy.decision import Decision, decision_from_result, fail_closed

DECISION_RULE = "data.fr.main.decision"


class EmbeddedRegoEngine:
    """Evaluate the bundle in this process, with one prepared regorus engine per thread.

    A regorus engine may only be used on the thread that created it, and web servers and
    workers decide on several threads; each thread therefore prepares its own on first use.
    """

    name = "embedded-regorus"

    def __init__(self, bundle: Bundle, *, rule: str = DECISION_RULE) -> None:
        self.bundle = bundle
        self.revision = bundle.revision
        self.rule = rule
        self._local = threading.local()
        self._prepare()

    def _prepare(self) -> Any:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = regorus.Engine()
            for path, text in self.bundle.modules.items():
                engine.add_policy(path, text)
            engine.add_data(self.bundle.data)
            self._local.engine = engine
        return engine

    @classmethod
    def from_directory(cls, rego_dir: Path) -> EmbeddedRegoEngine:
        """Build an engine from the bundle files in ``rego_dir``."""
        return cls(bundle_from_directory(rego_dir))

    def decide(self, policy_input: dict[str, Any]) -> Decision:
        """Evaluate the decision rule; any engine error or odd answer is a deny."""
        started = time.perf_counter()
        try:
            engine = self._prepare()
            # JSON text crosses into the engine faster than a Python object does, and anything
            # that is not plain JSON fails here, closed, instead of inside the engine.
            engine.set_input_json(json.dumps(policy_input, allow_nan=False))
            result = engine.eval_rule(self.rule)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return fail_closed(
                engine=self.name,
                bundle_revision=self.revision,
                error=f"{type(exc).__name__}: {exc}"[:300],
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        return decision_from_result(
            result,
            engine=self.name,
            bundle_revision=self.revision,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def health(self) -> tuple[bool, str]:
        """Report the loaded revision."""
        return True, f"{self.name} {self.revision}"
