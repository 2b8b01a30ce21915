"""The in-process Rego engine (regorus): the default on one machine and in tests."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import regorus

from policy.bundles.bundle import Bundle, bundle_from_directory
from policy.decision import Decision, decision_from_result, fail_closed

DECISION_RULE = "data.fr.main.decision"

# Prepared regorus engines, per thread, keyed by the engine object that prepared them. They
# live in the thread's own storage, never in a shared object: a regorus engine may only be
# used, and dropped, on the thread that created it, so an engine object dropped elsewhere
# (the revisions in force changed) leaves its prepared engines to be evicted here, each on
# its own thread, least recently used first.
_THREAD = threading.local()
_PREPARED_PER_THREAD = 4
_serials = itertools.count()


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
        self._serial = next(_serials)
        self._prepare()

    def _prepare(self) -> Any:
        prepared: OrderedDict[int, Any] | None = getattr(_THREAD, "prepared", None)
        if prepared is None:
            prepared = _THREAD.prepared = OrderedDict()
        engine = prepared.get(self._serial)
        if engine is None:
            engine = regorus.Engine()
            for path, text in self.bundle.modules.items():
                engine.add_policy(path, text)
            engine.add_data(self.bundle.data)
            prepared[self._serial] = engine
            while len(prepared) > _PREPARED_PER_THREAD:
                prepared.popitem(last=False)
        else:
            prepared.move_to_end(self._serial)
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
