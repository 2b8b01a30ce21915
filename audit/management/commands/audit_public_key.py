"""Print the public key that audit checkpoints verify against (PEM), for oversight bodies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.keys import checkpoint_public_key, public_key_id, public_key_pem


class Command(BaseCommand):
    help = __doc__ or ""

    def handle(self, *args: Any, **options: Any) -> None:
        key = checkpoint_public_key()
        self.stderr.write(f"key id {public_key_id(key)}")
        self.stdout.write(public_key_pem(key), ending="")
