package fr.baseline_test

strict_config := object.union(config, {"require_warrant_for_all_searches": true})

with_warrant(doc, overrides) := patch(doc, {"warrant": overrides})

# --- W-01 warrant_required_missing ------------------------------------------------------

test_w01_warrant_required_missing_fires_for_third_party_records if {
	denied_with(patch(third_party, {"warrant": null}), "warrant_required_missing")
	denied_with(patch(third_party, {"warrant": {"kind": "none"}}), "warrant_required_missing")
}

test_w01_warrant_required_missing_fires_for_live_feed_even_with_exigency if {
	inp := patch(live_feed, {"warrant": null, "exigent": exigent_claim})
	denied_with(inp, "warrant_required_missing")
	denied_with(inp, "exigent_not_available_for_live_feed")
}

test_w01_warrant_required_missing_fires_in_strict_mode if {
	d := decide_cfg(base, strict_config)
	d.allow == false
	"warrant_required_missing" in codes_of(d)
	not "authority_no_warrant_required" in codes_of(d)
}

test_w01_boundary_valid_exigency_substitutes_for_third_party_warrant if {
	inp := patch(third_party, {"warrant": null, "purpose": "imminent_threat_to_life", "offence": null, "exigent": exigent_claim})
	silent(inp, "warrant_required_missing")
	allowed(inp)
	obligation(inp, "judicial_authorization_followup") == true
}

test_w01_boundary_strict_mode_only_for_offence_purposes if {
	d := decide_cfg(missing_person, strict_config)
	d.allow
	"authority_no_warrant_required" in codes_of(d)
	e := decide_cfg(patch(base, {"warrant": search_warrant}), strict_config)
	e.allow
	"authority_judicial_authorization" in codes_of(e)
}

test_w01_malformed_strict_flag_fails_closed if {
	every flag in ["true", null, 1] {
		d := decide_cfg(base, object.union(config, {"require_warrant_for_all_searches": flag}))
		"warrant_required_missing" in codes_of(d)
	}
}

test_w01_malformed_warrant_not_an_object_denied if {
	denied_with(patch(third_party, {"warrant": "PO-2026-0419"}), "warrant_required_missing")
}

# --- W-02 warrant_kind_insufficient -----------------------------------------------------

test_w02_warrant_kind_insufficient_fires_for_search_warrant_on_third_party if {
	denied_with(patch(third_party, {"warrant": search_warrant}), "warrant_kind_insufficient")
}

test_w02_warrant_kind_insufficient_fires_for_production_order_on_live_feed if {
	denied_with(patch(live_feed, {"warrant": production_order}), "warrant_kind_insufficient")
}

test_w02_boundary_intersection_of_triggers if {
	# Live feed on a third-party gallery: only a general warrant satisfies both triggers.
	both := patch(live_feed, {"gallery": third_party.gallery})
	allowed(both)
	denied_with(patch(both, {"warrant": production_order}), "warrant_kind_insufficient")
	allowed(patch(third_party, {"warrant": general_warrant}))
}

test_w02_boundary_not_checked_when_no_warrant_required if {
	inp := patch(base, {"warrant": search_warrant})
	silent(inp, "warrant_kind_insufficient")
	allowed(inp)
}

test_w02_malformed_unknown_kind_is_w03_not_w02 if {
	inp := with_warrant(third_party, {"kind": "tracking_warrant"})
	silent(inp, "warrant_kind_insufficient")
	denied_with(inp, "warrant_kind_unknown")
}

# --- W-03 warrant_kind_unknown ----------------------------------------------------------

test_w03_warrant_kind_unknown_fires_for_tracking_warrant if {
	denied_with(with_warrant(base, object.union(production_order, {"kind": "tracking_warrant"})), "warrant_kind_unknown")
}

test_w03_boundary_kind_none_means_no_warrant if {
	inp := patch(base, {"warrant": {"kind": "none"}})
	silent(inp, "warrant_kind_unknown")
	allowed(inp)
	fires(inp, "authority_no_warrant_required")
}

test_w03_malformed_missing_or_non_string_kind_denied if {
	denied_with(drop(third_party, ["warrant/kind"]), "warrant_kind_unknown")
	denied_with(with_warrant(third_party, {"kind": 5}), "warrant_kind_unknown")
	denied_with(patch(base, {"warrant": {}}), "warrant_kind_unknown")
}

# --- W-04 warrant_incomplete ------------------------------------------------------------

test_w04_warrant_incomplete_fires_for_each_blank_field if {
	every key in ["number", "issuing_court", "issuing_jurisdiction", "issued_at", "expires_at", "authorized_case_number"] {
		denied_with(with_warrant(third_party, {key: " "}), "warrant_incomplete")
		denied_with(drop(third_party, [sprintf("warrant/%s", [key])]), "warrant_incomplete")
	}
}

test_w04_warrant_incomplete_fires_for_empty_purposes if {
	denied_with(with_warrant(third_party, {"authorized_purposes": []}), "warrant_incomplete")
}

test_w04_boundary_complete_warrant if {
	silent(third_party, "warrant_incomplete")
}

test_w04_malformed_purposes_not_a_list_denied if {
	denied_with(with_warrant(third_party, {"authorized_purposes": "criminal_investigation"}), "warrant_incomplete")
	denied_with(with_warrant(third_party, {"number": 419}), "warrant_incomplete")
}

# --- W-05 warrant_not_yet_valid ---------------------------------------------------------

test_w05_warrant_not_yet_valid_fires_for_future_issue if {
	denied_with(with_warrant(third_party, {"issued_at": "2026-11-27T09:00:00-05:00"}), "warrant_not_yet_valid")
}

test_w05_boundary_issued_at_the_decision_instant if {
	allowed(with_warrant(third_party, {"issued_at": "2026-11-26T12:00:00-05:00"}))
	denied_with(with_warrant(third_party, {"issued_at": "2026-11-26T17:00:01Z"}), "warrant_not_yet_valid")
}

test_w05_malformed_issue_time_is_request_malformed if {
	only_malformed(with_warrant(third_party, {"issued_at": "2026-11-20T09:30:00 EST"}))
}

# --- W-06 warrant_expired ---------------------------------------------------------------

test_w06_warrant_expired_fires_after_expiry if {
	denied_with(with_warrant(third_party, {"expires_at": "2026-11-25T23:59:59Z"}), "warrant_expired")
}

test_w06_boundary_expiry_exactly_at_now_across_offsets if {
	# 2026-11-26T12:00:00-05:00 is now (2026-11-26T17:00:00Z): the window is half-open.
	denied_with(with_warrant(third_party, {"expires_at": "2026-11-26T12:00:00-05:00"}), "warrant_expired")
	denied_with(with_warrant(third_party, {"expires_at": "2026-11-26T17:00:00Z"}), "warrant_expired")
	d := decide(with_warrant(third_party, {"expires_at": "2026-11-26T12:00:01-05:00"}))
	d.allow
	"authority_judicial_authorization" in codes_of(d)
}

test_w06_boundary_unrequired_warrant_is_still_validated if {
	denied_with(patch(base, {"warrant": object.union(search_warrant, {"expires_at": now})}), "warrant_expired")
}

test_w06_malformed_expiry_is_request_malformed if {
	only_malformed(with_warrant(third_party, {"expires_at": "9999-12-31T23:59:59Z"}))
	only_malformed(with_warrant(third_party, {"expires_at": ["2026-12-20T17:00:00-05:00"]}))
}

# --- W-07 warrant_window_invalid --------------------------------------------------------

test_w07_warrant_window_invalid_fires_for_reversed_window if {
	denied_with(with_warrant(third_party, {"issued_at": "2026-11-20T09:30:00-05:00", "expires_at": "2026-11-19T09:30:00-05:00"}), "warrant_window_invalid")
}

test_w07_boundary_equal_instants_are_invalid if {
	inp := with_warrant(third_party, {"issued_at": "2026-11-20T14:30:00Z", "expires_at": "2026-11-20T09:30:00-05:00"})
	denied_with(inp, "warrant_window_invalid")
	one_second := with_warrant(third_party, {"issued_at": "2026-11-20T14:30:00Z", "expires_at": "2026-11-20T09:30:01-05:00"})
	silent(one_second, "warrant_window_invalid")
	denied_with(one_second, "warrant_expired")
}

test_w07_malformed_blank_dates_are_w04 if {
	inp := with_warrant(third_party, {"issued_at": null})
	silent(inp, "warrant_window_invalid")
	denied_with(inp, "warrant_incomplete")
}

# --- W-08 warrant_case_mismatch ---------------------------------------------------------

test_w08_warrant_case_mismatch_fires_for_other_case if {
	denied_with(with_warrant(third_party, {"authorized_case_number": "TPS-2026-100001"}), "warrant_case_mismatch")
}

test_w08_boundary_whitespace_and_case_are_ignored if {
	allowed(with_warrant(third_party, {"authorized_case_number": "  tps-2026-\n118734 "}))
	allowed(patch(third_party, {"case_number": "tps - 2026 - 118734"}))
	denied_with(patch(third_party, {"case_number": "TPS-2026-118735"}), "warrant_case_mismatch")
}

test_w08_malformed_case_number_type_denied if {
	inp := with_warrant(third_party, {"authorized_case_number": 118734})
	denied_with(inp, "warrant_case_mismatch")
	denied_with(inp, "warrant_incomplete")
}

# --- W-09 warrant_purpose_out_of_scope --------------------------------------------------

test_w09_warrant_purpose_out_of_scope_fires_for_unlisted_purpose if {
	denied_with(with_warrant(third_party, {"authorized_purposes": ["victim_identification"]}), "warrant_purpose_out_of_scope")
}

test_w09_boundary_purpose_among_several if {
	allowed(with_warrant(third_party, {"authorized_purposes": ["victim_identification", "criminal_investigation"]}))
}

test_w09_malformed_purpose_entries_denied if {
	inp := with_warrant(third_party, {"authorized_purposes": [{"purpose": "criminal_investigation"}]})
	denied_with(inp, "warrant_purpose_out_of_scope")
	denied_with(inp, "warrant_incomplete")
}

# --- W-10 warrant_issuer_not_canadian ---------------------------------------------------

test_w10_warrant_issuer_not_canadian_fires_for_foreign_court if {
	denied_with(with_warrant(third_party, {"issuing_jurisdiction": "US-WA"}), "warrant_issuer_not_canadian")
}

test_w10_boundary_ca_is_not_an_issuer if {
	denied_with(with_warrant(third_party, {"issuing_jurisdiction": "CA"}), "warrant_issuer_not_canadian")
	silent(third_party, "warrant_issuer_not_canadian")
}

test_w10_malformed_issuer_type_denied if {
	denied_with(with_warrant(third_party, {"issuing_jurisdiction": ["CA-ON"]}), "warrant_issuer_not_canadian")
}

# --- W-11 warrant_issuing_jurisdiction_mismatch -----------------------------------------

test_w11_warrant_issuing_jurisdiction_mismatch_fires_for_unendorsed_warrant if {
	inp := patch(third_party, {"warrant": object.union(general_warrant, {"issuing_jurisdiction": "CA-BC"})})
	denied_with(inp, "warrant_issuing_jurisdiction_mismatch")
}

test_w11_boundary_endorsement_production_order_and_federal if {
	endorsed := patch(third_party, {"warrant": object.union(general_warrant, {"issuing_jurisdiction": "CA-BC", "endorsed_jurisdictions": ["CA-ON"]})})
	allowed(endorsed)

	# Production orders have effect throughout Canada.
	allowed(with_warrant(third_party, {"issuing_jurisdiction": "CA-BC"}))

	# Federal agencies accept any Canadian issuer.
	federal := patch(rcmp, {"gallery": third_party.gallery, "warrant": object.union(general_warrant, {"issuing_jurisdiction": "CA-BC", "applicant_agency_id": "rcmp"})})
	allowed(federal)
}

test_w11_malformed_endorsements_not_a_list_denied if {
	inp := patch(third_party, {"warrant": object.union(general_warrant, {"issuing_jurisdiction": "CA-BC", "endorsed_jurisdictions": "CA-ON"})})
	denied_with(inp, "warrant_issuing_jurisdiction_mismatch")
}

# --- W-12 warrant_applicant_agency_mismatch ---------------------------------------------

peel_partner := {
	"agreement_id": "JFO-GTA-2026-03",
	"kind": "joint_forces_operation",
	"partner_agency_id": "peel",
	"partner_jurisdiction": "CA-ON",
	"expires_at": "2027-03-31T23:59:59-04:00",
}

test_w12_warrant_applicant_agency_mismatch_fires_for_non_partner if {
	denied_with(with_warrant(third_party, {"applicant_agency_id": "peel"}), "warrant_applicant_agency_mismatch")
}

test_w12_boundary_partner_agreement_expiry if {
	inp := patch(third_party, {"warrant": {"applicant_agency_id": "peel"}, "interagency": peel_partner})
	allowed(inp)
	denied_with(patch(inp, {"interagency": {"expires_at": "2026-11-26T12:00:00-05:00"}}), "warrant_applicant_agency_mismatch")
	denied_with(patch(inp, {"interagency": {"expires_at": null}}), "warrant_applicant_agency_mismatch")
	denied_with(patch(inp, {"interagency": {"partner_agency_id": "york"}}), "warrant_applicant_agency_mismatch")
}

test_w12_boundary_absent_applicant_is_not_a_mismatch if {
	allowed(with_warrant(third_party, {"applicant_agency_id": null}))
	allowed(drop(third_party, ["warrant/applicant_agency_id"]))
	allowed(with_warrant(third_party, {"applicant_agency_id": ""}))
}

test_w12_malformed_applicant_type_denied if {
	denied_with(with_warrant(third_party, {"applicant_agency_id": 905}), "warrant_applicant_agency_mismatch")
}

# --- W-13 authority_judicial_authorization ----------------------------------------------

test_w13_authority_judicial_authorization_fires_for_valid_required_warrant if {
	d := decide(third_party)
	d.allow
	codes_of(d) == {"authority_judicial_authorization"}
}

test_w13_authority_judicial_authorization_fires_for_unrequired_valid_warrant if {
	inp := patch(base, {"warrant": search_warrant})
	fires(inp, "authority_judicial_authorization")
	silent(inp, "authority_no_warrant_required")
}

test_w13_boundary_any_defect_or_insufficient_kind_withholds_it if {
	silent(with_warrant(third_party, {"expires_at": now}), "authority_judicial_authorization")
	silent(patch(third_party, {"warrant": search_warrant}), "authority_judicial_authorization")
}

test_w13_malformed_warrant_kind_withholds_it if {
	inp := with_warrant(third_party, {"kind": ["production_order"]})
	silent(inp, "authority_judicial_authorization")
	denied(inp)
}

# --- W-14 authority_no_warrant_required -------------------------------------------------

test_w14_authority_no_warrant_required_fires_for_clean_ica_search if {
	d := decide(base)
	d.allow
	d.reasons == [{
		"code": "authority_no_warrant_required",
		"message": "No judicial authorization required under the baseline matrix; authority is statutory or common-law (e.g. ICA gallery).",
		"authority": "ICA s. 2; common-law ancillary powers (R. v. Waterfield test as adopted in Dedman, Mann, Fleming v. Ontario, 2019 SCC 45). Contested, see §7.",
		"rule": "W-14",
		"kind": "info",
	}]
}

test_w14_authority_no_warrant_required_reported_alongside_exigency if {
	fires(exigent, "authority_no_warrant_required")
	fires(exigent, "authority_exigent_circumstances")
}

test_w14_boundary_trigger_or_present_warrant_withholds_it if {
	silent(patch(third_party, {"warrant": null}), "authority_no_warrant_required")
	silent(patch(base, {"warrant": search_warrant}), "authority_no_warrant_required")
	d := decide_cfg(base, strict_config)
	not "authority_no_warrant_required" in codes_of(d)
}

test_w14_malformed_request_reports_it_not if {
	inp := patch(base, {"now": "now"})
	silent(inp, "authority_no_warrant_required")
	only_malformed(inp)
}
