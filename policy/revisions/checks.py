"""The checks a policy revision must pass before it can be submitted, on both engines.

Every finding carries the module and line (and column when the engine gives one) it is about,
so the editor can show it beside the text. Each revision is loaded into regorus (the serving
engine) and into OPA's own Go engine; its Rego tests and the conformance documents are run on
both, and any difference between them is itself a failure: a revision the two engines read
differently cannot be trusted to decide the same way in production as it did here.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import regorus

from policy import vocabulary
from policy.bundles.bundle import TEST_SUFFIX
from policy.rego_tests import DEFAULT_FIXTURES_DIR, FIXTURES_DATA_KEY, discover_tests, load_fixtures

DECISION_QUERY = "data.fr.main.decision"
OVERLAY_PREFIX = "fr/overlays/"

CHECK_PARSE = "parse"
CHECK_TEST = "test"
CHECK_ENGINES = "engines"
CHECK_INVARIANT = "invariant"
CHECK_HIDDEN_FIELD = "hidden_field"
CHECK_VOCABULARY = "vocabulary"
CHECK_SCOPE = "scope"

_LOCATION_RE = re.compile(r"(?P<path>[\w./-]+\.rego):(?P<line>\d+)(?::(?P<column>\d+))?")
_INPUT_REF_RE = re.compile(r"\binput((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_VOCABULARY_FIELDS: dict[str, tuple[str, ...]] = {
    "input.purpose": vocabulary.PURPOSES_PERMITTED + vocabulary.PURPOSES_PROHIBITED,
    "input.probe.source": vocabulary.PROBE_SOURCES,
    "input.warrant.kind": vocabulary.WARRANT_KINDS,
    "input.interagency.kind": vocabulary.INTERAGENCY_KINDS,
}
_DENY_BY_DEFAULT_INPUTS: tuple[Any, ...] = ({}, [], "", None, {"agency": {}})


@dataclass(frozen=True)
class Finding:
    """One problem, where it is."""

    check: str
    message: str
    path: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class TestOutcome:
    """One Rego test rule, as each engine saw it."""

    ref: str
    regorus: bool
    opa: bool
    path: str = ""
    line: int = 0
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Return whether both engines passed it."""
        return self.regorus and self.opa


@dataclass
class CheckReport:
    """Everything the checks found, stored with the revision and shown in the editor."""

    findings: list[Finding] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    conformance_cases: int = 0
    duration_ms: float = 0.0

    @property
    def passed(self) -> bool:
        """Return whether the revision may be submitted."""
        return not self.findings and all(t.passed for t in self.tests) and bool(self.tests)

    def as_json(self) -> dict[str, Any]:
        """Return the report as stored in the database and sent by the API."""
        return {
            "passed": self.passed,
            "findings": [asdict(f) for f in self.findings],
            "tests": [{**asdict(t), "passed": t.passed} for t in self.tests],
            "tests_passed": sum(1 for t in self.tests if t.passed),
            "tests_failed": sum(1 for t in self.tests if not t.passed),
            "conformance_cases": self.conformance_cases,
            "duration_ms": round(self.duration_ms, 1),
        }


def _engine_error(exc: BaseException) -> str:
    return str(exc).split("Stack backtrace:", 1)[0].strip() or type(exc).__name__


def _located(check: str, exc: BaseException, default_path: str = "") -> Finding:
    """Turn an engine's error into a finding at the line (and column) it names."""
    text = _engine_error(exc)
    match = _LOCATION_RE.search(text)
    message = (
        " ".join(
            line.strip()
            for line in text.splitlines()
            if line.strip().startswith(("error:", "parse_error", "prepare_error", "rego_"))
        )
        or text
    )
    if match is None:
        return Finding(check, message[:500], path=default_path)
    return Finding(
        check,
        message[:500],
        path=match["path"],
        line=int(match["line"]),
        column=int(match["column"] or 0),
    )


class _Regorus:
    name = "regorus"

    def __init__(self, modules: Mapping[str, str], data: dict[str, Any]) -> None:
        self.engine = regorus.Engine()
        for path, text in modules.items():
            self.engine.add_policy(path, text)
        self.engine.add_data(data)

    def rule(self, ref: str, policy_input: Any = None) -> Any:
        if policy_input is not None:
            self.engine.set_input_json(json.dumps(policy_input))
        return self.engine.eval_rule(ref)


class _Opa:
    name = "opa"

    def __init__(self, modules: Mapping[str, str], data: dict[str, Any]) -> None:
        from opa_bindings.engine import OpaEngine  # type: ignore[import-untyped, unused-ignore]

        self.engine = OpaEngine()
        for path, text in modules.items():
            self.engine.add_policy(path, text)
        self.engine.add_data(data)

    def rule(self, ref: str, policy_input: Any = None) -> Any:
        kwargs = {} if policy_input is None else {"input": policy_input}
        rows = self.engine.eval_query(f"x = {ref}", **kwargs)
        return rows[0]["x"] if rows else None

    def close(self) -> None:
        self.engine.close()


def _compose(modules: Mapping[str, str], base_modules: Mapping[str, str] | None) -> dict[str, str]:
    return {**(base_modules or {}), **modules}


def _without_tests(modules: Mapping[str, str]) -> dict[str, str]:
    return {p: t for p, t in modules.items() if not p.endswith(TEST_SUFFIX)}


def _test_locations(modules: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Return {rule ref: (path, line)} for every test rule, to place results beside lines."""
    found: dict[str, tuple[str, int]] = {}
    for path, text in modules.items():
        for package, name in discover_tests({path: text}):
            for number, line in enumerate(text.splitlines(), start=1):
                if line.startswith(name):
                    found.setdefault(f"data.{package}.{name}", (path, number))
                    break
    return found


def _parse_findings(modules: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for path, text in modules.items():
        try:
            regorus.Engine().add_policy(path, text)
        except Exception as exc:  # regorus reports parse errors as plain exceptions
            findings.append(_located(CHECK_PARSE, exc, path))
    return findings


def _build_both(
    modules: Mapping[str, str], data: dict[str, Any]
) -> tuple[_Regorus | None, _Opa | None, list[Finding]]:
    findings: list[Finding] = []
    fast: _Regorus | None = None
    slow: _Opa | None = None
    try:
        fast = _Regorus(modules, data)
        fast.rule(DECISION_QUERY, {})  # compile errors surface at the first evaluation
    except Exception as exc:
        findings.append(_located(CHECK_PARSE, exc))
        fast = None
    try:
        slow = _Opa(modules, data)
        slow.rule(DECISION_QUERY, {})
    except Exception as exc:
        findings.append(_located(CHECK_PARSE, exc))
        slow = None
    return fast, slow, findings


def _conformance_inputs(
    fixtures: Mapping[str, Any], data: dict[str, Any]
) -> list[tuple[str, dict[str, Any], Any]]:
    """Return (case name, data with the case's config, input) for every conformance document."""
    cases: list[tuple[str, dict[str, Any], Any]] = []
    for name, document in sorted(fixtures.items()):
        case_data = data
        if document.get("config"):
            case_data = copy.deepcopy(data)
            case_data.setdefault("fr", {}).setdefault("config", {}).update(document["config"])
        cases.append((name, case_data, document.get("input")))
    return cases


def _for_agency(policy_input: Any, agency_id: str) -> Any:
    """Return a conformance input as if the overlay's agency had sent it."""
    if not isinstance(policy_input, dict) or not isinstance(policy_input.get("agency"), dict):
        return policy_input
    moved = copy.deepcopy(policy_input)
    original = moved["agency"].get("id")
    moved["agency"]["id"] = agency_id
    for section, key in (
        ("user", "agency_id"),
        ("gallery", "owner_agency_id"),
        ("warrant", "applicant_agency_id"),
    ):
        part = moved.get(section)
        if isinstance(part, dict) and part.get(key) == original:
            part[key] = agency_id
    return moved


def _reason_findings(case: str, decision: Any) -> list[Finding]:
    if not isinstance(decision, dict) or not isinstance(decision.get("allow"), bool):
        return [Finding(CHECK_INVARIANT, f"{case}: the decision is not a well-formed decision")]
    findings: list[Finding] = []
    for reason in decision.get("reasons") or []:
        if not isinstance(reason, dict) or reason.get("kind") != "deny":
            continue
        missing = [
            k
            for k in ("code", "message", "authority")
            if not isinstance(reason.get(k), str) or not reason[k].strip()
        ]
        if missing:
            findings.append(
                Finding(
                    CHECK_INVARIANT,
                    f"{case}: deny reason {reason.get('code')!r} has no {', '.join(missing)}",
                )
            )
    return findings


def _static_findings(modules: Mapping[str, str], known_inputs: set[str]) -> list[Finding]:
    """Find input fields the service never sends and vocabulary values it never accepts."""
    findings: list[Finding] = []
    for path, text in _without_tests(modules).items():
        for number, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            for match in _INPUT_REF_RE.finditer(code):
                ref = "input" + match.group(1)
                if not any(
                    ref == k or ref.startswith(k + ".") or k.startswith(ref + ".")
                    for k in known_inputs
                ):
                    findings.append(
                        Finding(
                            CHECK_HIDDEN_FIELD,
                            f"{ref} is not a field of the policy input: the rule never sees it",
                            path=path,
                            line=number,
                            column=match.start() + 1,
                        )
                    )
            for ref, allowed in _VOCABULARY_FIELDS.items():
                for value in re.findall(re.escape(ref) + r'\s*[!=]=\s*"([^"]*)"', code):
                    if value not in allowed:
                        findings.append(
                            Finding(
                                CHECK_VOCABULARY,
                                f"{value!r} is not in the vocabulary of {ref}",
                                path=path,
                                line=number,
                            )
                        )
    return findings


def _input_paths(value: Any, prefix: str = "input") -> set[str]:
    paths = {prefix}
    if isinstance(value, dict):
        for key, child in value.items():
            paths |= _input_paths(child, f"{prefix}.{key}")
    elif isinstance(value, list):
        for child in value:
            paths |= _input_paths(child, prefix)
    return paths


def _run_tests(
    modules: Mapping[str, str],
    fast: _Regorus,
    slow: _Opa,
    locations: Mapping[str, tuple[str, int]],
) -> list[TestOutcome]:
    outcomes: list[TestOutcome] = []
    # OPA prepares each distinct query once: one query per test package, not per test.
    packages: dict[str, Any] = {}
    for package in sorted({package for package, _ in discover_tests(modules)}):
        try:
            packages[package] = slow.rule(f"data.{package}")
        except Exception:  # an erring test spoils its package's query; ask test by test
            packages[package] = None
    for package, name in discover_tests(modules):
        ref = f"data.{package}.{name}"
        results: list[bool] = []
        detail = ""
        for engine in (fast, slow):
            try:
                if engine is slow and isinstance(packages.get(package), dict):
                    results.append(packages[package].get(name) is True)
                else:
                    results.append(engine.rule(ref) is True)
            except Exception as exc:  # an engine error fails the test, never the run
                results.append(False)
                detail = f"{engine.name}: {_engine_error(exc)}"[:300]
        path, line = locations.get(ref, ("", 0))
        outcomes.append(
            TestOutcome(ref, results[0], results[1], path=path, line=line, detail=detail)
        )
    return outcomes


def revision_check(
    *,
    modules: Mapping[str, str],
    data: dict[str, Any],
    overlay_agency_id: str | None = None,
    baseline_modules: Mapping[str, str] | None = None,
    baseline_data: dict[str, Any] | None = None,
    fixtures_dir: Path = DEFAULT_FIXTURES_DIR,
) -> CheckReport:
    """Run every check on a revision (a baseline, or an overlay over the given baseline)."""
    started = time.perf_counter()
    report = CheckReport()
    report.findings += _parse_findings(modules)
    if overlay_agency_id is not None:
        prefix = f"{OVERLAY_PREFIX}{overlay_agency_id}/"
        report.findings += [
            Finding(
                CHECK_SCOPE,
                f"an overlay of {overlay_agency_id} may only hold files under {prefix}",
                path=p,
            )
            for p in modules
            if not p.startswith(prefix)
        ]
        package = f"package fr.overlays.{overlay_agency_id}"
        report.findings += [
            Finding(
                CHECK_SCOPE, f"an overlay's policy modules must declare {package}", path=p, line=1
            )
            for p, t in _without_tests(modules).items()
            if not re.search(rf"^{re.escape(package)}\s*$", t, re.M)
        ]
    if report.findings:
        report.duration_ms = (time.perf_counter() - started) * 1000
        return report
    fixtures = load_fixtures(fixtures_dir) if fixtures_dir.is_dir() else {}
    full_data = baseline_data if overlay_agency_id is not None and baseline_data else data
    with_tests = _compose(modules, baseline_modules if overlay_agency_id else None)
    test_data = {**copy.deepcopy(full_data), FIXTURES_DATA_KEY: fixtures}
    fast, slow, findings = _build_both(with_tests, test_data)
    report.findings += findings
    if fast is None or slow is None:
        report.duration_ms = (time.perf_counter() - started) * 1000
        return report
    try:
        own_tests = {p: t for p, t in modules.items() if p.endswith(TEST_SUFFIX)}
        if overlay_agency_id is None:
            report.tests = _run_tests(with_tests, fast, slow, _test_locations(with_tests))
        else:
            report.tests = _run_tests(own_tests, fast, slow, _test_locations(own_tests))
            if not own_tests:
                report.findings.append(
                    Finding(CHECK_TEST, "an overlay needs at least one test file (*_test.rego)")
                )
    finally:
        slow.close()
    report.findings += _conformance_findings(
        report,
        modules=modules,
        data=full_data,
        fixtures=fixtures,
        overlay_agency_id=overlay_agency_id,
        baseline_modules=baseline_modules,
    )
    known = set().union(*(_input_paths(doc.get("input")) for doc in fixtures.values()))
    report.findings += _static_findings(modules, known)
    report.duration_ms = (time.perf_counter() - started) * 1000
    return report


def _conformance_findings(
    report: CheckReport,
    *,
    modules: Mapping[str, str],
    data: dict[str, Any],
    fixtures: Mapping[str, Any],
    overlay_agency_id: str | None,
    baseline_modules: Mapping[str, str] | None,
) -> list[Finding]:
    """Evaluate the conformance inputs on both engines and check the invariants on each."""
    findings: list[Finding] = []
    policy = _without_tests(_compose(modules, baseline_modules if overlay_agency_id else None))
    baseline_only = _without_tests(baseline_modules or {})
    prepared: dict[str, tuple[_Regorus, _Opa, _Regorus | None]] = {}

    def engines(case_data: dict[str, Any]) -> tuple[_Regorus, _Opa, _Regorus | None]:
        key = json.dumps(case_data, sort_keys=True)
        if key not in prepared:
            plain = _Regorus(baseline_only, case_data) if overlay_agency_id else None
            prepared[key] = (_Regorus(policy, case_data), _Opa(policy, case_data), plain)
        return prepared[key]

    decide: Callable[[Any, Any], Any]
    try:
        cases = _conformance_inputs(fixtures, data)
        for stray in _DENY_BY_DEFAULT_INPUTS:
            cases.append((f"deny-by-default {json.dumps(stray)}", data, stray))
        for name, case_data, raw_input in cases:
            policy_input = (
                _for_agency(raw_input, overlay_agency_id) if overlay_agency_id else raw_input
            )
            fast, slow, plain = engines(case_data)
            decided = {}
            for engine in (fast, slow):
                decide = engine.rule
                try:
                    decided[engine.name] = decide(DECISION_QUERY, policy_input)
                except Exception as exc:
                    decided[engine.name] = f"error: {_engine_error(exc)}"
            report.conformance_cases += 1
            if decided["regorus"] != decided["opa"]:
                findings.append(
                    Finding(
                        CHECK_ENGINES,
                        f"{name}: regorus and OPA decide differently "
                        f"({_summary(decided['regorus'])} vs {_summary(decided['opa'])})",
                    )
                )
                continue
            decision = decided["regorus"]
            findings += _reason_findings(name, decision)
            if name.startswith("deny-by-default") and not (
                isinstance(decision, dict) and decision.get("allow") is False
            ):
                findings.append(
                    Finding(CHECK_INVARIANT, f"{name}: an empty or malformed input must be denied")
                )
            if plain is not None:
                findings += _overlay_only_adds(
                    name, plain.rule(DECISION_QUERY, policy_input), decision
                )
    finally:
        for _, opa_engine, _ in prepared.values():
            opa_engine.close()
    return findings


def _summary(decision: Any) -> str:
    if not isinstance(decision, dict):
        return str(decision)[:80]
    codes = [r.get("code") for r in decision.get("reasons") or [] if isinstance(r, dict)]
    return f"allow={decision.get('allow')} {codes}"


def _overlay_only_adds(name: str, without: Any, with_overlay: Any) -> list[Finding]:
    """An overlay may turn an allow into a deny and add reasons, nothing else."""
    if not isinstance(without, dict) or not isinstance(with_overlay, dict):
        return [Finding(CHECK_INVARIANT, f"{name}: no decision with or without the overlay")]
    if with_overlay.get("allow") is True and without.get("allow") is not True:
        return [Finding(CHECK_INVARIANT, f"{name}: the overlay allows what the baseline denies")]
    before = {r.get("code") for r in without.get("reasons") or [] if r.get("kind") == "deny"}
    after = {r.get("code") for r in with_overlay.get("reasons") or [] if r.get("kind") == "deny"}
    if not before <= after:
        return [
            Finding(
                CHECK_INVARIANT,
                f"{name}: the overlay removes deny reasons {sorted(before - after)}",
            )
        ]
    if with_overlay.get("obligations") != without.get("obligations"):
        return [Finding(CHECK_INVARIANT, f"{name}: the overlay changes the obligations")]
    return []
