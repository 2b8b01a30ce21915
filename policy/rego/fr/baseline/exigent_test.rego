package fr.baseline_test

with_claim(overrides) := patch(exigent, {"exigent": overrides})

# --- E-01 exigent_no_supervisor_approval ------------------------------------------------

test_e01_exigent_no_supervisor_approval_fires_for_blank_approver if {
	inp := with_claim({"supervisor_approved_by": " "})
	denied_with(inp, "exigent_no_supervisor_approval")
	silent(inp, "exigent_approver_not_supervisor")
	silent(inp, "authority_exigent_circumstances")
}

test_e01_boundary_only_evaluated_when_claimed if {
	silent(base, "exigent_no_supervisor_approval")
	silent(patch(base, {"exigent": {"claimed": "true"}}), "exigent_no_supervisor_approval")
	silent(with_claim({}), "exigent_no_supervisor_approval")
}

test_e01_malformed_approver_id_type_denied if {
	denied_with(with_claim({"supervisor_approved_by": 102}), "exigent_no_supervisor_approval")
	denied_with(drop(exigent, ["exigent/supervisor_approved_by"]), "exigent_no_supervisor_approval")
}

# --- E-02 exigent_self_approved ---------------------------------------------------------

test_e02_exigent_self_approved_fires_when_requester_approves if {
	denied_with(with_claim({"supervisor_approved_by": "tps-4471"}), "exigent_self_approved")
}

test_e02_boundary_ids_compared_trimmed_and_case_insensitively if {
	denied_with(with_claim({"supervisor_approved_by": " TPS-4471 "}), "exigent_self_approved")
	silent(with_claim({"supervisor_approved_by": "tps-4472"}), "exigent_self_approved")
}

test_e02_malformed_missing_user_id_is_request_malformed if {
	# Without a user id the self-approval check could be bypassed (§9.1).
	only_malformed(drop(with_claim({"supervisor_approved_by": "tps-0102"}), ["user/id"]))
}

# --- E-03 exigent_approver_not_supervisor -----------------------------------------------

test_e03_exigent_approver_not_supervisor_fires_without_supervisor_role if {
	denied_with(with_claim({"approver": {"roles": ["investigator", "analyst"]}}), "exigent_approver_not_supervisor")
}

test_e03_exigent_approver_not_supervisor_fires_for_other_agency if {
	denied_with(with_claim({"approver": {"agency_id": "peel"}}), "exigent_approver_not_supervisor")
	denied_with(drop(exigent, ["exigent/approver/agency_id"]), "exigent_approver_not_supervisor")
}

test_e03_boundary_missing_approver_record if {
	denied_with(with_claim({"approver": null}), "exigent_approver_not_supervisor")
	silent(exigent, "exigent_approver_not_supervisor")
}

test_e03_malformed_roles_not_a_list_denied if {
	denied_with(with_claim({"approver": {"roles": "supervisor"}}), "exigent_approver_not_supervisor")
	denied_with(with_claim({"approver": "sgt-0102"}), "exigent_approver_not_supervisor")
}

# --- E-04 exigent_reason_missing --------------------------------------------------------

test_e04_exigent_reason_missing_fires_for_blank_reason if {
	denied_with(with_claim({"reason": "   "}), "exigent_reason_missing")
}

test_e04_boundary_any_recorded_reason if {
	silent(with_claim({"reason": "Hostage"}), "exigent_reason_missing")
}

test_e04_malformed_reason_type_denied if {
	denied_with(with_claim({"reason": {"text": "child abducted"}}), "exigent_reason_missing")
}

# --- E-05 exigent_category_ineligible ---------------------------------------------------

test_e05_exigent_category_ineligible_fires_for_loss_of_evidence if {
	denied_with(with_claim({"category": "imminent_loss_of_evidence"}), "exigent_category_ineligible")
}

test_e05_boundary_eligible_categories if {
	allowed(with_claim({"category": "imminent_risk_to_life_or_bodily_harm"}))
	allowed(with_claim({"category": "child_at_imminent_risk"}))
	denied_with(with_claim({"category": ""}), "exigent_category_ineligible")
	denied_with(drop(exigent, ["exigent/category"]), "exigent_category_ineligible")
}

test_e05_malformed_category_type_denied if {
	denied_with(with_claim({"category": ["child_at_imminent_risk"]}), "exigent_category_ineligible")
}

# --- E-06 exigent_approval_stale --------------------------------------------------------

test_e06_exigent_approval_stale_fires_for_old_approval if {
	denied_with(with_claim({"approved_at": "2026-11-24T17:00:00Z"}), "exigent_approval_stale")
}

test_e06_boundary_exactly_24_hours_versus_one_second_more if {
	# 2026-11-25T12:00:00-05:00 is exactly 24 h before now.
	allowed(with_claim({"approved_at": "2026-11-25T12:00:00-05:00"}))
	denied_with(with_claim({"approved_at": "2026-11-25T11:59:59-05:00"}), "exigent_approval_stale")
}

test_e06_boundary_future_or_missing_approval if {
	allowed(with_claim({"approved_at": now}))
	denied_with(with_claim({"approved_at": "2026-11-26T17:00:01Z"}), "exigent_approval_stale")
	denied_with(with_claim({"approved_at": null}), "exigent_approval_stale")
	denied_with(drop(exigent, ["exigent/approved_at"]), "exigent_approval_stale")
}

test_e06_boundary_maximum_age_comes_from_config if {
	inp := with_claim({"approved_at": "2026-11-25T05:00:00Z"})
	denied_with(inp, "exigent_approval_stale")
	d := decide_cfg(inp, object.union(config, {"exigent_max_age_hours": 36}))
	d.allow
}

test_e06_malformed_approval_time_is_request_malformed if {
	only_malformed(with_claim({"approved_at": "2026-11-26T16:30:00"}))
	only_malformed(with_claim({"approved_at": 1795710600}))
}

# --- E-07 exigent_not_available_for_live_feed -------------------------------------------

test_e07_exigent_not_available_for_live_feed_fires_without_warrant if {
	inp := patch(live_feed, {"warrant": null, "exigent": exigent_claim})
	denied_with(inp, "exigent_not_available_for_live_feed")
	silent(inp, "authority_exigent_circumstances")
}

test_e07_boundary_live_feed_with_general_warrant if {
	inp := patch(live_feed, {"exigent": object.union(exigent_claim, {"purpose": "criminal_investigation"})})
	silent(inp, "exigent_not_available_for_live_feed")
	allowed(inp)
}

test_e07_malformed_warrant_string_is_no_warrant if {
	inp := patch(live_feed, {"warrant": "GW-2026-0077", "exigent": exigent_claim})
	denied_with(inp, "exigent_not_available_for_live_feed")
}

# --- E-09 exigent_approval_not_for_this_search ------------------------------------------

test_e09_exigent_approval_not_for_this_search_fires_for_another_officer if {
	inp := patch(exigent, {"user": {"id": "tps-5120"}})
	denied_with(inp, "exigent_approval_not_for_this_search")
	silent(inp, "authority_exigent_circumstances")
	denied_with(inp, "exigent_required_for_purpose")
}

test_e09_exigent_approval_not_for_this_search_fires_for_another_case if {
	denied_with(patch(exigent, {"case_number": "TPS-2026-131877"}), "exigent_approval_not_for_this_search")
	denied_with(with_claim({"case_number": "TPS-2026-131877"}), "exigent_approval_not_for_this_search")
}

test_e09_exigent_approval_not_for_this_search_fires_for_another_purpose if {
	# The approval was for a threat to life; a missing-person search cannot borrow it for
	# the S-06 waiver, nor a criminal investigation for W-01.
	inp := patch(exigent, {"purpose": "missing_person"})
	denied_with(inp, "exigent_approval_not_for_this_search")
	denied_with(inp, "purpose_gallery_incompatible")
	tp := patch(third_party, {"warrant": null, "exigent": exigent_claim})
	denied_with(tp, "exigent_approval_not_for_this_search")
	denied_with(tp, "warrant_required_missing")
}

test_e09_boundary_case_and_officer_are_normalized if {
	allowed(with_claim({"case_number": " tps-2026- 118734 ", "granted_to": " TPS-4471 "}))
	denied_with(with_claim({"purpose": "Imminent_Threat_To_Life"}), "exigent_approval_not_for_this_search")
}

test_e09_boundary_only_evaluated_when_claimed if {
	silent(base, "exigent_approval_not_for_this_search")
	silent(patch(base, {"exigent": {"claimed": false, "granted_to": "tps-9999"}}), "exigent_approval_not_for_this_search")
}

test_e09_boundary_blank_or_missing_grant_is_another if {
	every key in ["case_number", "granted_to", "purpose"] {
		denied_with(with_claim({key: " "}), "exigent_approval_not_for_this_search")
		denied_with(drop(exigent, [concat("/", ["exigent", key])]), "exigent_approval_not_for_this_search")
	}
	# A blank request does not match a blank approval either.
	denied_with(patch(exigent, {"case_number": "", "exigent": {"case_number": ""}}), "exigent_approval_not_for_this_search")
}

test_e09_malformed_grant_types_denied if {
	denied_with(with_claim({"case_number": 118734}), "exigent_approval_not_for_this_search")
	denied_with(with_claim({"granted_to": ["tps-4471"]}), "exigent_approval_not_for_this_search")
	denied_with(with_claim({"purpose": {"code": "imminent_threat_to_life"}}), "exigent_approval_not_for_this_search")
}

# --- E-08 authority_exigent_circumstances -----------------------------------------------

test_e08_authority_exigent_circumstances_fires_for_valid_claim if {
	d := decide(exigent)
	d.allow
	[r.rule | some r in d.reasons] == ["E-08", "W-14"]
}

test_e08_authority_exigent_circumstances_reported_on_otherwise_denied_search if {
	inp := patch(exigent, {"user": {"mfa_verified": false}})
	denied_with(inp, "mfa_not_verified")
	fires(inp, "authority_exigent_circumstances")
}

test_e08_boundary_any_exigent_defect_withholds_it if {
	every claim in [
		{"supervisor_approved_by": ""},
		{"supervisor_approved_by": "tps-4471"},
		{"approver": {"roles": ["investigator"]}},
		{"reason": ""},
		{"category": "imminent_loss_of_evidence"},
		{"approved_at": "2026-11-25T11:59:59-05:00"},
		{"case_number": "TPS-2026-131877"},
		{"granted_to": "tps-5120"},
		{"purpose": "missing_person"},
	] {
		silent(with_claim(claim), "authority_exigent_circumstances")
	}
}

test_e08_malformed_claim_flag_is_not_a_claim if {
	inp := with_claim({"claimed": "yes"})
	silent(inp, "authority_exigent_circumstances")
	denied_with(inp, "exigent_required_for_purpose")
}

test_e08_never_cures_other_denials if {
	inp := patch(exigent, {
		"purpose": "missing_person",
		"exigent": {"purpose": "missing_person"},
		"gallery": {"contains_youth_records": true, "legal_basis": "vendor_scraped"},
		"probe": {"source": "social_media_scrape"},
	})
	denied_with(inp, "gallery_unlawfully_sourced")
	denied_with(inp, "probe_unlawful_source")
	denied_with(inp, "ycja_purpose_not_permitted")
	fires(inp, "authority_exigent_circumstances")
}
