"""Create a gallery of an agency with its legal basis."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.galleries import gallery_create
from matching.models import LegalBasis
from tenants.selectors import agency_get


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True)
        parser.add_argument("--id", required=True, help="gallery slug, unique in the agency")
        parser.add_argument("--name", default="")
        parser.add_argument("--legal-basis", required=True, choices=LegalBasis.values)
        youth = parser.add_mutually_exclusive_group(required=True)
        youth.add_argument("--contains-youth-records", action="store_true")
        youth.add_argument("--no-youth-records", action="store_true")
        parser.add_argument("--ycja-access-period-enforced", action="store_true")
        parser.add_argument("--consent-express", action="store_true")
        parser.add_argument("--cai-disclosure-filed", action="store_true")
        parser.add_argument("--authorized-case-number", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        agency = agency_get(agency_id=o["agency"])
        if agency is None:
            raise CommandError(f"no agency {o['agency']!r}")
        try:
            gallery = gallery_create(
                agency=agency,
                slug=o["id"],
                name=o["name"] or o["id"],
                legal_basis=o["legal_basis"],
                contains_youth_records=o["contains_youth_records"],
                ycja_access_period_enforced=o["ycja_access_period_enforced"],
                consent_express=o["consent_express"],
                cai_disclosure_filed=o["cai_disclosure_filed"],
                authorized_case_number=o["authorized_case_number"],
                actor="cli",
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"gallery {agency.id}/{gallery.slug} created")
