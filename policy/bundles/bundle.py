"""The policy bundle: the Rego modules and data the engines load, and its revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = "data.json"
TEST_SUFFIX = "_test.rego"


@dataclass(frozen=True)
class Bundle:
    """Rego modules (path → text) and the data document, identified by a content revision."""

    modules: dict[str, str]
    data: dict[str, Any]

    @property
    def revision(self) -> str:
        """Return a revision id that changes whenever any module or the data changes."""
        digest = hashlib.sha256()
        for path in sorted(self.modules):
            digest.update(path.encode() + b"\0" + self.modules[path].encode() + b"\0")
        digest.update(json.dumps(self.data, sort_keys=True).encode())
        return "sha256:" + digest.hexdigest()[:32]


def rego_modules(rego_dir: Path, *, include_tests: bool = False) -> dict[str, str]:
    """Return every ``.rego`` file under ``rego_dir`` as {relative POSIX path: text}, by path.

    Test files (``*_test.rego``) are left out unless asked for, so the engine, the OPA bundle
    and the test runner all load the policy the same way.
    """
    return {
        path.relative_to(rego_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(rego_dir.rglob("*.rego"))
        if path.is_file() and (include_tests or not path.name.endswith(TEST_SUFFIX))
    }


def bundle_data(rego_dir: Path) -> dict[str, Any]:
    """Return the bundle's base document (``data.json`` at its root), or {} if there is none."""
    data_path = rego_dir / DATA_FILE
    if not data_path.is_file():
        return {}
    loaded = json.loads(data_path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{data_path} must hold a JSON object")
    return loaded


def bundle_from_directory(rego_dir: Path, *, include_tests: bool = False) -> Bundle:
    """Load the Rego modules (tests only if asked) and ``data.json`` under ``rego_dir``."""
    return Bundle(
        modules=rego_modules(rego_dir, include_tests=include_tests), data=bundle_data(rego_dir)
    )
