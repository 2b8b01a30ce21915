"""Replay of recorded decisions: a draft revision against 10,000 stored policy inputs.

Records ``--decisions`` decisions (the conformance inputs, moved to the bench agency, stored as
the service stores them) on a throwaway database, then runs the replay task's body
(``replay_execute``: read the window in batches, decide each input under the draft, compare,
count by reason, store the result) for a draft that raises the justification minimum. The
baseline, measured in the same run on the same inputs, is the bare decision loop of the
embedded engine: what a replay costs beyond deciding.

Run: ``.venv/bin/python -m bench.policy_replay [--decisions 10000]``
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

from bench.harness import (
    bench_database,
    bench_tenant,
    django_start,
    environment,
    json_emit,
    load_average,
    progress,
    stdout_reserve,
)
from bench.policy_latency import policy_inputs


def _moved(policy_input: dict[str, Any], agency_id: str) -> dict[str, Any]:
    moved = copy.deepcopy(policy_input)
    if isinstance(moved.get("agency"), dict):
        moved["agency"]["id"] = agency_id
    if isinstance(moved.get("user"), dict):
        moved["user"]["agency_id"] = agency_id
    if isinstance(moved.get("gallery"), dict):
        moved["gallery"]["owner_agency_id"] = agency_id
    return moved


def replay_measure(decisions: int) -> dict[str, Any]:
    """Record the decisions, then time the replay and the bare decision loop."""
    from policy.engines.embedded import EmbeddedRegoEngine
    from policy.models import PolicyDecision, PolicyReplay, PolicyRevision
    from policy.revisions.replay import replay_bundle, replay_execute
    from policy.revisions.selectors import revision_active
    from policy.services import policy_input_digest
    from tenants.context import agency_transaction

    tenant = bench_tenant()
    agency = tenant.agency
    _, cases = policy_inputs()
    inputs = [_moved(c["input"], agency.id) for c in cases if isinstance(c.get("input"), dict)]
    seed = revision_active(scope="baseline", agency_id=None)
    if seed is None:
        raise SystemExit("no active baseline revision")
    engine = EmbeddedRegoEngine(replay_bundle(seed))
    progress(f"recording {decisions} decisions")
    rows = []
    for index in range(decisions):
        policy_input = inputs[index % len(inputs)]
        decided = engine.decide(policy_input)
        rows.append(
            PolicyDecision(
                agency_id=agency.id,
                engine=decided.engine,
                bundle_revision=decided.bundle_revision,
                input=policy_input,
                input_digest=policy_input_digest(policy_input),
                allow=decided.allow,
                reasons=decided.reasons,
                obligations=decided.obligations,
                latency_ms=decided.latency_ms,
            )
        )
    with agency_transaction(agency.id):
        PolicyDecision.objects.bulk_create(rows, batch_size=1000)
    data = copy.deepcopy(seed.data)
    data["fr"]["config"]["justification_min_chars"] = 60
    draft = PolicyRevision.objects.create(
        scope="baseline",
        number=2,
        modules=seed.modules,
        data=data,
        digest="bench",
        parent=seed,
        change_note="bench: longer justifications",
        author=tenant.user,
    )
    with agency_transaction(agency.id):
        replay = PolicyReplay.objects.create(
            agency_id=agency.id, revision=draft, requested_by=tenant.user, days=1
        )
    progress("replaying")
    began = time.perf_counter()
    done = replay_execute(agency_id=agency.id, replay_id=replay.id)
    replay_seconds = time.perf_counter() - began
    draft_engine = EmbeddedRegoEngine(replay_bundle(draft))
    began = time.perf_counter()
    for row in rows:
        draft_engine.decide(row.input)
    loop_seconds = time.perf_counter() - began
    return {
        "decisions": done.processed,
        "replay_seconds": round(replay_seconds, 3),
        "replay_decisions_per_second": round(done.processed / replay_seconds, 1),
        "baseline_decide_loop_seconds": round(loop_seconds, 3),
        "baseline_decisions_per_second": round(len(rows) / loop_seconds, 1),
        "replay_overhead_pct": round(100 * (replay_seconds / loop_seconds - 1), 1),
        "totals": done.totals,
        "reason_codes_changed": len(done.by_reason),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--decisions", type=int, default=10_000)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    django_start()
    with bench_database():
        result = replay_measure(args.decisions)
    json_emit(
        out, {"benchmark": "policy_replay", **result, "environment": environment(load_at_start)}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
