"""Evaluate policy inputs (one JSON document, or JSON Lines) and print one decision per line."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from policy.decision import fail_closed
from policy.engine import engine_get


def _documents(text: str) -> list[Any]:
    stripped = text.strip()
    if not stripped:
        return []
    try:
        return [json.loads(stripped)]
    except json.JSONDecodeError:
        pass
    docs: list[Any] = []
    for line in stripped.splitlines():
        if line.strip():
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError:
                docs.append(ValueError("invalid JSON"))
    return docs


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="a file, or - for stdin")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["file"] == "-":
            text = sys.stdin.read()
        else:
            with open(o["file"], encoding="utf-8") as handle:
                text = handle.read()
        engine = engine_get()
        for doc in _documents(text):
            if isinstance(doc, dict):
                decision = engine.decide(doc)
            else:
                revision = getattr(engine, "revision", "unknown")
                decision = fail_closed(
                    engine=engine.name,
                    bundle_revision=str(revision),
                    error="input is not a JSON object",
                )
            self.stdout.write(json.dumps(decision.as_output(), ensure_ascii=False))
