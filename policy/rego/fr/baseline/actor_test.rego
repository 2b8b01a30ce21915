package fr.baseline_test

# --- B-01 user_agency_mismatch ----------------------------------------------------------

test_b01_user_agency_mismatch_fires_for_another_agency if {
	denied_with(patch(base, {"user": {"agency_id": "peel"}}), "user_agency_mismatch")
}

test_b01_boundary_missing_ids_on_either_side_mismatch if {
	denied_with(drop(base, ["user/agency_id"]), "user_agency_mismatch")
	denied_with(drop(base, ["agency/id"]), "user_agency_mismatch")
	denied_with(patch(base, {"user": {"agency_id": ""}, "agency": {"id": ""}}), "user_agency_mismatch")
	silent(base, "user_agency_mismatch")
}

test_b01_malformed_non_string_ids_denied if {
	denied_with(patch(base, {"user": {"agency_id": 17}, "agency": {"id": 17}}), "user_agency_mismatch")
}

# --- B-02 user_role_not_permitted -------------------------------------------------------

test_b02_user_role_not_permitted_fires_for_supervisor_only if {
	denied_with(patch(base, {"user": {"roles": ["supervisor"]}}), "user_role_not_permitted")
}

test_b02_user_role_not_permitted_fires_for_admin_and_unknown_roles if {
	denied_with(patch(base, {"user": {"roles": ["agency_admin", "investigator_trainee"]}}), "user_role_not_permitted")
	denied_with(patch(base, {"user": {"roles": ["Investigator"]}}), "user_role_not_permitted")
	denied_with(patch(base, {"user": {"roles": []}}), "user_role_not_permitted")
}

test_b02_boundary_analyst_may_search if {
	allowed(patch(base, {"user": {"roles": ["analyst"]}}))
	allowed(patch(base, {"user": {"roles": ["supervisor", "investigator", "made_up_role"]}}))
}

test_b02_malformed_roles_not_a_list_denied if {
	denied_with(patch(base, {"user": {"roles": "investigator"}}), "user_role_not_permitted")
	denied_with(drop(base, ["user/roles"]), "user_role_not_permitted")
	denied_with(patch(base, {"user": {"roles": [{"name": "investigator"}]}}), "user_role_not_permitted")
}

# --- B-03 segregation_of_duties_conflict ------------------------------------------------

test_b03_segregation_of_duties_conflict_fires_for_investigator_auditor if {
	denied_with(patch(base, {"user": {"roles": ["investigator", "auditor"]}}), "segregation_of_duties_conflict")
	denied_with(patch(base, {"user": {"roles": ["analyst", "compliance_officer"]}}), "segregation_of_duties_conflict")
}

test_b03_boundary_oversight_role_without_search_role if {
	inp := patch(base, {"user": {"roles": ["supervisor", "auditor"]}})
	silent(inp, "segregation_of_duties_conflict")
	denied_with(inp, "user_role_not_permitted")
}

test_b03_malformed_roles_string_denied if {
	inp := patch(base, {"user": {"roles": "investigator,auditor"}})
	silent(inp, "segregation_of_duties_conflict")
	denied_with(inp, "user_role_not_permitted")
}

# --- B-04 training_not_completed --------------------------------------------------------

test_b04_training_not_completed_fires_when_false if {
	denied_with(patch(base, {"user": {"training_completed": false}}), "training_not_completed")
}

test_b04_boundary_missing_flag_is_not_completed if {
	denied_with(drop(base, ["user/training_completed"]), "training_not_completed")
	silent(base, "training_not_completed")
}

test_b04_malformed_truthy_values_are_not_true if {
	denied_with(patch(base, {"user": {"training_completed": "true"}}), "training_not_completed")
	denied_with(patch(base, {"user": {"training_completed": 1}}), "training_not_completed")
}

# --- B-05 training_expired --------------------------------------------------------------

test_b05_training_expired_fires_when_past if {
	denied_with(patch(base, {"user": {"training_expires_at": "2026-11-01T00:00:00Z"}}), "training_expired")
}

test_b05_boundary_expiry_exactly_at_now_with_offset if {
	# 12:00 at -05:00 is the same instant as now (17:00Z): expired.
	denied_with(patch(base, {"user": {"training_expires_at": "2026-11-26T12:00:00-05:00"}}), "training_expired")
	allowed(patch(base, {"user": {"training_expires_at": "2026-11-26T12:00:01-05:00"}}))
}

test_b05_boundary_missing_expiry_is_expired if {
	denied_with(drop(base, ["user/training_expires_at"]), "training_expired")
	denied_with(patch(base, {"user": {"training_expires_at": null}}), "training_expired")
}

test_b05_malformed_expiry_is_request_malformed if {
	only_malformed(patch(base, {"user": {"training_expires_at": "2027-02-30T00:00:00Z"}}))
	only_malformed(patch(base, {"user": {"training_expires_at": true}}))
}

# --- B-06 mfa_not_verified --------------------------------------------------------------

test_b06_mfa_not_verified_fires_when_false if {
	denied_with(patch(base, {"user": {"mfa_verified": false}}), "mfa_not_verified")
}

test_b06_boundary_missing_flag_is_not_verified if {
	denied_with(drop(base, ["user/mfa_verified"]), "mfa_not_verified")
	silent(base, "mfa_not_verified")
}

test_b06_malformed_truthy_values_are_not_true if {
	denied_with(patch(base, {"user": {"mfa_verified": "yes"}}), "mfa_not_verified")
}
