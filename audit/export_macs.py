"""Check the MAC of every disclosed record of a signed export (on site: it needs the key)."""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from audit.chain import EventContent, event_mac
from audit.keys import audit_mac_key
from verifier.probity_verify import EVENTS_JSONL, ExportFiles

MAC_MISMATCH = "MAC mismatch: not written by the service"


def export_macs_verify(export: Path) -> str:
    """Return where the first record with a wrong MAC is, or '' when every one is right."""
    key = audit_mac_key()
    files = ExportFiles(export)
    try:
        with files.open(EVENTS_JSONL) as lines:
            for line in lines:
                record = json.loads(line)
                if "withheld" in record:
                    continue
                content = EventContent(
                    agency_id=record["agency_id"],
                    uid=record["uid"],
                    occurred_at_us=int(record["occurred_at_us"]),
                    actor_id=record["actor_id"],
                    actor=record["actor"],
                    action=record["action"],
                    object_type=record["object_type"],
                    object_id=record["object_id"],
                    data_text=record["data"],
                )
                if not hmac.compare_digest(event_mac(key, content), record["mac"]):
                    return f"agency {record['agency_id']} seq {record['seq']}: {MAC_MISMATCH}"
    finally:
        files.close()
    return ""
