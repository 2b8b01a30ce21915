"""The conformance documents, fed through ``manage.py policy_eval`` as JSON Lines.

The Rego suite evaluates the same documents inside the engine; this side proves the service's
command (the engine interface, fail-closed handling, output shape) gives the same answers.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

# The command decides under the revisions in force, which it reads from the database.
pytestmark = pytest.mark.django_db

CASES = sorted((Path(settings.BASE_DIR) / "policy" / "fixtures" / "cases").glob("*.json"))
# Documents that override configuration are evaluated by the Rego runner, which can merge it.
PLAIN = [c for c in CASES if "config" not in json.loads(c.read_text())]


def evaluate_lines(documents: list[Any], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    lines = "\n".join(json.dumps(d) for d in documents) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    out = io.StringIO()
    call_command("policy_eval", "-", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_there_are_conformance_documents() -> None:
    assert len(PLAIN) >= 40


def test_every_document_gets_the_expected_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [json.loads(path.read_text()) for path in PLAIN]
    decisions = evaluate_lines([c["input"] for c in cases], monkeypatch)
    assert len(decisions) == len(cases)
    problems = []
    for path, case, decision in zip(PLAIN, cases, decisions, strict=True):
        expect = case["expect"]
        codes = {r["code"] for r in decision["reasons"]}
        if decision["allow"] is not expect["allow"]:
            problems.append(f"{path.name}: allow {decision['allow']}")
        if missing := set(expect.get("codes_present", [])) - codes:
            problems.append(f"{path.name}: missing {sorted(missing)}")
        if extra := set(expect.get("codes_absent", [])) & codes:
            problems.append(f"{path.name}: unexpected {sorted(extra)}")
        for key, value in expect.get("obligations", {}).items():
            if decision["obligations"].get(key) != value:
                problems.append(f"{path.name}: obligation {key}={decision['obligations'].get(key)}")
        for reason in decision["reasons"]:
            if not (reason["message"] and reason["authority"]):
                problems.append(f"{path.name}: {reason['code']} lacks message or authority")
    assert problems == []


def test_a_single_json_document_from_a_file(tmp_path: Path) -> None:
    case = json.loads(PLAIN[0].read_text())
    path = tmp_path / "input.json"
    path.write_text(json.dumps(case["input"], indent=2))
    out = io.StringIO()
    call_command("policy_eval", str(path), stdout=out)
    (line,) = out.getvalue().splitlines()
    assert set(json.loads(line)) == {"allow", "reasons", "obligations"}


@pytest.mark.parametrize("bad", ["[1, 2, 3]", "not json", "null", '"text"'])
def test_a_line_that_is_not_an_object_fails_closed(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(bad + "\n{}\n"))
    out = io.StringIO()
    call_command("policy_eval", "-", stdout=out)
    decisions = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(decisions) == 2
    for decision in decisions:
        assert decision["allow"] is False
        assert [r["code"] for r in decision["reasons"]] == ["request_malformed"]
