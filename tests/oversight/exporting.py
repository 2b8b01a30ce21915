"""Helpers for export tests: request one and wait, run both verifiers, forge a re-signed copy."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from audit.keys import checkpoint_public_key, checkpoint_signing_key, public_key_pem
from tests.conftest import wait_for
from verifier.probity_verify import (
    CSV_COLUMNS,
    EVENTS_CSV,
    EVENTS_JSONL,
    MANIFEST,
    SIGNATURE,
    record_hash,
)

STANDALONE = Path(settings.BASE_DIR) / "verifier" / "probity_verify.py"


def export_finished(client: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    """Request an export over the API and wait until it is done; return its final state."""
    response = client.post("/api/v1/audit/exports", body, format="json")
    assert response.status_code == 202, response.content
    location = response["Location"]

    def done() -> dict[str, Any] | None:
        state: dict[str, Any] = client.get(location).json()
        assert state["status"] != "failed", state
        return state if state["status"] == "done" else None

    result: dict[str, Any] = wait_for(done, timeout=120)
    return result


def public_key_file(directory: Path) -> Path:
    path = directory / "probity-audit.pub.pem"
    path.write_text(public_key_pem(checkpoint_public_key()))
    return path


def standalone(export: Path, key: Path, previous: Path | None = None) -> tuple[int, str]:
    """Run the standalone verifier as a separate process, as an oversight body would."""
    command = [sys.executable, str(STANDALONE), str(export), "--public-key", str(key)]
    if previous is not None:
        command += ["--previous", str(previous)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    return done.returncode, done.stdout + done.stderr


def on_site(export: Path, key: Path, previous: Path | None = None) -> tuple[int, str]:
    """Run ``manage.py audit_verify EXPORT``."""
    out = io.StringIO()
    options: dict[str, Any] = {"public_key": key, "stdout": out}
    if previous is not None:
        options["previous"] = previous
    try:
        call_command("audit_verify", str(export), **options)
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)
    return 0, out.getvalue()


VERIFIERS: dict[str, Callable[..., tuple[int, str]]] = {
    "standalone": standalone,
    "audit_verify": on_site,
}


def lines_of(export: Path) -> list[dict[str, Any]]:
    with (export / EVENTS_JSONL).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def lines_write(export: Path, records: list[dict[str, Any]]) -> None:
    with (export / EVENTS_JSONL).open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def copy(export: Path, target: Path) -> Path:
    shutil.copytree(export, target)
    return target


def forge(export: Path, target: Path, mutate: Callable[[list[dict[str, Any]]], None]) -> Path:
    """Copy ``export``, change its records, re-chain, re-count, re-hash and re-sign it.

    This is what someone holding the service's signing key and database could produce: the
    copy is self-consistent, so only a previous export (or a checkpoint) can show it.
    """
    from oversight.exports import _CsvLine, _HashingWriter

    copy(export, target)
    records = lines_of(target)
    mutate(records)
    manifest = json.loads((target / MANIFEST).read_bytes())
    previous: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {
        a: {"records": 0, "withheld": 0} for a in manifest["scope"]["agencies"]
    }
    for record in records:
        agency = record["agency_id"]
        if agency in previous:
            record["prev_hash"] = previous[agency]
        if "withheld" not in record:
            record["hash"] = record_hash(record)
        previous[agency] = record["hash"]
        counts[agency]["records"] += 1
        counts[agency]["withheld"] += "withheld" in record
        manifest["chains"][agency]["end"] = {"seq": record["seq"], "hash": record["hash"]}
        manifest["chains"][agency]["head"] = {"seq": record["seq"], "hash": record["hash"]}
    lines_write(target, records)
    to_csv, table = _CsvLine(), _HashingWriter(target / EVENTS_CSV)
    table.write(to_csv(list(CSV_COLUMNS)))
    for r in records:
        table.write(
            to_csv(
                [r["agency_id"], r["seq"], "", "", "", "", "", "", "x", r["prev_hash"], r["hash"]]
            )
        )
    manifest["files"][EVENTS_CSV] = table.close()
    manifest["files"][EVENTS_JSONL] = {
        "sha256": hashlib.sha256((target / EVENTS_JSONL).read_bytes()).hexdigest(),
        "bytes": (target / EVENTS_JSONL).stat().st_size,
    }
    manifest["counts"] = counts
    manifest["checkpoints"] = dict.fromkeys(manifest["scope"]["agencies"])
    raw = json.dumps(manifest, sort_keys=True, indent=1).encode() + b"\n"
    (target / MANIFEST).write_bytes(raw)
    (target / SIGNATURE).write_text(checkpoint_signing_key().sign(raw).hex() + "\n")
    return target


def csv_rows(export: Path) -> list[list[str]]:
    with (export / EVENTS_CSV).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))
