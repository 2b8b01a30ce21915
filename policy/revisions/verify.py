"""Run every check of policy authoring on the files in ``policy/rego``, on both engines.

``python -m policy.revisions.verify`` runs the whole Rego suite and the conformance set through
regorus and through OPA's Go engine, with the invariants and the hidden-field and vocabulary
checks, and exits non-zero on any failure or any disagreement between the engines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from policy.bundles.bundle import bundle_from_directory
from policy.rego_tests import DEFAULT_FIXTURES_DIR, DEFAULT_REGO_DIR
from policy.revisions.checks import revision_check


def main(argv: Sequence[str] | None = None) -> int:
    """Check the bundle, print what failed and a summary, and return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m policy.revisions.verify", description=__doc__)
    parser.add_argument("--rego-dir", type=Path, default=DEFAULT_REGO_DIR)
    parser.add_argument("--fixtures-dir", type=Path, default=DEFAULT_FIXTURES_DIR)
    args = parser.parse_args(argv)
    bundle = bundle_from_directory(args.rego_dir, include_tests=True)
    report = revision_check(
        modules=bundle.modules, data=bundle.data, fixtures_dir=args.fixtures_dir
    )
    for finding in report.findings:
        where = f"{finding.path}:{finding.line}:{finding.column} " if finding.path else ""
        print(f"FAIL {finding.check}: {where}{finding.message}")
    for test in report.tests:
        if not test.passed:
            print(
                f"FAIL test {test.ref} (regorus {'ok' if test.regorus else 'failed'}, "
                f"OPA {'ok' if test.opa else 'failed'}) {test.detail}"
            )
    passed = sum(1 for t in report.tests if t.passed)
    print(
        f"both engines: {passed}/{len(report.tests)} Rego tests passed, "
        f"{report.conformance_cases} conformance inputs decided identically"
        f"{'' if not report.findings else f', {len(report.findings)} findings'} "
        f"({report.duration_ms / 1000:.1f} s)"
    )
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
