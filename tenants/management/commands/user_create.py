"""Create a user of an agency; with --token, print a new API token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tenants.models import Role, TokenIssuer
from tenants.selectors import agency_get
from tenants.services import token_issue, training_record_add, user_create


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=Role.values,
            help="repeat for several roles",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)
        parser.add_argument("--token", action="store_true", help="print a new API token")
        parser.add_argument(
            "--mfa-verified",
            action="store_true",
            help="you checked the user's second factor in person before issuing "
            "the token (needs DATABASE_OWNER_URL; recorded as operator_mfa_check)",
        )
        parser.add_argument(
            "--token-days",
            type=int,
            default=None,
            help="days until the token expires (default API_TOKEN_DEFAULT_DAYS)",
        )
        parser.add_argument(
            "--training-days",
            type=int,
            default=0,
            help="record FR training valid for this many days",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        try:
            user = user_create(
                agency=agency,
                username=o["username"],
                roles=o["role"],
                password=o["password"],
                email=o["email"],
                mfa_enabled=o["mfa_verified"],
                actor="cli",
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        if o["training_days"] > 0:
            now = timezone.now()
            training_record_add(
                user=user,
                course="Facial recognition: accuracy, bias and law",
                completed_at=now,
                expires_at=now + timedelta(days=o["training_days"]),
                actor="cli",
            )
        self.stderr.write(f"user {user.username} created in {agency.id}")
        if o["token"]:
            issued_via = (
                TokenIssuer.OPERATOR_MFA_CHECK if o["mfa_verified"] else TokenIssuer.OPERATOR
            )
            try:
                key = token_issue(
                    user=user,
                    label="cli",
                    issued_via=issued_via,
                    expires_in_days=o["token_days"],
                    actor="cli",
                )
            except ValidationError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(key)
