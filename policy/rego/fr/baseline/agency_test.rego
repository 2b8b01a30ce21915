package fr.baseline_test

rcmp := object.union(base, {
	"user": {"id": "rcmp-88120", "agency_id": "rcmp"},
	"agency": {
		"id": "rcmp",
		"name": "Royal Canadian Mounted Police",
		"kind": "federal",
		"jurisdiction": "CA",
		"municipality": "",
		"service_area_municipalities": [],
	},
	"gallery": {"id": "rcmp-ica", "owner_agency_id": "rcmp", "owner_jurisdiction": "CA"},
})

opp := object.union(base, {
	"user": {"id": "opp-3310", "agency_id": "opp"},
	"agency": {
		"id": "opp",
		"name": "Ontario Provincial Police",
		"kind": "provincial",
		"jurisdiction": "CA-ON",
		"municipality": "",
		"service_area_municipalities": [],
	},
	"gallery": {"id": "opp-ica", "owner_agency_id": "opp"},
})

# --- C-01 agency_not_law_enforcement ----------------------------------------------------

test_c01_agency_not_law_enforcement_fires_for_oversight_body if {
	inp := patch(base, {"agency": {"kind": "oversight"}})
	denied_with(inp, "agency_not_law_enforcement")
	silent(inp, "agency_profile_invalid")
}

test_c01_boundary_each_police_kind_accepted if {
	allowed(base)
	allowed(opp)
	allowed(rcmp)
}

test_c01_malformed_unknown_or_missing_kind_denied if {
	inp := patch(base, {"agency": {"kind": "private_security"}})
	denied_with(inp, "agency_not_law_enforcement")
	denied_with(inp, "agency_profile_invalid")
	denied_with(patch(base, {"agency": {"kind": 1}}), "agency_not_law_enforcement")
	denied_with(drop(base, ["agency/kind"]), "agency_not_law_enforcement")
}

# --- C-02 agency_profile_invalid --------------------------------------------------------

test_c02_agency_profile_invalid_fires_for_federal_outside_ca if {
	denied_with(patch(rcmp, {"agency": {"jurisdiction": "CA-BC"}}), "agency_profile_invalid")
}

test_c02_agency_profile_invalid_fires_for_municipal_without_province if {
	denied_with(patch(base, {"agency": {"jurisdiction": "CA"}}), "agency_profile_invalid")
	denied_with(patch(base, {"agency": {"jurisdiction": "CA-ZZ"}}), "agency_profile_invalid")
	denied_with(patch(base, {"agency": {"jurisdiction": "US-NY"}}), "agency_profile_invalid")
}

test_c02_agency_profile_invalid_fires_for_municipal_without_municipality if {
	denied_with(patch(base, {"agency": {"municipality": "  "}}), "agency_profile_invalid")
	silent(patch(opp, {"agency": {"municipality": ""}}), "agency_profile_invalid")
}

test_c02_agency_profile_invalid_fires_for_gallery_owner_jurisdiction if {
	denied_with(patch(base, {"gallery": {"owner_jurisdiction": "US-NY"}}), "agency_profile_invalid")
	denied_with(patch(base, {"gallery": {"owner_jurisdiction": "ca-on"}}), "agency_profile_invalid")
	denied_with(drop(base, ["gallery/owner_jurisdiction"]), "agency_profile_invalid")
}

test_c02_boundary_valid_profiles if {
	silent(base, "agency_profile_invalid")
	silent(rcmp, "agency_profile_invalid")
	allowed(patch(base, {"gallery": {"owner_jurisdiction": "CA"}}))
}

test_c02_malformed_non_string_fields_denied if {
	denied_with(patch(base, {"agency": {"jurisdiction": ["CA-ON"]}}), "agency_profile_invalid")
	denied_with(patch(base, {"agency": {"municipality": 416}}), "agency_profile_invalid")
	denied_with(patch(base, {"gallery": {"owner_jurisdiction": null}}), "agency_profile_invalid")
}

# --- C-03 pia_not_completed -------------------------------------------------------------

test_c03_pia_not_completed_fires_when_false if {
	denied_with(patch(base, {"agency": {"pia_completed": false}}), "pia_not_completed")
	denied_with(patch(rcmp, {"agency": {"pia_completed": false}}), "pia_not_completed")
}

test_c03_boundary_missing_flag_denies if {
	denied_with(drop(base, ["agency/pia_completed"]), "pia_not_completed")
	silent(base, "pia_not_completed")
}

test_c03_malformed_string_flag_denied if {
	denied_with(patch(base, {"agency": {"pia_completed": "true"}}), "pia_not_completed")
}

# --- C-04 fr_program_not_approved -------------------------------------------------------

test_c04_fr_program_not_approved_fires_when_false if {
	denied_with(patch(base, {"agency": {"fr_program_approved": false}}), "fr_program_not_approved")
}

test_c04_boundary_missing_flag_denies if {
	denied_with(drop(base, ["agency/fr_program_approved"]), "fr_program_not_approved")
	silent(base, "fr_program_not_approved")
}

test_c04_malformed_null_flag_denied if {
	denied_with(patch(base, {"agency": {"fr_program_approved": null}}), "fr_program_not_approved")
}
