"""List an agency's API tokens (prefix, user, how issued, expiry, status; never keys)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.selectors import agency_get, token_list
from tenants.serializers import token_status


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        for token in token_list(agency=agency):
            self.stdout.write(
                f"{token.pk}\t{token.prefix}\t{token.user.username}\t{token.issued_via}\t"
                f"{token.expires_at.isoformat()}\t{token_status(token)}"
            )
