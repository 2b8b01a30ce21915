"""Record the legal events of a CSV file from a records system: every row, or none.

Columns: subject_ref, kind, event_date (YYYY-MM-DD), reference; optional note and gallery.
Every row is checked first; one bad row and nothing is written (exit status 1). Subjects due at
once are purged in the same transaction, by ``system``, each with a deletion certificate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.legal_events import legal_events_import
from tenants.errors import ApiError
from tenants.selectors import agency_get


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--agency", required=True)
        parser.add_argument(
            "--gallery",
            default="",
            help="the gallery of rows that name none (needed when several "
            "galleries hold a reference)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **o: Any) -> None:
        if agency_get(agency_id=o["agency"]) is None:
            raise CommandError("no such agency")
        try:
            content = o["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {o['file']}: {exc.strerror}") from exc
        try:
            report = legal_events_import(
                agency_id=o["agency"], content=content, gallery=o["gallery"]
            )
        except ApiError as exc:
            raise CommandError(f"{exc.error_code}: {exc.message}") from exc
        if o["json"]:
            self.stdout.write(json.dumps({"applied": report.applied, "rows": report.rows}))
        else:
            for row in report.rows:
                detail = row.get("code", "") and f" {row['code']}: {row['message']}"
                self.stdout.write(
                    f"line {row['row']}: {row['subject_ref']} {row['status']}{detail}"
                )
        if not report.applied:
            raise CommandError("bad rows: nothing was written")
