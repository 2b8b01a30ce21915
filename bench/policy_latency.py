"""Policy decision latency: the embedded Rego engine against raw regorus, and the recorded gate.

Each decision evaluates ``data.fr.main.decision`` of the full bundle on one of the JSON inputs
the Rego and Python tests share (``policy/fixtures/cases``), in a seeded shuffled order, so
allows, denies and every rule family are all exercised. The baseline is regorus itself on a
prepared engine, interleaved decision by decision with ``EmbeddedRegoEngine.decide`` so both see
the same machine load; the difference is what the service's wrapping costs. The gate as the
service runs it (``policy_decide``: decide, store the decision, append the audit event, commit)
is measured on a throwaway PostgreSQL database.

Run: ``.venv/bin/python -m bench.policy_latency [--decisions 2000] [--gate-decisions 200]``
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions, version
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import (
    PROJECT_DIR,
    bench_database,
    bench_tenant,
    django_start,
    environment,
    json_emit,
    latency_summary,
    load_average,
    progress,
    stdout_reserve,
)

TARGET_P95_MS = 5.0
FIXTURES_DIR = PROJECT_DIR / "policy" / "fixtures" / "cases"
WARMUP = 50


def policy_inputs() -> tuple[str, list[dict[str, Any]]]:
    """Return the shared fixture cases, or one valid Ontario search input if there are none."""
    cases = [json.loads(p.read_text()) for p in sorted(FIXTURES_DIR.glob("*.json"))]
    cases = [c for c in cases if isinstance(c.get("input"), dict)]
    if cases:
        return "policy/fixtures/cases", cases
    return "built-in Ontario CCTV search", [{"name": "ontario_cctv", "input": ontario_input()}]


def ontario_input() -> dict[str, Any]:
    """Return an allowable input: a trained Toronto investigator, an ICA gallery, a CCTV probe."""
    return {
        "now": "2026-11-26T17:00:00Z",
        "user": {
            "id": "inv-1",
            "agency_id": "tps",
            "roles": ["investigator"],
            "training_completed": True,
            "training_expires_at": "2027-06-30T00:00:00Z",
            "mfa_verified": True,
        },
        "agency": {
            "id": "tps",
            "name": "Toronto Police Service",
            "kind": "municipal",
            "jurisdiction": "CA-ON",
            "municipality": "Toronto",
            "service_area_municipalities": ["Toronto"],
            "pia_completed": True,
            "cai_disclosure_filed": False,
            "fr_program_approved": True,
        },
        "purpose": "criminal_investigation",
        "offence": {"code": "CC 344", "category": "robbery", "indictable": True},
        "case_number": "2026-123456",
        "justification": "Armed robbery suspect captured on store CCTV; no other leads.",
        "warrant": None,
        "exigent": {"claimed": False},
        "interagency": None,
        "probe": {
            "source": "cctv",
            "collected_in": "CA-ON",
            "collected_municipality": "Toronto",
            "subject_believed_minor": False,
            "captured_at": "2026-11-20T14:30:00-05:00",
        },
        "gallery": {
            "id": "booking",
            "owner_agency_id": "tps",
            "owner_jurisdiction": "CA-ON",
            "legal_basis": "identification_of_criminals_act",
            "contains_youth_records": False,
            "ycja_access_period_enforced": False,
            "shared_with": [],
            "sharing_agreement_id": "",
            "cai_disclosure_filed": False,
            "consent_express": False,
            "authorized_case_number": "",
        },
    }


def expectations_check(engine: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare decisions with the cases' expectations, so the timed engine is known to be right.

    Cases carrying their own ``config`` expect data the stock bundle does not have; they are
    timed but not checked.
    """
    checked, mismatched = 0, []
    for case in cases:
        expect = case.get("expect") or {}
        if "config" in case or "allow" not in expect:
            continue
        checked += 1
        decision = engine.decide(copy.deepcopy(case["input"]))
        codes = set(decision.codes)
        wrong = (
            decision.allow != expect["allow"]
            or not set(expect.get("codes_present", [])) <= codes
            or bool(set(expect.get("codes_absent", [])) & codes)
        )
        if wrong:
            mismatched.append(case.get("name", "?"))
    return {"checked": checked, "matched": checked - len(mismatched), "mismatched": mismatched}


def raw_engine(bundle: Any, rule: str) -> Any:
    """Prepare a bare regorus engine with the same modules and data."""
    import regorus

    engine = regorus.Engine()
    for path, text in bundle.modules.items():
        engine.add_policy(path, text)
    engine.add_data(bundle.data)
    engine.eval_rule(rule)
    return engine


@dataclass
class EngineTimings:
    """Wall-clock and thread CPU seconds of each decision, and which input it answered."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    case: list[int] = field(default_factory=list)


def engine_compare(
    inputs: list[dict[str, Any]], decisions: int, seed: int
) -> tuple[EngineTimings, EngineTimings, dict[str, Any]]:
    """Time raw regorus and the embedded engine on the same inputs, alternating who goes first.

    Thread CPU time is kept beside wall-clock time: on a shared machine the wall-clock tail
    mostly measures other processes, the CPU time what a decision itself costs.
    """
    from django.conf import settings

    from policy.bundle import bundle_from_directory
    from policy.embedded import DECISION_RULE, EmbeddedRegoEngine

    started = time.perf_counter()
    bundle = bundle_from_directory(Path(settings.POLICY_REGO_DIR))
    embedded = EmbeddedRegoEngine(bundle)
    prepare_s = time.perf_counter() - started
    raw = raw_engine(bundle, DECISION_RULE)

    first_on_thread: list[float] = []

    def first_decision() -> None:
        began = time.perf_counter()
        embedded.decide(inputs[0])
        first_on_thread.append(time.perf_counter() - began)

    thread = threading.Thread(target=first_decision)
    thread.start()
    thread.join()

    rng = random.Random(seed)
    order = [rng.randrange(len(inputs)) for _ in range(decisions)]
    for index in order[:WARMUP]:
        raw.set_input(inputs[index])
        raw.eval_rule(DECISION_RULE)
        embedded.decide(inputs[index])
    raw_t, embedded_t = EngineTimings(), EngineTimings()
    allowed = 0
    for i, index in enumerate(order):
        policy_input = inputs[index]
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            began, began_cpu = time.perf_counter(), time.thread_time()
            if which == 0:
                raw.set_input(policy_input)
                raw.eval_rule(DECISION_RULE)
                timings = raw_t
            else:
                allowed += embedded.decide(policy_input).allow
                timings = embedded_t
            timings.cpu.append(time.thread_time() - began_cpu)
            timings.wall.append(time.perf_counter() - began)
            timings.case.append(index)
    facts = {
        "bundle_revision": bundle.revision,
        "modules": len(bundle.modules),
        "rule": DECISION_RULE,
        "engine_prepare_ms": round(prepare_s * 1000, 3),
        "first_decision_on_new_thread_ms": round(first_on_thread[0] * 1000, 3),
        "allowed_decisions": allowed,
        "denied_decisions": decisions - allowed,
        "embedded": embedded,
    }
    return raw_t, embedded_t, facts


def slowest_cases(
    timings: EngineTimings, cases: list[dict[str, Any]], count: int = 5
) -> list[dict[str, Any]]:
    """Return the inputs with the highest median CPU time per decision."""
    by_case: dict[int, list[float]] = defaultdict(list)
    for index, cpu in zip(timings.case, timings.cpu, strict=True):
        by_case[index].append(cpu)
    medians = sorted(((float(np.median(v)) * 1000, i) for i, v in by_case.items()), reverse=True)
    return [
        {"case": cases[i].get("name", str(i)), "cpu_ms_p50": round(ms, 3)}
        for ms, i in medians[:count]
    ]


def gate_measure(inputs: list[dict[str, Any]], decisions: int, seed: int) -> dict[str, Any]:
    """Time ``policy_decide`` (decide + store + audit + commit) on the bench database."""
    from django.utils import timezone

    from policy.engine import engine_get
    from policy.services import policy_decide

    tenant = bench_tenant()
    agency, user = tenant.agency, tenant.user
    rng = random.Random(seed + 1)
    order = [inputs[rng.randrange(len(inputs))] for _ in range(decisions + 10)]
    for policy_input in order[:10]:
        policy_decide(agency_id=agency.id, policy_input=policy_input, actor=user)
    samples = []
    began_all = timezone.now()
    for policy_input in order[10:]:
        began = time.perf_counter()
        policy_decide(agency_id=agency.id, policy_input=policy_input, actor=user)
        samples.append(time.perf_counter() - began)
    return {
        "engine": engine_get().name,
        "decisions": decisions,
        "latency_ms": latency_summary(samples),
        "wall_seconds": round((timezone.now() - began_all).total_seconds(), 3),
    }


def regorus_version() -> str:
    """Return the installed version of the distribution that provides ``regorus``."""
    dists = packages_distributions().get("regorus", [])
    return f"{dists[0]} {version(dists[0])}" if dists else "unknown"


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument(
        "--gate-decisions",
        type=int,
        default=200,
        help="policy_decide calls on the bench database (0 skips the database)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    started = time.perf_counter()
    info = django_start()
    source, cases = policy_inputs()
    inputs = [c["input"] for c in cases]
    progress(f"{len(inputs)} policy inputs from {source}; {args.decisions} decisions per engine")
    raw_t, embedded_t, facts = engine_compare(inputs, args.decisions, args.seed)
    embedded = facts.pop("embedded")
    expectations = expectations_check(embedded, cases)
    raw_ms = latency_summary(raw_t.wall)
    embedded_ms = latency_summary(embedded_t.wall)
    embedded_cpu_ms = latency_summary(embedded_t.cpu)
    gate = None
    if args.gate_decisions > 0:
        with bench_database():
            progress(f"{args.gate_decisions} policy_decide calls on the bench database")
            gate = gate_measure(inputs, args.gate_decisions, args.seed)
    document: dict[str, Any] = {
        "benchmark": "policy_latency",
        "decisions": args.decisions,
        "inputs": {"source": source, "documents": len(inputs)},
        "bundle": {k: facts[k] for k in ("bundle_revision", "modules", "rule")},
        "outcomes": {k: facts[k] for k in ("allowed_decisions", "denied_decisions")},
        "embedded_engine_ms": embedded_ms,
        "embedded_engine_cpu_ms": embedded_cpu_ms,
        "baseline_raw_regorus_ms": raw_ms,
        "baseline_raw_regorus_cpu_ms": latency_summary(raw_t.cpu),
        "wrapper_overhead_ms": {
            "p50": round(embedded_ms["p50"] - raw_ms["p50"], 3),
            "mean": round(embedded_ms["mean"] - raw_ms["mean"], 3),
        },
        "wrapper_overhead_pct_mean": round(100 * (embedded_ms["mean"] / raw_ms["mean"] - 1), 1),
        "engine_prepare_ms": facts["engine_prepare_ms"],
        "first_decision_on_new_thread_ms": facts["first_decision_on_new_thread_ms"],
        "slowest_inputs": slowest_cases(embedded_t, cases),
        "policy_gate": gate,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": embedded_ms["p95"] < TARGET_P95_MS,
        "meets_target_on_cpu_time": embedded_cpu_ms["p95"] < TARGET_P95_MS,
        "fixture_expectations": expectations,
        "versions": {"regorus": regorus_version()},
        "setup": info,
        "environment": environment(load_at_start),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
