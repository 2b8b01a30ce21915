"""What a signed audit export costs, and that its memory stays flat as the events grow.

Events are generated quickly: computed in Python with the service's own MAC and chain functions
(``audit.chain``) and loaded with COPY, the chaining trigger off for the load (the result is
the chain the trigger would have built; the standalone verifier checks it at the end). Two
agencies get ``--small`` and ``--events`` events. Each is exported with the service's build
(``audit_export_build``: keyset pages, JSON Lines + CSV written as read, manifest, signature,
zip) and, as the baseline in the same run, dumped with PostgreSQL's own
``COPY (SELECT …) TO STDOUT`` into a file. For each: seconds, events per second and peak
memory (the process's resident set sampled every 10 ms, above where it stood before). Then
the standalone verifier checks the big export.

Run: ``.venv/bin/python -m bench.audit_export [--events 1000000] [--small 100000]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    bench_database,
    django_start,
    environment,
    json_emit,
    load_average,
    progress,
    stdout_reserve,
)

COPY_COLUMNS = (
    "agency_id, uid, seq, occurred_at, actor_id, actor, action, object_type, object_id, data, "
    "mac, prev_hash, hash"
)
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


class PeakMemory:
    """Sample the resident set in a thread; report the peak above the starting point."""

    def __init__(self) -> None:
        self.base = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakMemory:
        self.base = self.peak = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    def figures(self) -> dict[str, float]:
        return {"peak_rss_above_start_mib": round((self.peak - self.base) / 2**20, 1)}


def events_load(agency_id: str, count: int) -> None:
    """Append ``count`` chained, MAC'd events to the agency's chain with COPY."""
    from django.db import connections, transaction

    from audit.chain import GENESIS_HASH, EventContent, epoch_microseconds, event_hash, event_mac
    from audit.keys import audit_mac_key

    key = audit_mac_key()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    owner = connections["owner"]
    with transaction.atomic(using="owner"), owner.cursor() as cursor:
        cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
        cursor.execute(
            "SELECT coalesce(max(seq), 0) FROM audit_auditevent WHERE agency_id = %s", [agency_id]
        )
        (last,) = cursor.fetchone() or (0,)
        cursor.execute(
            "SELECT hash FROM audit_auditevent WHERE agency_id = %s AND seq = %s", [agency_id, last]
        )
        row = cursor.fetchone()
        prev = row[0] if row else GENESIS_HASH
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_chain_append")
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY audit_auditevent ({COPY_COLUMNS}) FROM STDIN") as copy:
            for n in range(count):
                seq = last + n + 1
                moment = start + timedelta(seconds=seq)
                content = EventContent(
                    agency_id=agency_id,
                    uid=str(uuid.uuid4()),
                    occurred_at_us=epoch_microseconds(moment),
                    actor_id=None,
                    actor="bench",
                    action="search.submitted",
                    object_type="search",
                    object_id=str(seq),
                    data_text=f'{{"n": {seq}}}',
                )
                mac = event_mac(key, content)
                digest = event_hash(prev_hash=prev, seq=seq, mac=mac, content=content)
                copy.write_row(
                    (
                        agency_id,
                        content.uid,
                        seq,
                        moment,
                        None,
                        "bench",
                        content.action,
                        "search",
                        content.object_id,
                        content.data_text,
                        mac,
                        prev,
                        digest,
                    )
                )
                prev = digest
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_chain_append")


def measured(run: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    with PeakMemory() as memory:
        began = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - began
    return result, {"seconds": round(seconds, 2), **memory.figures()}


def export_measure(agency_id: str, user: Any, events: int, out_dir: Path) -> dict[str, Any]:
    from django.db import connection

    from oversight.exports import audit_export_build, export_directory, export_zip_path
    from oversight.models import AuditExport
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        export = AuditExport.objects.create(
            agency_id=agency_id,
            requested_by=user,
            scope_key=uuid.uuid4().hex,
            scope={"agencies": [agency_id], "since": None, "until": None, "event_types": []},
            withhold_names=False,
        )
    _, service = measured(lambda: audit_export_build(agency_id=agency_id, export_id=export.id))
    service["events_per_second"] = round(events / service["seconds"])
    directory = export_directory(export)
    sizes = {p.name: p.stat().st_size for p in directory.iterdir()}
    sizes["zip"] = export_zip_path(export).stat().st_size

    def dump() -> None:
        with (
            agency_transaction(agency_id),
            connection.cursor() as cursor,
            (out_dir / f"{agency_id}.copy").open("wb") as sink,
            cursor.cursor.copy(
                "COPY (SELECT * FROM audit_auditevent WHERE agency_id = %s ORDER BY seq) TO STDOUT",
                (agency_id,),
            ) as copy,
        ):
            for block in copy:
                sink.write(block)

    _, baseline = measured(dump)
    baseline["events_per_second"] = round(events / baseline["seconds"])
    return {
        "events": events,
        "export": service,
        "baseline_copy_to_file": baseline,
        "bytes": sizes,
        "path": directory,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    scratch = Path(tempfile.mkdtemp(prefix="probity-bench-export-"))
    os.environ["AUDIT_EXPORT_DIR"] = str(scratch / "exports")
    info = django_start()
    results: dict[str, Any] = {}
    try:
        with bench_database():
            from audit.keys import checkpoint_public_key
            from tenants.services import agency_create, user_create
            from verifier.probity_verify import verify_export

            for label, count in (("small", args.small), ("large", args.events)):
                agency_id = f"bench_{label}"
                agency = agency_create(
                    agency_id=agency_id, name=agency_id, kind="municipal", jurisdiction="CA-ON"
                )
                user = user_create(
                    agency=agency, username=f"{agency_id}_co", roles=["compliance_officer"]
                )
                progress(f"loading {count} events into {agency_id}")
                began = time.perf_counter()
                events_load(agency_id, count)
                load_seconds = round(time.perf_counter() - began, 1)
                progress(f"exporting {agency_id}")
                results[label] = export_measure(agency_id, user, count + 2, scratch)
                results[label]["load_seconds"] = load_seconds
            progress("verifying the large export with the standalone verifier")
            report, verify = measured(
                lambda: verify_export(results["large"]["path"], checkpoint_public_key())
            )
            verify["ok"] = report.ok
            verify["events_per_second"] = round(results["large"]["events"] / verify["seconds"])
            for result in results.values():
                result["path"] = str(result["path"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    json_emit(
        out,
        {
            "benchmark": "audit_export",
            **info,
            **results,
            "standalone_verify_large": verify,
            "environment": environment(load_at_start),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
