"""Verify every agency's audit chain (or one): links, hashes, MACs and signed checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.checkpoints import checkpoint_agencies
from audit.verification import audit_chain_verify


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", help="Verify this agency's chain only.")
        parser.add_argument(
            "--public-key",
            type=Path,
            help="PEM public key the checkpoints must verify against (default: the signer's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tenants.models import Agency

        public_key = None
        if options["public_key"]:
            loaded = serialization.load_pem_public_key(options["public_key"].read_bytes())
            if not isinstance(loaded, Ed25519PublicKey):
                raise CommandError("--public-key: not an Ed25519 public key")
            public_key = loaded
        if options["agency"]:
            agencies = [options["agency"]]
        else:
            agencies = sorted(
                set(Agency.objects.values_list("id", flat=True)) | checkpoint_agencies()
            )
        failures = []
        for agency_id in agencies:
            report = audit_chain_verify(agency_id=agency_id, public_key=public_key)
            if report.ok:
                self.stdout.write(
                    f"{agency_id}: ok, {report.events} events, {report.checkpoints} checkpoints"
                )
            else:
                line = f"{agency_id}: first bad event seq {report.first_bad_seq}: {report.problem}"
                self.stdout.write(line)
                failures.append(line)
        if failures:
            raise CommandError(f"{len(failures)} of {len(agencies)} chains failed verification")
