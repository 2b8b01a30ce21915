"""The Rego rules behind a reason code: their text and their METADATA annotation.

A rule gives a reason by ``deny contains "<code>"`` (or ``info contains``); the ``# METADATA``
comment block right above it is YAML (title, description, custom: rule, code, kind,
authority), read here with a YAML parser so quoted, folded and long values keep their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from policy.bundles.bundle import TEST_SUFFIX

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_METADATA_RE = re.compile(r"^#\s*METADATA\s*$")


@dataclass(frozen=True)
class RuleText:
    """One rule producing a reason code: where it is, its text, its parsed annotation."""

    path: str
    line: int  # 1-based line of the rule's head
    text: str  # the annotation and the rule, as written
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def custom(self) -> dict[str, Any]:
        custom = self.metadata.get("custom")
        return custom if isinstance(custom, dict) else {}


def metadata_parse(comment_lines: list[str]) -> dict[str, Any]:
    """Parse a METADATA comment block (its ``#`` lines, the ``# METADATA`` line first)."""
    body = []
    for line in comment_lines[1:]:
        text = line.lstrip()[1:]
        body.append(text[1:] if text.startswith(" ") else text)
    try:
        parsed = yaml.safe_load("\n".join(body))
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _rule_end(lines: list[str], head: int) -> int:
    """Return the index after the rule starting at ``head``: the line where braces balance."""
    depth = 0
    end = head
    while end < len(lines):
        code = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`|#.*$', "", lines[end])
        depth += code.count("{") - code.count("}")
        end += 1
        if depth <= 0:
            break
    return end


def reason_rules(modules: dict[str, str], code: str) -> list[RuleText]:
    """Return every rule in ``modules`` (tests left out) that gives ``code``, by path and line."""
    if not CODE_RE.match(code):
        return []
    head_re = re.compile(r'^(?:deny|info)\s+contains\s+"' + re.escape(code) + r'"')
    found: list[RuleText] = []
    for path in sorted(modules):
        if path.endswith(TEST_SUFFIX):
            continue
        lines = modules[path].splitlines()
        for index, line in enumerate(lines):
            if not head_re.match(line):
                continue
            start = index
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            comments = lines[start:index]
            marker = next(
                (k for k, c in enumerate(comments) if _METADATA_RE.match(c.strip())), None
            )
            metadata = metadata_parse(comments[marker:]) if marker is not None else {}
            first = start + marker if marker is not None else index
            end = _rule_end(lines, index)
            found.append(
                RuleText(
                    path=path,
                    line=index + 1,
                    text="\n".join(lines[first:end]),
                    metadata=metadata,
                )
            )
    return found
