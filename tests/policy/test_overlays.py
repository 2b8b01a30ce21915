"""Agency overlays: baseline AND overlay, so an overlay can deny more but never allow more."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from policy.bundle import Bundle, bundle_from_directory
from policy.embedded import EmbeddedRegoEngine

EXAMPLE = Path(settings.BASE_DIR) / "policy" / "overlay_examples" / "no_live_feed.rego"
CASES = Path(settings.BASE_DIR) / "policy" / "fixtures" / "cases"


def case_input(name: str, agency_id: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(json.loads((CASES / name).read_text())["input"])
    document["agency"]["id"] = document["user"]["agency_id"] = agency_id
    document["gallery"]["owner_agency_id"] = agency_id
    if isinstance(document.get("warrant"), dict) and document["warrant"].get("applicant_agency_id"):
        document["warrant"]["applicant_agency_id"] = agency_id
    return document


def engine_with_overlay(agency_id: str, text: str) -> EmbeddedRegoEngine:
    base = bundle_from_directory(settings.POLICY_REGO_DIR)
    overlay = text.replace("package fr.overlays.example", f"package fr.overlays.{agency_id}")
    modules = {**base.modules, f"fr/overlays/{agency_id}/overlay.rego": overlay}
    return EmbeddedRegoEngine(Bundle(modules=modules, data=base.data))


def test_an_overlay_denies_what_the_baseline_allows_for_its_own_agency_only() -> None:
    engine = engine_with_overlay("peel", EXAMPLE.read_text())
    live = case_input("tps_live_feed_general_warrant.json", "peel")
    plain = EmbeddedRegoEngine(bundle_from_directory(settings.POLICY_REGO_DIR))
    assert plain.decide(live).allow is True
    decided = engine.decide(live)
    assert decided.allow is False
    assert "local_live_feed_not_approved" in decided.codes
    reason = next(r for r in decided.reasons if r["code"] == "local_live_feed_not_approved")
    assert reason["authority"].startswith("Agency FR program approval")
    other = case_input("tps_live_feed_general_warrant.json", "york")
    assert engine.decide(other).allow is True


def test_an_overlay_cannot_allow_what_the_baseline_denies() -> None:
    permissive = """package fr.overlays.peel
import rego.v1
allow := true
decision := {"allow": true, "reasons": [], "obligations": {}}
deny := set()
"""
    engine = engine_with_overlay("peel", permissive)
    denied = case_input("tps_live_feed_production_order.json", "peel")
    decided = engine.decide(denied)
    assert decided.allow is False
    assert decided.codes  # the baseline's reasons are still reported


def test_a_broken_overlay_fails_closed() -> None:
    broken = """package fr.overlays.peel
import rego.v1
deny := "everything"
"""
    engine = engine_with_overlay("peel", broken)
    allowed = case_input("tps_live_feed_general_warrant.json", "peel")
    decided = engine.decide(allowed)
    assert decided.allow is False
    assert "overlay_policy_invalid" in decided.codes
