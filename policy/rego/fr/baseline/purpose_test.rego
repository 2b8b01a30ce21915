package fr.baseline_test

# A missing-person search against a provincial statutory gallery (no offence needed).
missing_person := object.union(base, {
	"purpose": "missing_person",
	"offence": null,
	"probe": {"source": "witness_submission"},
	"gallery": {
		"id": "on-missing-persons",
		"legal_basis": "provincial_statute",
	},
})

terrorism := {"code": "CC 83.18", "category": "terrorism", "indictable": true}

# --- P-01 purpose_prohibited ------------------------------------------------------------

test_p01_purpose_prohibited_fires_for_each_prohibited_purpose if {
	every purpose in [
		"general_surveillance", "protest_monitoring", "immigration_status", "employment_screening",
		"personal_use", "demographic_profiling", "civil_or_bylaw_enforcement", "vendor_testing",
	] {
		denied_with(patch(base, {"purpose": purpose}), "purpose_prohibited")
	}
}

test_p01_purpose_prohibited_not_cured_by_warrant_or_exigency if {
	inp := patch(third_party, {
		"purpose": "protest_monitoring",
		"warrant": {"authorized_purposes": ["protest_monitoring"]},
		"exigent": exigent_claim,
	})
	denied_with(inp, "purpose_prohibited")
	silent(inp, "purpose_unknown")
}

test_p01_boundary_vocabulary_is_exact if {
	inp := patch(base, {"purpose": "Protest_Monitoring"})
	silent(inp, "purpose_prohibited")
	denied_with(inp, "purpose_unknown")
}

test_p01_malformed_purpose_type_is_request_malformed if {
	only_malformed(patch(base, {"purpose": {"name": "protest_monitoring"}}))
}

# --- P-02 purpose_unknown ---------------------------------------------------------------

test_p02_purpose_unknown_fires_for_unlisted_purpose if {
	denied_with(patch(base, {"purpose": "intelligence_gathering"}), "purpose_unknown")
}

test_p02_boundary_blank_purpose_is_unknown if {
	denied_with(patch(base, {"purpose": ""}), "purpose_unknown")
	silent(base, "purpose_unknown")
}

test_p02_malformed_number_purpose_is_request_malformed if {
	only_malformed(patch(base, {"purpose": 3}))
}

# --- P-03 purpose_not_permitted_for_agency ----------------------------------------------

test_p03_purpose_not_permitted_for_agency_fires_for_municipal if {
	inp := patch(base, {"purpose": "national_security", "offence": terrorism})
	denied_with(inp, "purpose_not_permitted_for_agency")
	denied_with(patch(opp, {"purpose": "national_security", "offence": terrorism}), "purpose_not_permitted_for_agency")
}

test_p03_boundary_federal_police_may_search if {
	allowed(patch(rcmp, {"purpose": "national_security", "offence": terrorism}))
}

test_p03_malformed_agency_kind_still_denied if {
	inp := patch(base, {"purpose": "national_security", "offence": terrorism, "agency": {"kind": null}})
	denied_with(inp, "agency_not_law_enforcement")
}

# --- P-04 offence_missing ---------------------------------------------------------------

test_p04_offence_missing_fires_without_offence if {
	every purpose in ["criminal_investigation", "child_exploitation", "national_security", "victim_identification"] {
		denied_with(patch(base, {"purpose": purpose, "offence": null}), "offence_missing")
	}
}

test_p04_offence_missing_fires_on_blank_code_or_category if {
	denied_with(patch(base, {"offence": {"code": " "}}), "offence_missing")
	denied_with(patch(base, {"offence": {"category": ""}}), "offence_missing")
	denied_with(drop(base, ["offence/category"]), "offence_missing")
}

test_p04_boundary_humanitarian_purposes_need_no_offence if {
	silent(missing_person, "offence_missing")
	allowed(missing_person)
}

test_p04_malformed_offence_not_an_object_denied if {
	denied_with(patch(base, {"offence": "robbery"}), "offence_missing")
	denied_with(patch(base, {"offence": {"code": 344, "category": "robbery", "indictable": true}}), "offence_missing")
}

# --- P-05 offence_summary_only ----------------------------------------------------------

test_p05_offence_summary_only_fires_when_not_indictable if {
	inp := patch(base, {"offence": {"code": "CC 266(b)", "category": "assault", "indictable": false}})
	denied_with(inp, "offence_summary_only")
}

test_p05_boundary_present_offence_with_blank_code_is_still_checked if {
	inp := patch(base, {"offence": {"code": "", "indictable": false}})
	denied_with(inp, "offence_summary_only")
	denied_with(inp, "offence_missing")
	silent(patch(base, {"offence": null}), "offence_summary_only")
	silent(patch(missing_person, {"offence": {"code": "CC 266", "category": "assault", "indictable": false}}), "offence_summary_only")
}

test_p05_malformed_indictable_flag_denied if {
	denied_with(patch(base, {"offence": {"indictable": "true"}}), "offence_summary_only")
	denied_with(drop(base, ["offence/indictable"]), "offence_summary_only")
}

# --- P-06 offence_below_seriousness_threshold -------------------------------------------

test_p06_offence_below_seriousness_threshold_fires_for_listed_category if {
	inp := patch(base, {"offence": {"code": "CC 334(b)", "category": "theft_under_5000"}})
	denied_with(inp, "offence_below_seriousness_threshold")
}

test_p06_offence_below_seriousness_threshold_applies_whatever_the_purpose if {
	inp := patch(missing_person, {"offence": {"code": "HTA 128", "category": "provincial_offence", "indictable": false}})
	denied_with(inp, "offence_below_seriousness_threshold")
}

test_p06_boundary_category_is_normalized_and_list_configurable if {
	inp := patch(base, {"offence": {"category": " Mischief_Under_5000 "}})
	denied_with(inp, "offence_below_seriousness_threshold")
	d := decide_cfg(inp, object.union(config, {"low_severity_categories": ["bylaw"]}))
	d.allow
	e := decide_cfg(base, object.union(config, {"low_severity_categories": ["robbery"]}))
	"offence_below_seriousness_threshold" in codes_of(e)
}

test_p06_malformed_category_type_denied if {
	inp := patch(base, {"offence": {"category": ["theft_under_5000"]}})
	silent(inp, "offence_below_seriousness_threshold")
	denied_with(inp, "offence_missing")
}

# --- P-07 purpose_offence_mismatch ------------------------------------------------------

test_p07_purpose_offence_mismatch_fires_for_child_exploitation if {
	denied_with(patch(base, {"purpose": "child_exploitation"}), "purpose_offence_mismatch")
}

test_p07_purpose_offence_mismatch_fires_for_national_security if {
	inp := patch(rcmp, {"purpose": "national_security", "offence": {"category": "fraud_over_5000"}})
	denied_with(inp, "purpose_offence_mismatch")
}

test_p07_boundary_matching_categories_and_absent_offence if {
	allowed(patch(base, {"purpose": "child_exploitation", "offence": {"code": "CC 163.1(2)", "category": "child_sexual_exploitation"}}))
	allowed(patch(rcmp, {"purpose": "national_security", "offence": {"code": "CC 83.2", "category": "national_security_offence"}}))

	# Without an offence P-07 is not evaluated; P-04 reports the gap.
	inp := patch(base, {"purpose": "child_exploitation", "offence": null})
	silent(inp, "purpose_offence_mismatch")
	denied_with(inp, "offence_missing")
}

test_p07_malformed_missing_category_is_a_mismatch if {
	inp := drop(patch(base, {"purpose": "child_exploitation"}), ["offence/category"])
	denied_with(inp, "purpose_offence_mismatch")
	denied_with(patch(base, {"purpose": "child_exploitation", "offence": {"category": 5}}), "purpose_offence_mismatch")
}

# --- P-08 exigent_required_for_purpose --------------------------------------------------

test_p08_exigent_required_for_purpose_fires_without_claim if {
	denied_with(patch(base, {"purpose": "imminent_threat_to_life", "offence": null}), "exigent_required_for_purpose")
}

test_p08_boundary_valid_versus_stale_exigent_path if {
	silent(exigent, "exigent_required_for_purpose")
	allowed(exigent)
	inp := patch(exigent, {"exigent": {"approved_at": "2026-11-25T16:59:59Z"}})
	denied_with(inp, "exigent_required_for_purpose")
	denied_with(inp, "exigent_approval_stale")
}

test_p08_malformed_exigent_block_denied if {
	denied_with(patch(exigent, {"exigent": "approved by sergeant"}), "exigent_required_for_purpose")
	denied_with(patch(exigent, {"exigent": {"claimed": "true"}}), "exigent_required_for_purpose")
}
