"""The Rego rules behind a reason code: their text and their METADATA annotation.

A rule gives a reason by ``deny contains "<code>"`` (or ``info contains``, or a helper set such
as ``_exigent_defects contains "<code>"`` that a deny rule reads); the ``# METADATA`` comment
block right above it is YAML (title, description, custom: rule, code, kind, authority), read
here with a YAML parser so quoted and folded values, long authorities wrapped over several
comment lines among them, keep their text. A top-level entry that is not valid YAML (a plain
description holding ``": "``) is kept as the text it holds, so the other entries still read.
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
        return _entries_parse(body)
    return parsed if isinstance(parsed, dict) else {}


def _entries_parse(body: list[str]) -> dict[str, Any]:
    """Parse each top-level entry on its own; one that is not YAML keeps its plain text."""
    entries: list[list[str]] = []
    for line in body:
        if (line and not line[0].isspace()) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    parsed: dict[str, Any] = {}
    for entry in entries:
        try:
            value = yaml.safe_load("\n".join(entry))
        except yaml.YAMLError:
            key, _, rest = entry[0].partition(":")
            if key.strip() and not key[0].isspace():
                parsed[key.strip()] = " ".join([rest.strip(), *(e.strip() for e in entry[1:])])
            continue
        if isinstance(value, dict):
            parsed.update(value)
    return parsed


def metadata_blocks(text: str) -> list[dict[str, Any]]:
    """Return every METADATA block of a module, parsed, in order of appearance."""
    lines = text.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if not _METADATA_RE.match(line.strip()):
            continue
        end = index + 1
        while end < len(lines) and lines[end].lstrip().startswith("#"):
            end += 1
        blocks.append(metadata_parse(lines[index:end]))
    return blocks


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
    head_re = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\s+contains\s+"' + re.escape(code) + r'"')
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
