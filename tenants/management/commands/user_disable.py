"""Disable a user of an agency (its tokens stop at once), or enable them again with --enable."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.context import agency_transaction
from tenants.models import User
from tenants.selectors import agency_get
from tenants.services import user_active_set


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--enable", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        with agency_transaction(agency.id):
            user = User.objects.filter(agency_id=agency.id, username=o["username"]).first()
        if (
            user is None
            or user_active_set(agency=agency, user_id=user.pk, active=o["enable"], actor="cli")
            is None
        ):
            raise CommandError(f"no user {o['username']!r} in {agency.id}")
        self.stderr.write(f"user {user.username} {'enabled' if o['enable'] else 'disabled'}")
