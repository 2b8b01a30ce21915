package fr.main_test

base := data.fr.baseline_test.base

exigent := data.fr.baseline_test.exigent

third_party := data.fr.baseline_test.third_party

patch(doc, overrides) := object.union(doc, overrides)

no_public_web := {
	"code": "tps_public_web_prohibited",
	"message": "TPS Board policy forbids public-web probes.",
	"authority": "TPSB AI Policy s. 19 (board overlay).",
}

public_web := patch(base, {"probe": {"source": "public_web"}})

# The overlay document an agency's package evaluates to, as main sees it.
overlays(deny_set) := {"tps": {"deny": deny_set}}

main_decision(inp, overlay_docs) := d if {
	d := data.fr.main.decision with input as inp with data.fr.overlays as overlay_docs
}

baseline_decision(inp) := d if {
	d := data.fr.baseline.decision with input as inp
}

codes(d) := [r.code | some r in d.reasons]

test_main_without_overlay_equals_baseline if {
	every inp in [base, public_web, exigent, third_party, patch(base, {"user": {"mfa_verified": false}}), []] {
		main_decision(inp, {}) == baseline_decision(inp)
	}
}

test_main_overlay_for_another_agency_is_ignored if {
	d := main_decision(public_web, {"peel": {"deny": {no_public_web}}})
	d == baseline_decision(public_web)
	d.allow
}

test_main_overlay_deny_blocks_an_allowed_search if {
	d := main_decision(public_web, overlays({no_public_web}))
	d.allow == false
	codes(d) == ["tps_public_web_prohibited", "authority_no_warrant_required"]
	some r in d.reasons
	r.code == "tps_public_web_prohibited"
	r.kind == "deny"
	r.message == no_public_web.message
	r.authority == no_public_web.authority
	r.rule == "overlay:tps"
	d.obligations == baseline_decision(public_web).obligations
}

test_main_overlay_reasons_follow_baseline_denies_and_precede_infos if {
	inp := patch(public_web, {"user": {"mfa_verified": false}})
	d := main_decision(inp, overlays({no_public_web}))
	codes(d) == ["mfa_not_verified", "tps_public_web_prohibited", "authority_no_warrant_required"]
}

test_main_overlay_that_does_not_fire_leaves_the_decision_alone if {
	main_decision(base, overlays(set())) == baseline_decision(base)
}

test_main_overlay_cannot_allow_what_the_baseline_denies if {
	denied_by_baseline := patch(base, {"purpose": "protest_monitoring"})
	hostile := {"tps": {
		"allow": true,
		"deny": set(),
		"decision": {"allow": true, "reasons": [], "obligations": {}},
		"obligations": {"human_review_required": false},
	}}
	d := main_decision(denied_by_baseline, hostile)
	d.allow == false
	"purpose_prohibited" in codes(d)
	d.obligations.human_review_required == true
}

test_main_overlay_cannot_replace_baseline_obligations if {
	hostile := {"tps": {"deny": set(), "obligations": {"max_candidates": 500}}}
	d := main_decision(base, hostile)
	d.obligations.max_candidates == 20
}

test_main_malformed_overlay_entries_fail_closed if {
	d := main_decision(base, overlays({"no public web", {"message": "missing code"}}))
	d.allow == false
	codes(d) == ["overlay_policy_invalid", "authority_no_warrant_required"]
}

test_main_overlay_deny_that_is_not_a_collection_fails_closed if {
	d := main_decision(base, {"tps": {"deny": true}})
	d.allow == false
	"overlay_policy_invalid" in codes(d)
}

test_main_overlay_deny_as_array_is_read if {
	d := main_decision(public_web, {"tps": {"deny": [no_public_web]}})
	d.allow == false
	"tps_public_web_prohibited" in codes(d)
}

test_main_overlay_lookup_is_by_agency_id if {
	peel_rule := object.union(no_public_web, {"code": "peel_rule"})
	docs := {"tps": {"deny": {no_public_web}}, "peel": {"deny": {peel_rule}}}
	peel_input := patch(public_web, {
		"user": {"agency_id": "peel"},
		"agency": {"id": "peel"},
		"gallery": {"owner_agency_id": "peel"},
	})
	"peel_rule" in codes(main_decision(peel_input, docs))
	not "tps_public_web_prohibited" in codes(main_decision(peel_input, docs))
	"tps_public_web_prohibited" in codes(main_decision(public_web, docs))
}

test_main_non_slug_agency_id_reads_no_overlay if {
	inp := patch(public_web, {"user": {"agency_id": "TPS"}, "agency": {"id": "TPS"}})
	d := main_decision(inp, {"TPS": {"deny": {no_public_web}}})
	not "tps_public_web_prohibited" in codes(d)
}

test_main_malformed_input_is_denied_whatever_the_overlay if {
	d := main_decision(patch(base, {"now": "tomorrow"}), {"tps": {"allow": true, "deny": set()}})
	d.allow == false
	codes(d) == ["request_malformed"]
}

test_main_fixtures_conform if {
	count(data.fr_fixtures) >= 40
	every name, fixture in data.fr_fixtures {
		conforms(name, fixture)
	}
}

fixture_config(fixture) := object.union(data.fr.config, fixture.config) if is_object(fixture.config)

else := data.fr.config

conforms(_, fixture) if {
	d := data.fr.main.decision with input as fixture.input with data.fr.config as fixture_config(fixture)
	d.allow == fixture.expect.allow
	found := {r.code | some r in d.reasons}
	every code in object.get(fixture.expect, "codes_present", []) {
		code in found
	}
	every code in object.get(fixture.expect, "codes_absent", []) {
		not code in found
	}
	every key, value in object.get(fixture.expect, "obligations", {}) {
		d.obligations[key] == value
	}
}
