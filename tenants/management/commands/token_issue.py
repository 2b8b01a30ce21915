"""Issue an API token for a user and print it (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.context import agency_transaction
from tenants.models import TokenIssuer, User
from tenants.selectors import agency_get
from tenants.services import token_issue


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--label", default="cli")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="days until it expires (default API_TOKEN_DEFAULT_DAYS)",
        )
        parser.add_argument(
            "--mfa-verified",
            action="store_true",
            help="you checked the user's second factor in person first",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        with agency_transaction(agency.id):
            user = User.objects.filter(agency_id=agency.id, username=o["username"]).first()
        if user is None:
            raise CommandError(f"no user {o['username']!r} in {agency.id}")
        issued_via = TokenIssuer.OPERATOR_MFA_CHECK if o["mfa_verified"] else TokenIssuer.OPERATOR
        try:
            key = token_issue(
                user=user,
                issued_via=issued_via,
                label=o["label"],
                expires_in_days=o["days"],
                actor="cli",
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
