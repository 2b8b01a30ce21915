"""The Rego bundle's own tests, its conformance fixtures and the runner that executes them.

No database is needed: everything here runs on the embedded regorus engine.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from policy.rego_tests import (
    DEFAULT_FIXTURES_DIR,
    DEFAULT_REGO_DIR,
    RegoTestResult,
    build_engine,
    discover_tests,
    load_bundle_data,
    load_bundle_files,
    load_fixtures,
    run_rego_tests,
)

FIXTURE_PATHS = sorted(DEFAULT_FIXTURES_DIR.glob("*.json"))

OBLIGATION_KEYS = {
    "K-01": "human_review_required",
    "K-02": "results_lead_only",
    "K-03": "audit_log",
    "K-04": "template_retention",
    "K-05": "max_candidates",
    "K-06": "min_similarity",
    "K-07": "probe_retention_days",
    "K-08": "supervisor_notification",
    "K-09": "post_hoc_review_required",
    "K-10": "judicial_authorization_followup",
    "K-11": "ycja_handling",
    "K-12": "victim_identity_protection",
    "K-13": "provenance_record_required",
    "K-14": "qc_destroy_biometrics_when_purpose_met",
    "K-15": "discard_non_matching_faces_immediately",
}


@functools.cache
def _base_engine() -> Any:
    return build_engine(DEFAULT_REGO_DIR, data={})


@functools.cache
def _configured_engine(overrides_json: str) -> Any:
    """Return an engine whose data.fr.config is the bundle's overlaid by `overrides_json`."""
    data = copy.deepcopy(load_bundle_data(DEFAULT_REGO_DIR))
    data["fr"]["config"].update(json.loads(overrides_json))
    engine = _base_engine().clone()
    engine.add_data(data)
    return engine


def _decide(inp: Any, config: dict[str, Any] | None = None) -> Any:
    engine = _configured_engine(json.dumps(config or {}, sort_keys=True))
    engine.set_input(inp)
    return engine.eval_rule("data.fr.main.decision")


def _catalog() -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = _base_engine().eval_rule("data.fr.baseline.reason_catalog")
    return catalog


@functools.cache
def _suite_results() -> tuple[RegoTestResult, ...]:
    return tuple(run_rego_tests(DEFAULT_REGO_DIR, DEFAULT_FIXTURES_DIR))


def _test_names() -> list[str]:
    files = load_bundle_files(DEFAULT_REGO_DIR, include_tests=True)
    return [name for _, name in discover_tests(files)]


# --- the Rego suite ------------------------------------------------------------------------


def test_rego_suite_passes() -> None:
    results = _suite_results()
    failures = [f"{r.ref}: {r.detail}" for r in results if not r.passed]
    print("\n".join(failures))
    assert len(results) >= 75 * 3
    assert not failures, f"{len(failures)} Rego tests failed:\n" + "\n".join(failures)


def test_every_reason_code_and_obligation_has_fire_boundary_and_malformed_tests() -> None:
    names = _test_names()
    rules = {entry["rule"]: code for code, entry in _catalog().items()} | OBLIGATION_KEYS
    assert len(rules) == 76  # the specification's 75 and E-09
    missing: list[str] = []
    for rule_id, code in sorted(rules.items()):
        prefix = f"test_{rule_id.lower().replace('-', '')}_"
        own = [name[len(prefix) :] for name in names if name.startswith(prefix)]
        if not any(rest.startswith(code) for rest in own):
            missing.append(f"{rule_id} {code}: no firing test named {prefix}{code}_...")
        if not any(rest.startswith("boundary_") for rest in own):
            missing.append(f"{rule_id}: no boundary test")
        if not any(rest.startswith("malformed_") or "_malformed_" in rest for rest in own):
            missing.append(f"{rule_id}: no malformed-input test")
    assert not missing, "\n".join(missing)


def test_every_reason_code_appears_in_a_test_file() -> None:
    tests_text = "\n".join(load_bundle_files(DEFAULT_REGO_DIR, include_tests=True).values())
    absent = [code for code in _catalog() if f'"{code}"' not in tests_text]
    assert not absent, f"reason codes no Rego test mentions: {absent}"


def test_metadata_blocks_match_the_reason_catalog() -> None:
    """`# METADATA custom:` blocks document the code, rule and authority the decision returns."""
    from policy.revisions.rule_text import metadata_blocks

    documented: dict[str, tuple[str, str]] = {}
    for text in load_bundle_files(DEFAULT_REGO_DIR).values():
        for block in metadata_blocks(text):
            custom = block.get("custom") or {}
            if custom.get("kind") in {"deny", "info"}:
                documented[custom["code"]] = (custom["rule"], custom["authority"])
    catalog = _catalog()
    assert set(documented) == set(catalog)
    for code, (rule_id, authority) in documented.items():
        assert (rule_id, authority) == (catalog[code]["rule"], catalog[code]["authority"]), code


# --- the runner ----------------------------------------------------------------------------


def _sabotage(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    bundle = tmp_path / "rego"
    shutil.copytree(DEFAULT_REGO_DIR, bundle)
    target = bundle / relative
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"sabotage anchor not found once in {relative}"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return bundle


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected_failure"),
    [
        pytest.param(
            "fr/baseline/warrant.rego",
            '_now >= _warrant_ns("expires_at")',
            '_now > _warrant_ns("expires_at")',
            "test_w06_boundary_expiry_exactly_at_now_across_offsets",
            id="w06-comparison",
        ),
        pytest.param(
            "fr/baseline/exigent.rego",
            "_now - approved <= _config.exigent_max_age_hours",
            "_now - approved < _config.exigent_max_age_hours",
            "test_e06_boundary_exactly_24_hours_versus_one_second_more",
            id="e06-comparison",
        ),
        pytest.param(
            "fr/baseline/youth.rego",
            'deny contains "ycja_purpose_not_permitted" if {',
            'deny contains "ycja_purpose_dropped" if {',
            "test_y01_ycja_purpose_not_permitted_fires_for_humanitarian_purpose",
            id="y01-dropped",
        ),
    ],
)
def test_runner_catches_a_sabotaged_rule(
    tmp_path: Path, relative: str, old: str, new: str, expected_failure: str
) -> None:
    bundle = _sabotage(tmp_path, relative, old, new)
    results = run_rego_tests(bundle, DEFAULT_FIXTURES_DIR)
    failed = {r.name for r in results if not r.passed}
    assert expected_failure in failed
    assert len(results) == len(_suite_results())


def test_runner_treats_false_undefined_and_errors_as_failures(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "x_test.rego").write_text(
        "package x_test\n\nimport rego.v1\n\n"
        "test_true if true\n\n"
        "test_false := false\n\n"
        "test_undefined if input.nothing == 1\n\n"
        "test_error if count(5) == 1\n",
        encoding="utf-8",
    )
    (tmp_path / "x" / "helpers.rego").write_text(
        "package x\n\nimport rego.v1\n\ntest_not_in_a_test_package := false\n", encoding="utf-8"
    )
    outcome = {r.name: r for r in run_rego_tests(tmp_path, None)}
    assert set(outcome) == {"test_true", "test_false", "test_undefined", "test_error"}
    assert outcome["test_true"].passed
    assert not outcome["test_false"].passed
    assert outcome["test_undefined"].detail == "undefined"
    assert outcome["test_error"].detail.startswith("error:")


def test_runner_reports_a_bundle_that_does_not_load(tmp_path: Path) -> None:
    broken = "package broken_test\n\ntest_x if {\n"
    (tmp_path / "broken_test.rego").write_text(broken, encoding="utf-8")
    results = run_rego_tests(tmp_path, None)
    assert len(results) == 1
    assert not results[0].passed


def test_load_bundle_files_excludes_tests_unless_asked() -> None:
    production = load_bundle_files(DEFAULT_REGO_DIR)
    everything = load_bundle_files(DEFAULT_REGO_DIR, include_tests=True)
    assert "fr/baseline/warrant.rego" in production
    assert "fr/main/main.rego" in production
    assert not any(path.endswith("_test.rego") for path in production)
    assert "fr/baseline/warrant_test.rego" in everything
    assert set(production) < set(everything)


def test_fixtures_are_loaded_by_file_stem() -> None:
    fixtures = load_fixtures(DEFAULT_FIXTURES_DIR)
    assert set(fixtures) == {path.stem for path in FIXTURE_PATHS}
    engine = build_engine(DEFAULT_REGO_DIR, fixtures_dir=DEFAULT_FIXTURES_DIR)
    stem = FIXTURE_PATHS[0].stem
    # eval_rule only resolves rules; plain data is read with a query.
    answer = engine.eval_query(f"data.fr_fixtures.{stem}.name")
    assert answer["result"][0]["expressions"][0]["value"] == fixtures[stem]["name"]


# --- conformance fixtures ------------------------------------------------------------------


def test_there_are_enough_fixtures() -> None:
    assert len(FIXTURE_PATHS) >= 40


@pytest.mark.parametrize("path", FIXTURE_PATHS, ids=[p.stem for p in FIXTURE_PATHS])
def test_fixture_conforms(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    assert set(fixture) <= {"name", "description", "input", "expect", "config"}
    assert fixture["name"].strip()
    assert fixture["description"].strip()
    expect = fixture["expect"]
    decision = _decide(fixture["input"], fixture.get("config"))
    codes = [reason["code"] for reason in decision["reasons"]]
    assert decision["allow"] is expect["allow"], codes
    assert set(expect.get("codes_present", [])) <= set(codes)
    assert not set(expect.get("codes_absent", [])) & set(codes)
    for key, value in expect.get("obligations", {}).items():
        assert key in decision["obligations"], key
        assert decision["obligations"][key] == value, key


# --- overlays and robustness ---------------------------------------------------------------

HOSTILE_OVERLAY = """
package fr.overlays.tps

import rego.v1

default allow := true

decision := {"allow": true, "reasons": [], "obligations": {}}

obligations := {"human_review_required": false}

deny contains {
    "code": "tps_public_web_prohibited",
    "message": "TPS Board policy forbids public-web probes.",
    "authority": "TPSB AI Policy (board overlay).",
} if input.probe.source == "public_web"
"""


def _fixture_input(stem: str) -> dict[str, Any]:
    fixture = json.loads((DEFAULT_FIXTURES_DIR / f"{stem}.json").read_text(encoding="utf-8"))
    loaded: dict[str, Any] = fixture["input"]
    return loaded


def test_real_overlay_package_adds_denies_but_cannot_allow() -> None:
    engine = build_engine(
        DEFAULT_REGO_DIR, extra_policies={"fr/overlays/tps/overlay.rego": HOSTILE_OVERLAY}
    )

    def decide(inp: dict[str, Any]) -> Any:
        engine.set_input(inp)
        return engine.eval_rule("data.fr.main.decision")

    clean = _fixture_input("tps_ica_robbery_allowed")
    assert decide(clean)["allow"] is True

    public_web = copy.deepcopy(clean)
    public_web["probe"]["source"] = "public_web"
    denied = decide(public_web)
    assert denied["allow"] is False
    deny_codes = [r["code"] for r in denied["reasons"] if r["kind"] == "deny"]
    assert deny_codes == ["tps_public_web_prohibited"]

    prohibited = copy.deepcopy(clean)
    prohibited["purpose"] = "protest_monitoring"
    still_denied = decide(prohibited)
    assert still_denied["allow"] is False
    assert "purpose_prohibited" in [r["code"] for r in still_denied["reasons"]]
    assert still_denied["obligations"]["human_review_required"] is True

    other_agency = _fixture_input("peel_brampton_probe_in_service_area")
    other_agency["probe"]["source"] = "public_web"
    engine.set_input(other_agency)
    unaffected = engine.eval_rule("data.fr.main.decision")
    assert unaffected == engine.eval_rule("data.fr.baseline.decision")
    assert unaffected["allow"] is True


def _mutations(doc: Any, rng: random.Random) -> Any:
    junk: list[Any] = [None, 0, -1.5, "", " ", "x", True, False, [], {}, [1, None], {"a": 1}]
    junk += [
        "2026-02-30T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2262-04-11T23:47:17Z",
        "2026-11-26T17:00:00+24:00",
        "2026-11-26T17:00:00",
        "1677-12-31T23:59:59Z",
    ]
    paths: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, [*path, index])

    walk(doc, [])
    path = rng.choice(paths)
    value = copy.deepcopy(rng.choice(junk))
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


def test_no_input_makes_the_decision_raise_or_vanish() -> None:
    rng = random.Random(20261126)
    sources = [json.loads(p.read_text(encoding="utf-8"))["input"] for p in FIXTURE_PATHS]
    for _ in range(400):
        doc = copy.deepcopy(rng.choice(sources))
        for _ in range(rng.randint(1, 3)):
            doc = _mutations(doc, rng)
        decision = _decide(doc)
        assert isinstance(decision, dict), doc
        assert isinstance(decision["allow"], bool)
        assert set(OBLIGATION_KEYS.values()) <= set(decision["obligations"])
        if any(r["code"] == "request_malformed" for r in decision["reasons"]):
            assert [r["code"] for r in decision["reasons"]] == ["request_malformed"]
            assert decision["allow"] is False
