"""How long a large OPA decision-log batch keeps one agency's searches from writing audit events.

One 10,000-event batch for one agency is ingested while a probe thread writes an audit event
for the same agency (as a search step does) every 20 ms and times each write. The service
writes ``DECISION_LOG_EVENTS_PER_TRANSACTION`` events per transaction; the baseline, in the
same run on the same database, writes the whole batch in one transaction (the earlier shape).

Run: ``.venv/bin/python -m bench.decision_log_ingest [--events 10000]``
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from typing import Any

from bench.harness import (
    bench_database,
    bench_tenant,
    django_start,
    json_emit,
    latency_summary,
    progress,
    stdout_reserve,
)


def _events(agency_id: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "decision_id": str(uuid.uuid4()),
            "path": "fr/main/decision",
            "bundles": {"probity": {"revision": "sha256:bench"}},
            "input": {"agency": {"id": agency_id}},
            "result": {"allow": True, "reasons": [], "obligations": {}},
            "timestamp": "2026-11-26T15:00:00Z",
        }
        for _ in range(count)
    ]


def ingest_measure(agency_id: str, count: int, per_transaction: int) -> dict[str, Any]:
    """Ingest ``count`` events with ``per_transaction`` per transaction; time the probe."""
    from django.db import connections

    import policy.decision_logs as ingest
    from audit.services import audit_record

    waits: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        try:
            while not stop.is_set():
                began = time.perf_counter()
                audit_record(agency_id=agency_id, actor="bench", action="bench.search_step")
                waits.append(time.perf_counter() - began)
                time.sleep(0.02)
        finally:
            connections.close_all()

    ingest.DECISION_LOG_EVENTS_PER_TRANSACTION = per_transaction
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    time.sleep(0.2)
    began = time.perf_counter()
    report = ingest.decision_logs_ingest(
        _events(agency_id, count), represented=frozenset({agency_id})
    )
    elapsed = time.perf_counter() - began
    stop.set()
    thread.join()
    return {
        "events_per_transaction": per_transaction,
        "recorded": report.recorded,
        "ingest_seconds": round(elapsed, 2),
        "probe_audit_write_ms": latency_summary(waits),
        "probe_longest_wait_ms": round(max(waits) * 1000, 1) if waits else None,
        "probe_writes": len(waits),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    started = time.perf_counter()
    info = django_start()
    import policy.decision_logs as ingest

    chunk = ingest.DECISION_LOG_EVENTS_PER_TRANSACTION
    with bench_database():
        tenant = bench_tenant()
        progress(f"service: {args.events} events, {chunk} per transaction")
        service = ingest_measure(tenant.agency.id, args.events, chunk)
        progress(f"baseline: {args.events} events in one transaction")
        baseline = ingest_measure(tenant.agency.id, args.events, args.events)
    json_emit(
        out,
        {
            "benchmark": "decision_log_ingest",
            "events": args.events,
            "service": service,
            "baseline_one_transaction": baseline,
            "setup": info,
            "runtime_seconds": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
