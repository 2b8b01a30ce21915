"""Reading the rules behind a reason code, and their METADATA annotations as YAML."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from policy.bundles.bundle import rego_modules
from policy.revisions.rule_text import metadata_blocks, reason_rules

MODULE = """package fr.baseline

# METADATA
# title: X-01 example_code
# description: >-
#   A long description that wraps
#   over two comment lines.
# custom:
#   rule: X-01
#   code: example_code
#   kind: deny
#   authority: >-
#     An authority long enough to wrap: Privacy Act s. 4;
#     OPC FR guidance (May 2022).
deny contains "example_code" if {
	input.x == "{"
	input.y > 1
}

deny contains "example_code_other" if input.z

deny contains "example_code" if input.w
"""


def test_a_wrapped_authority_reads_as_one_line_and_the_rule_keeps_its_braces() -> None:
    found = reason_rules(
        {"fr/baseline/x.rego": MODULE, "fr/baseline/x_test.rego": MODULE}, "example_code"
    )
    assert [(r.path, r.line) for r in found] == [
        ("fr/baseline/x.rego", 15),
        ("fr/baseline/x.rego", 22),
    ]
    first, second = found
    assert first.custom["authority"] == (
        "An authority long enough to wrap: Privacy Act s. 4; OPC FR guidance (May 2022)."
    )
    assert first.metadata["description"] == "A long description that wraps over two comment lines."
    assert first.text.startswith("# METADATA\n")
    assert first.text.endswith("\tinput.y > 1\n}")
    assert "example_code_other" not in first.text
    assert second.metadata == {} and second.text == 'deny contains "example_code" if input.w'
    assert reason_rules({"x.rego": MODULE}, "example") == []
    assert reason_rules({"x.rego": MODULE}, 'example_code" if true #') == []


def test_an_entry_that_is_not_yaml_keeps_its_text_and_the_others_still_read() -> None:
    text = (
        "# METADATA\n# title: J-05 code\n# description: usable (§9.8: not for foreign probes).\n"
        '# custom:\n#   rule: J-05\n#   authority: "As J-01."\npackage x\n'
    )
    assert metadata_blocks(text) == [
        {
            "title": "J-05 code",
            "description": "usable (§9.8: not for foreign probes).",
            "custom": {"rule": "J-05", "authority": "As J-01."},
        }
    ]


def test_every_reason_of_the_baseline_has_its_rule_and_authority() -> None:
    modules = rego_modules(Path(settings.POLICY_REGO_DIR))
    codes = {
        block["custom"]["code"]
        for text in modules.values()
        for block in metadata_blocks(text)
        if (block.get("custom") or {}).get("kind") in {"deny", "info"}
    }
    assert len(codes) > 40
    missing = [code for code in sorted(codes) if not reason_rules(modules, code)]
    assert missing == []
    for code in codes:
        assert reason_rules(modules, code)[0].custom.get("authority"), code


def test_every_metadata_block_of_the_files_is_valid_yaml() -> None:
    """The fallback above is for text written elsewhere: the shipped files parse as YAML."""
    import re

    import yaml

    modules = rego_modules(Path(settings.POLICY_REGO_DIR))
    marker = re.compile(r"^#\s*METADATA\s*$")
    blocks = 0
    for path, text in sorted(modules.items()):
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if not marker.match(line.strip()):
                continue
            end = index + 1
            while end < len(lines) and lines[end].lstrip().startswith("#"):
                end += 1
            body = [c.lstrip()[1:].removeprefix(" ") for c in lines[index + 1 : end]]
            try:
                parsed = yaml.safe_load("\n".join(body))
            except yaml.YAMLError as exc:
                raise AssertionError(f"{path}:{index + 1}: not YAML: {exc}") from None
            assert isinstance(parsed, dict) and parsed.get("title"), f"{path}:{index + 1}"
            assert all(len(c) <= 100 for c in lines[index:end]), f"{path}:{index + 1}: long line"
            blocks += 1
    assert blocks > 40
    j05 = reason_rules(modules, "interagency_agreement_applied")[0].metadata
    assert j05["description"] == (
        "a valid domestic agreement made an out-of-territory probe usable "
        "(§9.8: not for foreign probes)."
    )
