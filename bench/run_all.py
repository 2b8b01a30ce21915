"""Run every benchmark, one after another, and print their JSON documents as one.

Each benchmark runs in its own process: each sets Django up against its own throwaway database
and queue, loads the face model or not, and must not inherit another's warm caches or worker.
Running them one at a time keeps them from competing for the CPU.

Run: ``.venv/bin/python -m bench.run_all [--skip search_latency ...]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bench.harness import PROJECT_DIR, json_emit, progress, stdout_reserve

# Each entry: the name in the combined document, its module, and its arguments.
RUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "policy_latency": ("policy_latency", ()),
    "search_latency": ("search_latency", ()),
    "search_latency_1080p": ("search_latency", ("--frame-face-scale", "1.5")),
    "broker_latency": ("broker_latency", ()),
    "enrollment_throughput": ("enrollment_throughput", ("--workers", "2")),
    "probe_cost": ("probe_cost", ()),
    "probe_downscale": (
        "probe_downscale",
        ("--scales", "1.0,2.0", "--plans", "2100000:2100000,500000:2100000"),
    ),
    "api_overhead": ("api_overhead", ()),
    "audit_and_sealing": ("audit_and_sealing", ()),
    "audit_export": ("audit_export", ()),
    "identification_accuracy": ("identification_accuracy", ()),
    "vector_search": ("vector_search", ()),
}
BENCHMARKS = tuple(RUNS)


def benchmark_run(name: str) -> dict[str, Any]:
    """Run one benchmark module; return its document, or what went wrong."""
    module, arguments = RUNS[name]
    progress(f"=== {name} ===")
    began = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", f"bench.{module}", *arguments],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = round(time.perf_counter() - began, 1)
    if completed.returncode != 0:
        return {"error": f"exited with status {completed.returncode}", "seconds": elapsed}
    try:
        document: dict[str, Any] = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        return {"error": f"printed no JSON document: {exc}", "seconds": elapsed}
    return document


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one combined JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--skip", action="append", default=[], choices=BENCHMARKS)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    began = time.perf_counter()
    results = {name: benchmark_run(name) for name in BENCHMARKS if name not in args.skip}
    failed = [name for name, doc in results.items() if "error" in doc]
    json_emit(
        out,
        {
            "benchmarks": results,
            "failed": failed,
            "runtime_seconds": round(time.perf_counter() - began, 1),
        },
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
