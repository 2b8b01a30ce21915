"""Side-by-side differences between two revisions: per module and for the data document."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

DATA_DOCUMENT = "data.json"
CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffRow:
    """One row of a two-column diff: a line on either side (or none), and what happened to it.

    ``kind`` is ``equal``, ``changed``, ``removed`` or ``added``; ``gap`` marks the row that
    stands for unchanged lines left out between two hunks.
    """

    kind: str
    old_number: int | None = None
    old_text: str = ""
    new_number: int | None = None
    new_text: str = ""
    gap: bool = False


@dataclass(frozen=True)
class FileDiff:
    """The differences of one file (a module path, or the data document)."""

    path: str
    status: str  # "changed", "added" or "removed"
    rows: list[DiffRow] = field(default_factory=list)
    added: int = 0
    removed: int = 0


def data_text(data: Any) -> str:
    """Return the data document as the portal shows and edits it."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def _rows(old: list[str], new: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for number, group in enumerate(matcher.get_grouped_opcodes(CONTEXT_LINES)):
        if number or group[0][1] > 0 or group[0][3] > 0:
            rows.append(DiffRow(kind="equal", gap=True))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffRow("equal", i + 1, old[i], j + 1, new[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            left, right = list(range(i1, i2)), list(range(j1, j2))
            for k in range(max(len(left), len(right))):
                i = left[k] if k < len(left) else None
                j = right[k] if k < len(right) else None
                kind = (
                    "changed"
                    if i is not None and j is not None
                    else ("removed" if i is not None else "added")
                )
                rows.append(
                    DiffRow(
                        kind,
                        None if i is None else i + 1,
                        "" if i is None else old[i],
                        None if j is None else j + 1,
                        "" if j is None else new[j],
                    )
                )
    if rows and not rows[-1].gap:
        last = next((r for r in reversed(rows) if r.old_number is not None), None)
        if last is not None and last.old_number is not None and last.old_number < len(old):
            rows.append(DiffRow(kind="equal", gap=True))
    return rows


def _file_diff(path: str, old: str | None, new: str | None) -> FileDiff | None:
    if old == new:
        return None
    status = "added" if old is None else "removed" if new is None else "changed"
    rows = _rows((old or "").splitlines(), (new or "").splitlines())
    return FileDiff(
        path=path,
        status=status,
        rows=rows,
        added=sum(r.kind in ("added", "changed") for r in rows),
        removed=sum(r.kind in ("removed", "changed") for r in rows),
    )


def revision_diff(
    *, old_modules: dict[str, str], old_data: Any, new_modules: dict[str, str], new_data: Any
) -> list[FileDiff]:
    """Return the files that differ, modules by path then the data document."""
    diffs = [
        _file_diff(path, old_modules.get(path), new_modules.get(path))
        for path in sorted(set(old_modules) | set(new_modules))
    ]
    diffs.append(_file_diff(DATA_DOCUMENT, data_text(old_data), data_text(new_data)))
    return [d for d in diffs if d is not None]
