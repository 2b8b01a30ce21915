"""Print the current TOTP code of a demo user, so a newcomer or a browser test can sign in."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.demo import CREDENTIALS
from tenants.models import User
from tenants.second_factor import totp_code, totp_secret


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **o: Any) -> None:
        username = o["username"]
        demo_users = json.loads(CREDENTIALS.read_text()) if CREDENTIALS.exists() else {}
        # Only the demo's own accounts: real staff's codes never leave their authenticator.
        if username not in demo_users:
            raise CommandError(f"{username!r} is not a demo user (see {CREDENTIALS})")
        user = User.objects.filter(username=username).first()
        secret = totp_secret(user=user) if user is not None else None
        if secret is None:
            raise CommandError(f"{username!r} has no TOTP authenticator")
        self.stdout.write(totp_code(secret=secret, at=time.time()))
