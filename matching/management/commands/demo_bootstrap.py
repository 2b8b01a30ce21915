"""Create the demo (idempotent) and print its agencies, users and API tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from matching.demo import demo_bootstrap, demo_write


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="write the JSON (tokens and passwords) to this file, mode 0600",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        demo = demo_bootstrap(url=o["url"])
        if o["output"] is not None:
            demo_write(demo, o["output"])
            return
        if o["json"]:
            self.stdout.write(json.dumps(demo, indent=2))
            return
        for user in demo["users"]:
            self.stdout.write(f"{user['agency']:6} {user['username']:24} {user['token']}")
