"""The policy bundle: the Rego modules and data the engines load, and its revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = "data.json"


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


def bundle_from_directory(rego_dir: Path, *, include_tests: bool = False) -> Bundle:
    """Load every ``.rego`` module under ``rego_dir`` (tests only if asked) and ``data.json``."""
    modules = {
        str(path.relative_to(rego_dir)): path.read_text()
        for path in sorted(rego_dir.rglob("*.rego"))
        if include_tests or not path.stem.endswith("_test")
    }
    data_path = rego_dir / DATA_FILE
    data = json.loads(data_path.read_text()) if data_path.exists() else {}
    return Bundle(modules=modules, data=data)
