"""Run the Rego unit tests of the policy bundle through the embedded engine.

`opa test` is not available where the service runs, so the bundle's own `test_*` rules are
evaluated here with regorus: every rule named `test_*` in every package whose name ends in
`_test` must evaluate to exactly `true`. False, undefined and engine errors are failures.

The conformance documents under `policy/fixtures/cases` are loaded as
`data.fr_fixtures.<file stem>` so that Rego tests and Python tests read the same JSON.

Run `python -m policy.rego_tests` for a summary; the exit status is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regorus  # type: ignore[import-untyped, unused-ignore]

from policy.bundles.bundle import TEST_SUFFIX, bundle_data, rego_modules

POLICY_DIR = Path(__file__).resolve().parent
DEFAULT_REGO_DIR = POLICY_DIR / "rego"
DEFAULT_FIXTURES_DIR = POLICY_DIR / "fixtures" / "cases"
TEST_FILE_SUFFIX = TEST_SUFFIX
TEST_PACKAGE_SUFFIX = "_test"
FIXTURES_DATA_KEY = "fr_fixtures"

_PACKAGE_RE = re.compile(r"^package\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)", re.M)
_TEST_RULE_RE = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.M)


@dataclass(frozen=True)
class RegoTestResult:
    """Outcome of one `test_*` rule."""

    package: str
    name: str
    passed: bool
    detail: str
    duration_ms: float

    @property
    def ref(self) -> str:
        """Return the rule's full data reference, e.g. `data.fr.baseline_test.test_w06_fires`."""
        return f"data.{self.package}.{self.name}"


load_bundle_files = rego_modules
load_bundle_data = bundle_data


def load_fixtures(fixtures_dir: Path) -> dict[str, Any]:
    """Return the conformance documents in `fixtures_dir` as {file stem: document}."""
    fixtures: dict[str, Any] = {}
    for path in sorted(fixtures_dir.glob("*.json")):
        fixtures[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return fixtures


def build_engine(
    rego_dir: Path,
    *,
    include_tests: bool = False,
    fixtures_dir: Path | None = None,
    extra_policies: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
) -> Any:
    """Return a regorus engine loaded with the bundle's policies and data.

    `data` replaces the bundle's `data.json` when given (callers merge overrides themselves,
    because regorus refuses to merge conflicting values into loaded data).
    """
    engine = regorus.Engine()
    for name, text in load_bundle_files(rego_dir, include_tests=include_tests).items():
        engine.add_policy(name, text)
    for name, text in (extra_policies or {}).items():
        engine.add_policy(name, text)
    engine.add_data(dict(data) if data is not None else load_bundle_data(rego_dir))
    if fixtures_dir is not None and fixtures_dir.is_dir():
        engine.add_data({FIXTURES_DATA_KEY: load_fixtures(fixtures_dir)})
    return engine


def discover_tests(files: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (package, rule name) for every `test_*` rule in a package ending in `_test`."""
    found: dict[tuple[str, str], None] = {}
    for text in files.values():
        package = _PACKAGE_RE.search(text)
        if package is None or not package.group(1).endswith(TEST_PACKAGE_SUFFIX):
            continue
        for name in _TEST_RULE_RE.findall(text):
            found[(package.group(1), name)] = None
    return sorted(found)


def _engine_error(exc: Exception) -> str:
    """Return the useful part of a regorus error (it appends a native stack trace)."""
    text = str(exc).split("Stack backtrace:", 1)[0].strip()
    return text or type(exc).__name__


def run_rego_tests(rego_dir: Path, fixtures_dir: Path | None = None) -> list[RegoTestResult]:
    """Evaluate every Rego test rule of the bundle in `rego_dir` and return one result each.

    A bundle that fails to load yields a single failed result named `<load>`.
    """
    files = load_bundle_files(rego_dir, include_tests=True)
    try:
        engine = build_engine(rego_dir, include_tests=True, fixtures_dir=fixtures_dir)
    except Exception as exc:  # regorus reports parse and load errors as plain exceptions
        return [RegoTestResult("<bundle>", "<load>", False, _engine_error(exc), 0.0)]
    results: list[RegoTestResult] = []
    for package, name in discover_tests(files):
        started = time.perf_counter()
        try:
            value = engine.eval_rule(f"data.{package}.{name}")
        except Exception as exc:  # an engine error is a failed test, never a crash of the run
            passed, detail = False, f"error: {_engine_error(exc)}"
        else:
            passed = value is True
            detail = "" if passed else ("undefined" if value is None else f"evaluated to {value!r}")
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        results.append(RegoTestResult(package, name, passed, detail, elapsed_ms))
    return results


def _summary(results: Sequence[RegoTestResult]) -> str:
    failed = [r for r in results if not r.passed]
    lines = [f"FAIL {r.ref}: {r.detail}" for r in failed]
    total_ms = sum(r.duration_ms for r in results)
    lines.append(
        f"{len(results) - len(failed)} passed, {len(failed)} failed "
        f"({len(results)} Rego tests, {total_ms:.0f} ms)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print failures and a summary, and return the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m policy.rego_tests", description=__doc__)
    parser.add_argument("--rego-dir", type=Path, default=DEFAULT_REGO_DIR)
    parser.add_argument("--fixtures-dir", type=Path, default=DEFAULT_FIXTURES_DIR)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every test")
    args = parser.parse_args(argv)
    fixtures_dir: Path | None = args.fixtures_dir if args.fixtures_dir.is_dir() else None
    results = run_rego_tests(args.rego_dir, fixtures_dir)
    if args.verbose:
        for result in results:
            print(f"{'ok  ' if result.passed else 'FAIL'} {result.ref}")
    print(_summary(results))
    if not results:
        print("no Rego tests found", file=sys.stderr)
        return 1
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
