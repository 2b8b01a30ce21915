"""Search latency on the embedded (filesystem) broker next to Redis, measured in the same run.

A process's Celery broker is fixed when it starts, so each broker gets its own process: a
throwaway bench database, one agency whose gallery holds real photos from ``var/photos``, and a
real worker (solo pool, a thread of that process) on that broker. The two processes take turns,
one search each, so changes in machine load hit both sides. A search goes through the real path
(``search_submit`` → broker → worker → decode, detect, encode, match → ``awaiting_review``); the
clock stops at the worker's ``task_postrun`` signal.

Run: ``.venv/bin/python -m bench.broker_latency [--searches 20]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.harness import PROJECT_DIR, json_emit, latency_summary, progress, stdout_reserve

GALLERY = {
    "obama": ["obama.jpg", "obama2.jpg"],
    "biden": ["biden.jpg"],
    "collins": ["astronaut.png"],
}
PROBES = ["obama3.jpg", "obama2.jpg", "biden.jpg"]
# "filesystem-1s" is the filesystem transport at kombu's default poll interval: the before.
BROKERS = ("filesystem", "filesystem-1s", "redis")
WARMUP = 2


def _dispatch(agency_id: str, search_id: Any) -> float:
    """Return the broker's share: from the queued event (commit) to the worker's claim."""
    from audit.models import AuditEvent
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        at = dict(
            AuditEvent.objects.filter(
                agency_id=agency_id,
                object_id=str(search_id),
                action__in=["search.queued", "search.started"],
            ).values_list("action", "occurred_at")
        )
    return (at["search.started"] - at["search.queued"]).total_seconds()


def _child(broker: str, seed: int) -> int:
    """Serve searches on one broker: one per ``search`` line on stdin, one JSON line back."""
    out = stdout_reserve()
    if broker.startswith("filesystem"):
        os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ["PROBITY_BENCH_DB_NAME"] = f"probity_broker_{broker.replace('-', '_')}_bench"
    from bench.harness import (
        TaskFinished,
        bench_database,
        bench_tenant,
        celery_worker,
        django_start,
    )

    info = django_start(worker_queue=True)
    if broker == "filesystem-1s":
        from config.celery import app

        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "polling_interval": 1.0,
        }
    info["polling_interval"] = "1.0" if broker == "filesystem-1s" else "default of settings"
    from bench.search_latency import search_request, search_status
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.searches import search_submit

    photos = PROJECT_DIR / "var" / "photos"
    with bench_database():
        tenant = bench_tenant()
        items = [
            UploadItem(subject_ref=ref, filename=name, content=(photos / name).read_bytes())
            for ref, names in GALLERY.items()
            for name in names
        ]
        batch = enrollment_batch_create(gallery=tenant.gallery, items=items, enqueue=False)
        enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
        with celery_worker(), TaskFinished() as finished:
            out.write(json.dumps({"ready": True, **info}) + "\n")
            out.flush()
            for turn, line in enumerate(sys.stdin):
                if line.strip() != "search":
                    break
                probe = PROBES[(seed + turn) % len(PROBES)]
                finished.arm()
                began = time.perf_counter()
                search = search_submit(
                    user=tenant.user,
                    mfa_verified=True,
                    request=search_request(),
                    probe_bytes=(photos / probe).read_bytes(),
                    probe_content_type="image/png" if probe.endswith("png") else "image/jpeg",
                )
                status = ""
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    at = finished.wait(timeout=1.0)
                    status = search_status(tenant.agency.id, search.id)
                    if status in ("awaiting_review", "awaiting_face_choice", "failed"):
                        break
                    if at is not None:
                        finished.arm()
                elapsed = (finished.finished_at or time.perf_counter()) - began
                out.write(
                    json.dumps(
                        {
                            "status": status,
                            "seconds": elapsed,
                            "dispatch_seconds": _dispatch(tenant.agency.id, search.id),
                        }
                    )
                    + "\n"
                )
                out.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run both brokers' processes, alternate searches between them, print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="which probe comes first")
    parser.add_argument("--child", choices=BROKERS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.seed)
    out = stdout_reserve()
    children = {
        broker: subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
            [
                sys.executable,
                "-m",
                "bench.broker_latency",
                "--child",
                broker,
                "--seed",
                str(args.seed),
            ],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for broker in BROKERS
    }
    ready: dict[str, Any] = {}
    samples: dict[str, list[float]] = {broker: [] for broker in BROKERS}
    dispatch: dict[str, list[float]] = {broker: [] for broker in BROKERS}
    statuses: dict[str, list[str]] = {broker: [] for broker in BROKERS}
    try:
        for broker, child in children.items():
            assert child.stdout is not None
            ready[broker] = json.loads(child.stdout.readline())
            progress(f"{broker} ready: {ready[broker]}")
        for turn in range(WARMUP + args.searches):
            for broker in BROKERS if turn % 2 == 0 else tuple(reversed(BROKERS)):
                child = children[broker]
                assert child.stdin is not None
                assert child.stdout is not None
                child.stdin.write("search\n")
                child.stdin.flush()
                result = json.loads(child.stdout.readline())
                if turn >= WARMUP:
                    samples[broker].append(result["seconds"])
                    dispatch[broker].append(result["dispatch_seconds"])
                    statuses[broker].append(result["status"])
            progress(f"turn {turn + 1}/{WARMUP + args.searches}")
    finally:
        for child in children.values():
            if child.stdin is not None:
                child.stdin.close()
        for child in children.values():
            child.wait(timeout=120)
    summary = {
        broker: {
            **latency_summary(samples[broker]),
            "dispatch_queued_to_started": latency_summary(dispatch[broker]),
            "completed": statuses[broker].count("awaiting_review"),
            "broker": ready[broker].get("broker"),
        }
        for broker in BROKERS
    }
    fs, redis = summary["filesystem"], summary["redis"]
    difference = round(fs["p50"] - redis["p50"], 1)
    dispatch_difference = round(
        fs["dispatch_queued_to_started"]["p50"] - redis["dispatch_queued_to_started"]["p50"], 1
    )
    json_emit(
        out,
        {
            "benchmark": "broker_latency",
            "what": "search latency, submit → candidates ready, small real gallery, one at a time",
            "searches_per_broker": args.searches,
            "unit": "ms",
            **summary,
            "filesystem_minus_redis_p50_ms": difference,
            "filesystem_minus_redis_dispatch_p50_ms": dispatch_difference,
            "target": "filesystem p50 within 50 ms of Redis",
            "met": difference <= 50,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
