"""What the tamper-evident audit chain and the per-object data keys cost.

Audit: ``audit_record`` as every service calls it (its own transaction: the jsonb text round
trip, the MAC, the trigger's lock, numbering and SHA-256) interleaved event by event with the
baseline, a plain INSERT of the same row into a copy of the table with the same indexes but no
trigger (a logged table, so the commit's WAL flush is the same), in a transaction of its
own. Then ``audit_chain_verify`` over the whole chain, and one
checkpoint. Sealing: ``sealed_bytes_create`` (new data key, written and synced to the key store)
and ``sealed_bytes_open`` on a real probe photo, against SHA-256 of the same bytes, which the
service computes for every probe anyway; and key destruction. Figures are milliseconds.

Run: ``.venv/bin/python -m bench.audit_and_sealing [--events 500] [--seals 200]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import (
    PROJECT_DIR,
    bench_database,
    django_start,
    environment,
    json_emit,
    latency_summary,
    load_average,
    progress,
    stdout_reserve,
)

PROBE = PROJECT_DIR / "var" / "photos" / "obama3.jpg"

PLAIN_INSERT = (
    "INSERT INTO bench_plain_event (agency_id, uid, seq, occurred_at, actor_id, actor, action, "
    "object_type, object_id, data, mac, prev_hash, hash) "
    "VALUES (%s, %s, %s, now(), NULL, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)"
)


def audit_measure(events: int) -> dict[str, Any]:
    from django.db import connection, connections

    from audit.checkpoints import audit_checkpoint_write
    from audit.services import audit_record
    from audit.verification import audit_chain_verify
    from tenants.context import agency_transaction

    agency_id = f"bench_{uuid.uuid4().hex[:8]}"
    # A logged table like the audit table (same columns, defaults and indexes, no trigger), so
    # both paths pay the same WAL flush at commit.
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain_event (LIKE audit_auditevent INCLUDING DEFAULTS "
            "INCLUDING IDENTITY INCLUDING INDEXES)"
        )
        cursor.execute(f"GRANT INSERT ON bench_plain_event TO {connection.settings_dict['USER']}")
    data = {"decision_id": str(uuid.uuid4()), "max_candidates": 20, "min_similarity": 0.85}
    service, plain = [], []
    for n in range(events):
        began = time.perf_counter()
        audit_record(
            agency_id=agency_id,
            actor="bench",
            action="search.queued",
            object_type="search",
            object_id=str(uuid.uuid4()),
            data=data,
        )
        service.append(time.perf_counter() - began)
        began = time.perf_counter()
        with agency_transaction(agency_id), connection.cursor() as cursor:
            cursor.execute(
                PLAIN_INSERT,
                [
                    agency_id,
                    str(uuid.uuid4()),
                    n + 1,
                    "bench",
                    "search.queued",
                    "search",
                    str(uuid.uuid4()),
                    json.dumps(data),
                    "0" * 64,
                    "0" * 64,
                    uuid.uuid4().hex * 2,
                ],
            )
        plain.append(time.perf_counter() - began)
    began = time.perf_counter()
    report = audit_chain_verify(agency_id=agency_id)
    verify_s = time.perf_counter() - began
    began = time.perf_counter()
    audit_checkpoint_write(agency_id=agency_id)
    checkpoint_ms = (time.perf_counter() - began) * 1000
    service_ms, plain_ms = latency_summary(service), latency_summary(plain)
    return {
        "audit_record_ms": service_ms,
        "baseline_plain_insert_ms": plain_ms,
        "overhead_ms_p50": round(service_ms["p50"] - plain_ms["p50"], 3),
        "verify": {
            "events": report.events,
            "ok": report.ok,
            "seconds": round(verify_s, 3),
            "events_per_second": round(report.events / verify_s),
        },
        "checkpoint_write_ms": round(checkpoint_ms, 3),
    }


def sealing_measure(seals: int) -> dict[str, Any]:
    from django.test import override_settings

    from datakeys.services import key_store, sealed_bytes_create, sealed_bytes_open

    content = PROBE.read_bytes()
    store_dir = Path(tempfile.mkdtemp(prefix="probity-bench-keys-", dir=PROJECT_DIR / "var"))
    seal_t, open_t, destroy_t, sha_t = [], [], [], []
    try:
        with override_settings(DATAKEY_STORE_DIR=store_dir):
            for n in range(seals):
                began = time.perf_counter()
                sealed = sealed_bytes_create(
                    agency_id="bench", purpose=f"probe:{n}", plaintext=content
                )
                seal_t.append(time.perf_counter() - began)
                began = time.perf_counter()
                sealed_bytes_open(
                    agency_id="bench", purpose=f"probe:{n}", key_id=sealed.key_id, blob=sealed.blob
                )
                open_t.append(time.perf_counter() - began)
                began = time.perf_counter()
                hashlib.sha256(content).hexdigest()
                sha_t.append(time.perf_counter() - began)
                began = time.perf_counter()
                key_store().destroy(agency_id="bench", key_id=sealed.key_id)
                destroy_t.append(time.perf_counter() - began)
    finally:
        shutil.rmtree(store_dir, ignore_errors=True)
    return {
        "probe_bytes": len(content),
        "seal_ms": latency_summary(seal_t),
        "open_ms": latency_summary(open_t),
        "destroy_ms": latency_summary(destroy_t),
        "baseline_sha256_ms": latency_summary(sha_t),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seals", type=int, default=200)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    info = django_start()
    with bench_database():
        progress(f"{args.events} audit events, service and baseline interleaved")
        audit = audit_measure(args.events)
    progress(f"{args.seals} probes sealed, opened and their keys destroyed")
    sealing = sealing_measure(args.seals)
    json_emit(
        out,
        {
            "benchmark": "audit_and_sealing",
            **info,
            "audit": audit,
            "sealing": sealing,
            "environment": environment(load_at_start),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
