package fr.baseline_test

youth_gallery := object.union(base, {"gallery": {"contains_youth_records": true, "ycja_access_period_enforced": true}})

# --- Y-01 ycja_purpose_not_permitted ----------------------------------------------------

test_y01_ycja_purpose_not_permitted_fires_for_humanitarian_purpose if {
	inp := patch(missing_person, {"gallery": {"contains_youth_records": true}})
	denied_with(inp, "ycja_purpose_not_permitted")
}

test_y01_ycja_purpose_not_permitted_not_cured_by_exigency if {
	inp := patch(exigent, {"gallery": {"contains_youth_records": true}})
	denied_with(inp, "ycja_purpose_not_permitted")
	fires(inp, "authority_exigent_circumstances")
}

test_y01_boundary_law_enforcement_purposes_allowed if {
	d := decide(youth_gallery)
	d.allow
	d.obligations.ycja_handling == true
	d.obligations.supervisor_notification == true
	allowed(patch(youth_gallery, {"purpose": "victim_identification"}))
}

test_y01_malformed_youth_flag_treated_as_true if {
	denied_with(patch(missing_person, {"gallery": {"contains_youth_records": "false"}}), "ycja_purpose_not_permitted")
	denied_with(drop(missing_person, ["gallery/contains_youth_records"]), "ycja_purpose_not_permitted")
}

# --- Y-02 ycja_access_period_unverified -------------------------------------------------

test_y02_ycja_access_period_unverified_fires_without_attestation if {
	denied_with(patch(youth_gallery, {"gallery": {"ycja_access_period_enforced": false}}), "ycja_access_period_unverified")
}

test_y02_boundary_adult_only_gallery_needs_no_attestation if {
	allowed(patch(base, {"gallery": {"ycja_access_period_enforced": false}}))
	inp := drop(base, ["gallery/contains_youth_records", "gallery/ycja_access_period_enforced"])
	denied_with(inp, "ycja_access_period_unverified")
}

test_y02_malformed_attestation_denied if {
	denied_with(patch(youth_gallery, {"gallery": {"ycja_access_period_enforced": "true"}}), "ycja_access_period_unverified")
	denied_with(patch(youth_gallery, {"gallery": {"contains_youth_records": null, "ycja_access_period_enforced": null}}), "ycja_access_period_unverified")
}
