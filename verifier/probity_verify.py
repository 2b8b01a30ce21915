#!/usr/bin/env python3
"""Verify a signed audit export offline: ``python3 probity_verify.py EXPORT --public-key KEY.pem``.

Needs only Python 3.10+, the ``cryptography`` package, the export (a directory or its .zip) and
the service's Ed25519 public key; never the service or its database. It checks, and prints as it
goes: the manifest's detached signature; every record's place in its agency's chain (numbering,
link to the previous record, and the record's hash recomputed from its content); the latest
signed checkpoint; each file's SHA-256 and size against the manifest; and, given
``--previous``, that this export extends the previous one of the same scope. It stops at the
first failure and exits 1.

The hashed bytes: every field is a netstring (its UTF-8 length in decimal, ``:``, the text,
``,``); a record's hash is SHA-256 over the netstrings of ``probity-audit-v1``, prev_hash, seq,
mac, agency_id, uid, occurred_at_us, actor_id (empty when none), actor, action, object_type,
object_id and data (the JSON text exactly as exported). A checkpoint signature covers the
netstrings of ``probity-audit-checkpoint-v1``, agency_id, seq, hash and signed_at_us.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "probity-audit-export-v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
EVENTS_JSONL = "events.jsonl"
EVENTS_CSV = "events.csv"
CSV_COLUMNS = (
    "agency_id",
    "seq",
    "occurred_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "data",
    "withheld",
    "prev_hash",
    "hash",
)
HASH_LABEL = "probity-audit-v1"
CHECKPOINT_LABEL = "probity-audit-checkpoint-v1"
GENESIS_HASH = "0" * 64
_CHUNK = 1 << 16

# The first failure's kind, stable for scripts and tests.
BAD_SIGNATURE = "signature invalid"
WRONG_KEY = "signed by another key"
BAD_MANIFEST = "manifest unreadable"
RECORD_CHANGED = "record changed (its hash does not match its content)"
RECORD_REMOVED = "record missing (a gap in the numbering)"
RECORD_INSERTED = "record inserted or reordered (numbering goes back)"
CHAIN_BROKEN = "chain broken (a record does not link to the one before it)"
RECORD_MALFORMED = "record unreadable"
COUNT_MISMATCH = "record count differs from the manifest"
END_MISMATCH = "chain end differs from the manifest"
CHECKPOINT_BAD = "checkpoint signature invalid"
CHECKPOINT_MISMATCH = "chain differs from the signed checkpoint"
CHECKPOINT_BEYOND = "chain ends before the signed checkpoint"
FILE_MISMATCH = "file does not match the manifest"
CSV_MISMATCH = "CSV differs from the JSON Lines records"
NOT_PREVIOUS = "previous export is not the one this export names"
SCOPE_DIFFERS = "previous export has another scope"
NOT_EXTENDING = "does not extend the previous export"


class VerificationError(Exception):
    """The first check that failed: its kind and where."""

    def __init__(self, kind: str, where: str) -> None:
        super().__init__(f"{where}: {kind}")
        self.kind = kind
        self.where = where


@dataclass
class Report:
    """What was checked, in order, and the first failure if any."""

    checked: list[str] = field(default_factory=list)
    failure: VerificationError | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def netstrings(fields: list[str]) -> bytes:
    out = bytearray()
    for value in fields:
        raw = value.encode()
        out += f"{len(raw)}:".encode() + raw + b","
    return bytes(out)


def record_hash(record: dict[str, Any]) -> str:
    """Recompute a full record's chain hash from its content."""
    actor_id = record["actor_id"]
    message = netstrings(
        [
            HASH_LABEL,
            record["prev_hash"],
            str(record["seq"]),
            record["mac"],
            record["agency_id"],
            record["uid"],
            str(record["occurred_at_us"]),
            "" if actor_id is None else str(actor_id),
            record["actor"],
            record["action"],
            record["object_type"],
            record["object_id"],
            record["data"],
        ]
    )
    return hashlib.sha256(message).hexdigest()


def checkpoint_valid(checkpoint: dict[str, Any], key: Ed25519PublicKey) -> bool:
    message = netstrings(
        [
            CHECKPOINT_LABEL,
            checkpoint["agency_id"],
            str(checkpoint["seq"]),
            checkpoint["hash"],
            str(checkpoint["signed_at_us"]),
        ]
    )
    try:
        key.verify(bytes.fromhex(checkpoint["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_load(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class ExportFiles:
    """An export's files, from a directory or a .zip, read as streams."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path) if path.is_file() else None

    def open(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


class _Digest:
    """Pass lines through while counting and hashing the bytes they came from."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def lines(self) -> Iterator[bytes]:
        for line in self.raw:
            self.sha.update(line)
            self.size += len(line)
            yield line


def _records(
    files: ExportFiles, name: str, sink: Callable[[_Digest], None] | None = None
) -> Iterator[dict[str, Any]]:
    with files.open(name) as raw:
        digest = _Digest(raw)
        for number, line in enumerate(digest.lines(), start=1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise TypeError
            except (ValueError, TypeError):
                raise VerificationError(RECORD_MALFORMED, f"{name} line {number}") from None
            yield record
        if sink is not None:
            sink(digest)


def _check_file(name: str, expected: dict[str, Any], sha: str, size: int) -> None:
    if not hmac.compare_digest(sha, str(expected.get("sha256", ""))) or size != expected.get(
        "bytes"
    ):
        raise VerificationError(FILE_MISMATCH, name)


def _file_digest(files: ExportFiles, name: str) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with files.open(name) as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


class _AgencyChain:
    """The running check of one agency's records."""

    def __init__(self, agency_id: str, chain: dict[str, Any], checkpoint: dict[str, Any] | None):
        self.agency_id = agency_id
        self.chain = chain
        self.checkpoint = checkpoint
        self.seq = int(chain["start"]["seq"]) - 1
        self.hash = str(chain["start"]["prev_hash"])
        self.records = 0
        self.withheld = 0
        self.checkpoint_seen = False

    def take(self, record: dict[str, Any]) -> None:
        where = f"agency {self.agency_id} seq {record.get('seq')}"
        try:
            seq = int(record["seq"])
            prev_hash, digest = str(record["prev_hash"]), str(record["hash"])
        except (KeyError, TypeError, ValueError):
            raise VerificationError(RECORD_MALFORMED, where) from None
        if seq > self.seq + 1:
            raise VerificationError(RECORD_REMOVED, f"agency {self.agency_id} seq {self.seq + 1}")
        if seq <= self.seq:
            raise VerificationError(RECORD_INSERTED, where)
        if not hmac.compare_digest(prev_hash, self.hash):
            raise VerificationError(CHAIN_BROKEN, where)
        if "withheld" in record:
            self.withheld += 1
        else:
            try:
                recomputed = record_hash(record)
            except (KeyError, TypeError, AttributeError):
                raise VerificationError(RECORD_MALFORMED, where) from None
            if not hmac.compare_digest(recomputed, digest):
                raise VerificationError(RECORD_CHANGED, where)
        if self.checkpoint is not None and seq == int(self.checkpoint["seq"]):
            if not hmac.compare_digest(digest, str(self.checkpoint["hash"])):
                raise VerificationError(CHECKPOINT_MISMATCH, where)
            self.checkpoint_seen = True
        self.seq, self.hash = seq, digest
        self.records += 1

    def finish(self, counts: dict[str, Any]) -> str:
        where = f"agency {self.agency_id}"
        if self.records != counts.get("records") or self.withheld != counts.get("withheld"):
            raise VerificationError(COUNT_MISMATCH, where)
        end = self.chain["end"]
        if self.seq != int(end["seq"]) or not hmac.compare_digest(self.hash, str(end["hash"])):
            raise VerificationError(END_MISMATCH, where)
        head = self.chain["head"]
        if self.checkpoint is not None and int(self.checkpoint["seq"]) > int(head["seq"]):
            raise VerificationError(CHECKPOINT_BEYOND, where)
        first = int(self.chain["start"]["seq"])
        if self.checkpoint is None:
            note = "no checkpoint yet"
        elif self.checkpoint_seen:
            note = f"checkpoint seq {self.checkpoint['seq']} ok"
        else:
            note = "no checkpoint in range"
        return (
            f"agency {self.agency_id}: {self.records} records ({self.withheld} withheld), "
            f"seq {first}..{self.seq}, chain ok, {note}"
        )


def _manifest(
    files: ExportFiles, key: Ed25519PublicKey, report: Report
) -> tuple[bytes, dict[str, Any]]:
    try:
        raw = files.read(MANIFEST)
        signature = files.read(SIGNATURE)
    except (OSError, KeyError):
        raise VerificationError(BAD_MANIFEST, f"{MANIFEST} or {SIGNATURE} missing") from None
    try:
        key.verify(bytes.fromhex(signature.decode().strip()), raw)
    except (InvalidSignature, ValueError, UnicodeDecodeError):
        raise VerificationError(BAD_SIGNATURE, SIGNATURE) from None
    try:
        manifest = json.loads(raw)
        assert manifest["format"] == FORMAT  # noqa: S101 - reported as unreadable below
    except (ValueError, KeyError, TypeError, AssertionError):
        raise VerificationError(BAD_MANIFEST, MANIFEST) from None
    if manifest.get("key_id") != key_id(key):
        raise VerificationError(WRONG_KEY, MANIFEST)
    report.checked.append(f"signature: ok (Ed25519, key id {manifest['key_id']})")
    return raw, manifest


def _verify_one(
    files: ExportFiles, key: Ed25519PublicKey, report: Report
) -> tuple[bytes, dict[str, Any]]:
    raw, manifest = _manifest(files, key, report)
    agencies: list[str] = list(manifest["scope"]["agencies"])
    checkpoints = manifest.get("checkpoints", {})
    for name in agencies:
        checkpoint = checkpoints.get(name)
        if checkpoint is not None and not checkpoint_valid(checkpoint, key):
            raise VerificationError(CHECKPOINT_BAD, f"agency {name}")
    digests: dict[str, tuple[str, int]] = {}

    def keep(digest: _Digest) -> None:
        digests[EVENTS_JSONL] = (digest.sha.hexdigest(), digest.size)

    current: _AgencyChain | None = None
    remaining = list(agencies)
    with files.open(EVENTS_CSV) as csv_raw:
        rows = csv.reader(io.TextIOWrapper(csv_raw, encoding="utf-8", newline=""))
        if tuple(next(rows, ())) != CSV_COLUMNS:
            raise VerificationError(CSV_MISMATCH, f"{EVENTS_CSV} header")
        for record in _records(files, EVENTS_JSONL, keep):
            agency_id = record.get("agency_id")
            if current is None or agency_id != current.agency_id:
                if current is not None:
                    report.checked.append(current.finish(manifest["counts"][current.agency_id]))
                if not remaining or agency_id != remaining[0]:
                    raise VerificationError(RECORD_INSERTED, f"agency {agency_id} out of order")
                remaining.pop(0)
                current = _AgencyChain(
                    str(agency_id), manifest["chains"][agency_id], checkpoints.get(agency_id)
                )
            current.take(record)
            row = next(rows, None)
            if (
                row is None
                or row[0] != agency_id
                or row[1] != str(record["seq"])
                or row[-1] != record["hash"]
            ):
                raise VerificationError(CSV_MISMATCH, f"agency {agency_id} seq {record['seq']}")
        if next(rows, None) is not None:
            raise VerificationError(CSV_MISMATCH, f"{EVENTS_CSV}: rows beyond the records")
    if current is not None:
        report.checked.append(current.finish(manifest["counts"][current.agency_id]))
    for rest in remaining:
        empty = _AgencyChain(rest, manifest["chains"][rest], checkpoints.get(rest))
        report.checked.append(empty.finish(manifest["counts"][rest]))
    digests[EVENTS_CSV] = _file_digest(files, EVENTS_CSV)
    for name in (EVENTS_JSONL, EVENTS_CSV):
        _check_file(name, manifest["files"].get(name, {}), *digests[name])
        report.checked.append(
            f"{name}: sha256 {digests[name][0][:16]}… and size match the manifest"
        )
    return raw, manifest


def _extends(
    files: ExportFiles,
    previous: ExportFiles,
    manifest: dict[str, Any],
    previous_raw: bytes,
    previous_manifest: dict[str, Any],
) -> str:
    named = manifest.get("previous") or {}
    if named.get("export_id") != previous_manifest["export_id"] or not hmac.compare_digest(
        str(named.get("manifest_sha256", "")), hashlib.sha256(previous_raw).hexdigest()
    ):
        raise VerificationError(NOT_PREVIOUS, MANIFEST)
    if manifest["scope"] != previous_manifest["scope"]:
        raise VerificationError(SCOPE_DIFFERS, MANIFEST)
    newer = _records(files, EVENTS_JSONL)
    candidate = next(newer, None)
    for old in _records(previous, EVENTS_JSONL):
        key = (old["agency_id"], old["seq"])
        while (
            candidate is not None
            and (candidate["agency_id"], candidate["seq"]) != key
            and not (candidate["agency_id"] == old["agency_id"] and candidate["seq"] > old["seq"])
        ):
            candidate = next(newer, None)
        where = f"agency {old['agency_id']} seq {old['seq']}"
        if candidate is None or (candidate["agency_id"], candidate["seq"]) != key:
            raise VerificationError(NOT_EXTENDING + ": a record of it is missing", where)
        if candidate["hash"] != old["hash"]:
            raise VerificationError(NOT_EXTENDING + ": a record of it was rewritten", where)
    for agency_id, chain in previous_manifest["chains"].items():
        if int(manifest["chains"][agency_id]["head"]["seq"]) < int(chain["head"]["seq"]):
            raise VerificationError(NOT_EXTENDING + ": its chain head went back", agency_id)
    return f"extends previous export {previous_manifest['export_id']}: ok"


def verify_export(
    export: Path, public_key: Ed25519PublicKey, previous: Path | None = None
) -> Report:
    """Check ``export`` (and that it extends ``previous``); return what passed and the failure."""
    report = Report()
    files = ExportFiles(export)
    older = ExportFiles(previous) if previous is not None else None
    try:
        _, manifest = _verify_one(files, public_key, report)
        if older is not None:
            older_report = Report()
            previous_raw, previous_manifest = _verify_one(older, public_key, older_report)
            report.checked.append(f"previous export {previous_manifest['export_id']}: verified")
            report.checked.append(_extends(files, older, manifest, previous_raw, previous_manifest))
        elif manifest.get("previous"):
            report.checked.append(
                f"names previous export {manifest['previous']['export_id']} "
                "(give it with --previous to check the extension)"
            )
    except VerificationError as failure:
        report.failure = failure
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile, OSError) as exc:
        report.failure = VerificationError(BAD_MANIFEST, f"{type(exc).__name__}: {exc}")
    finally:
        files.close()
        if older is not None:
            older.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("export", type=Path, help="the export directory or .zip")
    parser.add_argument("--public-key", type=Path, required=True, help="Ed25519 public key, PEM")
    parser.add_argument("--previous", type=Path, help="the previous export of the same scope")
    args = parser.parse_args(argv)
    try:
        key = public_key_load(args.public_key.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"FAIL: --public-key: {exc}")
        return 2
    report = verify_export(args.export, key, args.previous)
    for line in report.checked:
        print(f"ok   {line}")
    if report.failure is not None:
        print(f"FAIL {report.failure}")
        return 1
    print("export verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
