"""Create an agency with its own vector partition."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import JURISDICTIONS, AgencyKind
from tenants.services import agency_create


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", required=True, help="slug: lowercase letters, digits, _")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=AgencyKind.values)
        parser.add_argument("--jurisdiction", required=True, choices=JURISDICTIONS)
        parser.add_argument("--municipality", default="")
        parser.add_argument(
            "--service-area",
            nargs="*",
            default=[],
            help="municipalities served (regional services)",
        )
        parser.add_argument("--pia-completed", action="store_true")
        parser.add_argument("--cai-disclosure-filed", action="store_true")
        parser.add_argument("--fr-program-approved", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            agency = agency_create(
                agency_id=o["id"],
                name=o["name"],
                kind=o["kind"],
                jurisdiction=o["jurisdiction"],
                municipality=o["municipality"],
                service_area_municipalities=o["service_area"],
                pia_completed=o["pia_completed"],
                cai_disclosure_filed=o["cai_disclosure_filed"],
                fr_program_approved=o["fr_program_approved"],
                actor="cli",
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"agency {agency.id} created")
