"""Import an archive (DIR/<subject>/<images>, or a manifest of precomputed embeddings)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.gallery_import import (
    GalleryImportError,
    gallery_import_create,
    gallery_import_process,
)
from matching.models import GalleryImport, SeveralFaces
from matching.selectors import gallery_get
from tenants.context import agency_transaction
from tenants.selectors import agency_get


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--gallery", required=True)
        parser.add_argument("source", type=Path, help="a directory or a JSON-lines manifest")
        parser.add_argument(
            "--resume",
            metavar="IMPORT_ID",
            help="continue an interrupted import instead of starting one",
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="process in this process instead of a Celery worker",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--several-faces",
            choices=SeveralFaces.values,
            default=SeveralFaces.HOLD,
            help="a photo with several faces: refuse it, hold it for an agency admin to pick "
            "the face (default), or enroll its largest face (flagged and audited)",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        gallery = gallery_get(agency=agency, slug=o["gallery"]) if agency else None
        if agency is None or gallery is None:
            raise CommandError("no such agency or gallery")
        if o["resume"]:
            with agency_transaction(agency.id):
                record = GalleryImport.objects.filter(id=o["resume"], gallery=gallery).first()
            if record is None:
                raise CommandError("no such import in this gallery")
        else:
            try:
                record = gallery_import_create(
                    gallery=gallery,
                    source=o["source"],
                    several_faces=o["several_faces"],
                    actor="cli",
                    enqueue=not o["inline"],
                )
            except GalleryImportError as exc:
                raise CommandError(f"{exc.code}: {exc}") from exc
        self.stderr.write(
            f"import {record.id}: {record.subjects_total} subjects, {record.photos_total} photos"
        )
        if o["inline"]:
            gallery_import_process(agency_id=agency.id, import_id=record.id)
        elif o["resume"]:
            from matching.tasks import gallery_import_run

            gallery_import_run.delay(str(record.id), agency.id)
        while True:
            with agency_transaction(agency.id):
                record = GalleryImport.objects.get(id=record.id)
            self.stderr.write(f"  {record.status}: {record.subjects_done}/{record.subjects_total}")
            if record.status in ("done", "failed") or o["inline"]:
                break
            time.sleep(1)
        result = {
            "import": str(record.id),
            "status": record.status,
            "error": record.error,
            "enrolled": record.enrolled,
            "rejected": record.rejected,
            "skipped": record.skipped,
            "held": record.held,
        }
        self.stdout.write(
            json.dumps(result) if o["json"] else " ".join(f"{k} {v}" for k, v in result.items())
        )
