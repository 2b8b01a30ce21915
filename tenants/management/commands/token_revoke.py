"""Revoke an agency's API token by id (see token_list), or rotate it with --rotate."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.selectors import agency_get
from tenants.services import token_revoke, token_rotate


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--id", type=int, required=True)
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="issue a replacement key (printed) as the old one ends",
        )
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        if o["rotate"]:
            try:
                rotated = token_rotate(
                    agency=agency, token_id=o["id"], actor="cli", expires_in_days=o["days"]
                )
            except ValidationError as exc:
                raise CommandError(str(exc)) from exc
            if rotated is None:
                raise CommandError(f"no active token {o['id']} in {agency.id}")
            self.stdout.write(rotated[1])
            return
        if not token_revoke(agency=agency, token_id=o["id"], actor="cli"):
            raise CommandError(f"no active token {o['id']} in {agency.id}")
        self.stderr.write(f"token {o['id']} revoked")
