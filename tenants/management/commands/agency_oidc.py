"""Configure an agency's OpenID Connect provider, show it, remove it, or unlink a user from it.

  agency_oidc set AGENCY --name NAME --issuer URL --client-id ID --client-secret-file PATH
                  [--mfa-acr VALUE ...]
  agency_oidc show [AGENCY]
  agency_oidc unlink AGENCY --username USERNAME
  agency_oidc remove AGENCY

Needs DATABASE_OWNER_URL (the configuration is an operator's). The client secret is read from
a file (or "-" for standard input), never from the command line, and is never printed; every
change is recorded in the agency's audit chain.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.database import OWNER_ALIAS
from tenants.agency_oidc import (
    agency_oidc_list,
    agency_oidc_remove,
    agency_oidc_set,
    agency_oidc_unlink,
)


def _secret(path: str) -> str:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return text.strip()


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        set_ = sub.add_parser("set", help="configure or replace the agency's provider")
        set_.add_argument("agency")
        set_.add_argument("--name", required=True, help="shown as 'Sign in with NAME'")
        set_.add_argument("--issuer", required=True, help="the provider's issuer URL")
        set_.add_argument("--client-id", required=True)
        set_.add_argument(
            "--client-secret-file", required=True, help="a file holding the secret, or -"
        )
        set_.add_argument(
            "--mfa-acr",
            action="append",
            default=[],
            help="an acr value that attests a second factor (repeat for several)",
        )
        show = sub.add_parser("show", help="print the configured providers (no secret)")
        show.add_argument("agency", nargs="?")
        unlink = sub.add_parser("unlink", help="remove a user's link to the provider")
        unlink.add_argument("agency")
        unlink.add_argument("--username", required=True)
        remove = sub.add_parser("remove", help="remove the provider and every link to it")
        remove.add_argument("agency")

    def handle(self, *args: Any, **o: Any) -> None:
        action = o["action"]
        if action == "show":
            self._show(o.get("agency"))
            return
        if OWNER_ALIAS not in settings.DATABASES:
            raise CommandError("agency_oidc needs the owner's connection: set DATABASE_OWNER_URL")
        agency = o["agency"]
        try:
            if action == "set":
                try:
                    secret = _secret(o["client_secret_file"])
                except OSError as exc:
                    raise CommandError(f"cannot read the client secret: {exc.strerror}") from exc
                provider = agency_oidc_set(
                    agency_id=agency,
                    name=o["name"],
                    issuer=o["issuer"],
                    client_id=o["client_id"],
                    client_secret=secret,
                    mfa_acr_values=o["mfa_acr"],
                    actor="cli",
                )
                self.stderr.write(f"provider of {provider.agency_id} set: {provider.issuer}")
            elif action == "unlink":
                if not agency_oidc_unlink(agency_id=agency, username=o["username"], actor="cli"):
                    raise CommandError(f"no link of {o['username']!r} in {agency}")
                self.stderr.write(f"user {o['username']} unlinked from {agency}'s provider")
            elif action == "remove":
                if not agency_oidc_remove(agency_id=agency, actor="cli"):
                    raise CommandError(f"{agency} has no provider")
                self.stderr.write(f"provider of {agency} removed")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _show(self, agency: str | None) -> None:
        providers = [p for p in agency_oidc_list() if agency in (None, p.agency_id)]
        if agency is not None and not providers:
            raise CommandError(f"{agency} has no provider")
        for p in providers:
            acr = ",".join(p.mfa_acr_values) or "-"
            self.stdout.write(
                f"{p.agency_id}\t{p.name}\t{p.issuer}\tclient_id={p.client_id}\t"
                f"client_secret=(set)\tmfa_acr={acr}"
            )
