"""Enroll DIR/<subject>/<images> into a gallery, as a batch with progress."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.models import SeveralFaces
from matching.selectors import enrollment_batch_get, gallery_get
from tenants.selectors import agency_get

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def directory_items(root: Path) -> list[UploadItem]:
    """Return one upload per image file in ``root/<subject>/``."""
    items = []
    for subject_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for image in sorted(subject_dir.iterdir()):
            if image.suffix.lower() in IMAGE_SUFFIXES and image.is_file():
                items.append(
                    UploadItem(
                        subject_ref=subject_dir.name,
                        filename=image.name,
                        content=image.read_bytes(),
                        display_name=subject_dir.name.replace("_", " "),
                    )
                )
    return items


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--gallery", required=True)
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--inline",
            action="store_true",
            help="process in this process instead of a Celery worker",
        )
        parser.add_argument("--no-wait", action="store_true", help="queue and return")
        parser.add_argument("--json", action="store_true", help="print the batch result as JSON")
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
        root: Path = o["directory"]
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory")
        items = directory_items(root)
        if not items:
            raise CommandError(f"no images under {root}/<subject>/")
        batch = enrollment_batch_create(
            gallery=gallery,
            items=items,
            actor="cli",
            enqueue=not o["inline"],
            several_faces=o["several_faces"],
        )
        self.stderr.write(f"batch {batch.id}: {len(items)} photos queued")
        if o["inline"]:
            enrollment_batch_process(agency_id=agency.id, batch_id=batch.id)
        elif o["no_wait"]:
            return
        while True:
            current = enrollment_batch_get(agency=agency, batch_id=batch.id)
            assert current is not None  # noqa: S101
            self.stderr.write(f"  {current.status}: {current.processed}/{current.total}")
            if current.status in ("done", "failed"):
                break
            time.sleep(1)
        result = {
            "batch": str(current.id),
            "status": current.status,
            "enrolled": current.enrolled,
            "rejected": current.rejected,
            "skipped": current.skipped,
            "held": current.held,
            "results": current.results,
        }
        if o["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"enrolled {current.enrolled}, rejected {current.rejected}, "
                f"skipped {current.skipped}, held {current.held}"
            )
            for row in current.results:
                if row["status"] != "enrolled":
                    self.stdout.write(
                        f"  {row['subject']}/{row['file']}: {row['status']} ({row['reason']})"
                    )
