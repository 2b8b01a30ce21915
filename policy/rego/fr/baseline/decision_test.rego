package fr.baseline_test

catalog := data.fr.baseline.reason_catalog

# Every failure at once: the kitchen-sink request below breaks one rule in most sections.
many_failures := object.union(base, {
	"case_number": " ",
	"justification": "because",
	"user": {"mfa_verified": false, "roles": ["investigator", "auditor"]},
	"agency": {"pia_completed": false},
	"offence": {"category": "theft_under_5000"},
	"probe": {"source": "public_web", "collected_municipality": "Vaughan"},
	"gallery": {"contains_youth_records": true, "ycja_access_period_enforced": false},
	"exigent": object.union(exigent_claim, {"category": "imminent_loss_of_evidence"}),
})

test_decision_catalog_has_56_deny_and_5_info_reasons if {
	count({c | some c, e in catalog; e.kind == "deny"}) == 56
	count({c | some c, e in catalog; e.kind == "info"}) == 5
	count({e.rule | some e in catalog}) == 61
}

test_decision_catalog_entries_are_complete if {
	every code, entry in catalog {
		object.keys(entry) == {"rule", "kind", "message", "authority"}
		regex.match(`^[ABCEJPQSWY]-[0-9]{2}$`, entry.rule)
		regex.match(`^[a-z_]+$`, code)
		trim_space(entry.message) != ""
		trim_space(entry.authority) != ""
	}
}

test_decision_reports_every_failure_at_once if {
	d := decide(many_failures)
	d.allow == false
	{
		"case_number_missing", "justification_insufficient", "mfa_not_verified",
		"segregation_of_duties_conflict", "pia_not_completed", "offence_below_seriousness_threshold",
		"ycja_access_period_unverified", "exigent_category_ineligible",
		"exigent_approval_not_for_this_search",
	} == {r.code | some r in d.reasons; r.kind == "deny"}
	{"probe_outside_municipality_notice", "authority_no_warrant_required"} == {r.code | some r in d.reasons; r.kind == "info"}
}

test_decision_reasons_deny_first_then_info_each_sorted_by_rule if {
	d := decide(many_failures)
	kinds := [r.kind | some r in d.reasons]
	kinds == array.concat([k | some k in kinds; k == "deny"], [k | some k in kinds; k == "info"])
	denies := [r.rule | some r in d.reasons; r.kind == "deny"]
	infos := [r.rule | some r in d.reasons; r.kind == "info"]
	denies == sort(denies)
	infos == sort(infos)
	denies == ["A-02", "A-03", "B-03", "B-06", "C-03", "E-05", "E-09", "P-06", "Y-02"]
	infos == ["J-04", "W-14"]
}

test_decision_reason_shape_and_text_come_from_the_catalog if {
	d := decide(many_failures)
	every r in d.reasons {
		object.keys(r) == {"code", "message", "authority", "rule", "kind"}
		entry := catalog[r.code]
		r.message == entry.message
		r.authority == entry.authority
		r.rule == entry.rule
		r.kind == entry.kind
	}
}

test_decision_info_never_changes_allow if {
	d := decide(patch(base, {"probe": {"collected_municipality": "Vaughan"}}))
	d.allow
	count(d.reasons) == 2
}

test_decision_every_fired_code_is_catalogued if {
	every inp in [base, many_failures, exigent, live_feed, third_party, under_jfo, foreign, []] {
		fired := data.fr.baseline.deny | data.fr.baseline.info with input as inp
		every code in fired {
			code in object.keys(catalog)
		}
		count(decide(inp).reasons) >= 1
	}
}

test_decision_malformed_reasons_are_exactly_request_malformed if {
	d := decide(patch(many_failures, {"now": "2026-11-26T17:00:00"}))
	d.allow == false
	d.reasons == [{
		"code": "request_malformed",
		"message": "Request is malformed or contains an unparsable timestamp; no biometric processing performed.",
		"authority": "Fail-closed design; OPC FR guidance (May 2022), accountability principle.",
		"rule": "A-01",
		"kind": "deny",
	}]
}

test_decision_config_missing_falls_back_to_defaults if {
	d := decide_cfg(base, {})
	d.allow
	d.obligations.max_candidates == 20
	e := decide_cfg(patch(base, {"justification": "Robbery suspect 1 A"}), "not an object")
	e.allow == false
}
