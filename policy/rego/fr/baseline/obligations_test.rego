package fr.baseline_test

obligation_keys := {
	"human_review_required", "results_lead_only", "audit_log", "template_retention",
	"max_candidates", "min_similarity", "probe_retention_days", "supervisor_notification",
	"post_hoc_review_required", "judicial_authorization_followup", "ycja_handling",
	"victim_identity_protection", "provenance_record_required",
	"qc_destroy_biometrics_when_purpose_met", "discard_non_matching_faces_immediately",
}

minor_probe := object.union(base, {"probe": {"subject_believed_minor": true}})

public_web := object.union(base, {"probe": {"source": "public_web"}})

# --- K-01 .. K-04: constant obligations -------------------------------------------------

test_k01_human_review_required_always if {
	obligation(base, "human_review_required") == true
	obligation(patch(base, {"purpose": "protest_monitoring"}), "human_review_required") == true
}

test_k01_boundary_present_on_denied_decisions if {
	obligation(patch(base, {"user": {"mfa_verified": false}}), "human_review_required") == true
}

test_k01_malformed_request_still_carries_it if {
	obligation([], "human_review_required") == true
	denied([])
}

test_k02_results_lead_only_always if {
	obligation(base, "results_lead_only") == true
	obligation(exigent, "results_lead_only") == true
}

test_k02_boundary_present_on_denied_decisions if {
	obligation(patch(third_party, {"warrant": null}), "results_lead_only") == true
}

test_k02_malformed_request_still_carries_it if {
	obligation(patch(base, {"now": 0}), "results_lead_only") == true
	only_malformed(patch(base, {"now": 0}))
}

test_k03_audit_log_full_always if {
	obligation(base, "audit_log") == "full"
	obligation(live_feed, "audit_log") == "full"
}

test_k03_boundary_present_on_denied_decisions if {
	obligation(patch(base, {"agency": {"kind": "oversight"}}), "audit_log") == "full"
}

test_k03_malformed_request_still_carries_it if {
	obligation(null, "audit_log") == "full"
	only_malformed(null)
}

test_k04_template_retention_delete_after_search_always if {
	obligation(base, "template_retention") == "delete_after_search"
	obligation(spvm, "template_retention") == "delete_after_search"
}

test_k04_boundary_present_on_denied_decisions if {
	obligation(patch(base, {"probe": {"source": "social_media_scrape"}}), "template_retention") == "delete_after_search"
}

test_k04_malformed_request_still_carries_it if {
	obligation(patch(base, {"gallery": "tps-ica"}), "template_retention") == "delete_after_search"
	only_malformed(patch(base, {"gallery": "tps-ica"}))
}

# --- K-05 max_candidates ----------------------------------------------------------------

test_k05_max_candidates_restricted_for_exigency_minor_or_live_feed if {
	obligation(exigent, "max_candidates") == 10
	obligation(minor_probe, "max_candidates") == 10
	obligation(live_feed, "max_candidates") == 10
}

test_k05_boundary_default_and_config if {
	obligation(base, "max_candidates") == 20

	# An invalid exigent claim does not restrict the list.
	obligation(patch(exigent, {"exigent": {"reason": ""}}), "max_candidates") == 20
	d := decide_cfg(minor_probe, object.union(config, {"max_candidates_restricted": 5}))
	d.obligations.max_candidates == 5
	e := decide_cfg(base, object.union(config, {"max_candidates_default": 15}))
	e.obligations.max_candidates == 15
}

test_k05_malformed_minor_flag_is_treated_as_minor if {
	obligation(patch(base, {"probe": {"subject_believed_minor": "no"}}), "max_candidates") == 10
	obligation(drop(base, ["probe/subject_believed_minor"]), "max_candidates") == 10
	inp := patch(base, {"probe": {"subject_believed_minor": "no", "source": 9}})
	obligation(inp, "max_candidates") == 10
	denied_with(inp, "probe_source_unknown")
	d := decide_cfg(base, object.union(config, {"max_candidates_default": "twenty"}))
	d.obligations.max_candidates == 20
}

# --- K-06 min_similarity ----------------------------------------------------------------

test_k06_min_similarity_by_probe_source if {
	obligation(live_feed, "min_similarity") == 0.90
	obligation(public_web, "min_similarity") == 0.85
	obligation(patch(base, {"probe": {"source": "witness_submission"}}), "min_similarity") == 0.85
	obligation(base, "min_similarity") == 0.80
}

test_k06_boundary_config_values if {
	d := decide_cfg(public_web, object.union(config, {"min_similarity_lowprov": 0.88}))
	d.obligations.min_similarity == 0.88
}

test_k06_malformed_source_uses_default if {
	inp := patch(base, {"probe": {"source": 4}})
	obligation(inp, "min_similarity") == 0.80
	denied(inp)
}

# --- K-07 probe_retention_days ----------------------------------------------------------

test_k07_probe_retention_days_by_source_and_purpose if {
	obligation(live_feed, "probe_retention_days") == 0
	obligation(missing_person, "probe_retention_days") == 7
	obligation(patch(missing_person, {"purpose": "unidentified_deceased"}), "probe_retention_days") == 7
	obligation(base, "probe_retention_days") == 30
}

test_k07_boundary_first_clause_wins if {
	# A live feed for a humanitarian purpose keeps nothing: the live-feed clause comes first.
	obligation(patch(missing_person, {"probe": {"source": "surveillance_live_feed"}}), "probe_retention_days") == 0
}

test_k07_malformed_purpose_uses_default if {
	obligation(patch(base, {"purpose": 7}), "probe_retention_days") == 30
	only_malformed(patch(base, {"purpose": 7}))
}

# --- K-08 supervisor_notification -------------------------------------------------------

test_k08_supervisor_notification_for_each_trigger if {
	every inp in [
		exigent,
		minor_probe,
		youth_gallery,
		public_web,
		live_feed,
		patch(base, {"purpose": "child_exploitation", "offence": {"category": "child_sexual_exploitation"}}),
		patch(base, {"probe": {"collected_municipality": "Vaughan"}}),
		under_jfo,
	] {
		obligation(inp, "supervisor_notification") == true
	}
}

test_k08_boundary_no_trigger if {
	obligation(base, "supervisor_notification") == false
	obligation(patch(foreign, {"interagency": mlat_new_york}), "supervisor_notification") == false
	obligation(patch(exigent, {"exigent": {"category": "imminent_loss_of_evidence"}}), "supervisor_notification") == false
}

test_k08_malformed_youth_flag_notifies if {
	obligation(patch(base, {"gallery": {"contains_youth_records": 0}}), "supervisor_notification") == true
	inp := patch(missing_person, {"gallery": {"contains_youth_records": 0}})
	obligation(inp, "supervisor_notification") == true
	denied_with(inp, "ycja_purpose_not_permitted")
}

# --- K-09 post_hoc_review_required ------------------------------------------------------

test_k09_post_hoc_review_required_on_valid_exigency if {
	d := decide(exigent)
	d.obligations.post_hoc_review_required == true
	d.obligations.post_hoc_review_within_hours == 72
}

test_k09_boundary_hours_key_only_on_valid_exigency if {
	d := decide(base)
	d.obligations.post_hoc_review_required == false
	not "post_hoc_review_within_hours" in object.keys(d.obligations)
	e := decide(patch(exigent, {"exigent": {"approved_at": "2026-11-25T11:59:59-05:00"}}))
	not "post_hoc_review_within_hours" in object.keys(e.obligations)
	f := decide_cfg(exigent, object.union(config, {"post_hoc_review_within_hours": 48}))
	f.obligations.post_hoc_review_within_hours == 48
}

test_k09_malformed_claim_gets_no_review_window if {
	d := decide(patch(exigent, {"exigent": {"claimed": 1}}))
	d.obligations.post_hoc_review_required == false
	not "post_hoc_review_within_hours" in object.keys(d.obligations)
	d.allow == false
}

# --- K-10 judicial_authorization_followup -----------------------------------------------

test_k10_judicial_authorization_followup_when_exigency_replaces_a_warrant if {
	inp := patch(third_party, {"warrant": null, "purpose": "imminent_threat_to_life", "offence": null, "exigent": exigent_claim})
	obligation(inp, "judicial_authorization_followup") == true
}

test_k10_boundary_not_when_no_warrant_required_or_one_supplied if {
	obligation(exigent, "judicial_authorization_followup") == false
	inp := patch(third_party, {"purpose": "imminent_threat_to_life", "offence": null, "exigent": exigent_claim, "warrant": {"authorized_purposes": ["imminent_threat_to_life"]}})
	allowed(inp)
	obligation(inp, "judicial_authorization_followup") == false
}

test_k10_malformed_claim_no_followup if {
	inp := patch(third_party, {"warrant": null, "purpose": "imminent_threat_to_life", "offence": null, "exigent": "yes"})
	obligation(inp, "judicial_authorization_followup") == false
	denied_with(inp, "warrant_required_missing")
}

# --- K-11 ycja_handling -----------------------------------------------------------------

test_k11_ycja_handling_for_minor_probe_or_youth_gallery if {
	obligation(minor_probe, "ycja_handling") == true
	obligation(youth_gallery, "ycja_handling") == true
}

test_k11_boundary_adults_only if {
	obligation(base, "ycja_handling") == false
}

test_k11_malformed_flags_count_as_youth if {
	obligation(patch(base, {"probe": {"subject_believed_minor": null}}), "ycja_handling") == true
	inp := patch(base, {"gallery": {"contains_youth_records": "no", "ycja_access_period_enforced": "yes"}})
	obligation(inp, "ycja_handling") == true
	denied_with(inp, "ycja_access_period_unverified")
}

# --- K-12 victim_identity_protection ----------------------------------------------------

test_k12_victim_identity_protection_for_victim_and_child_purposes if {
	obligation(patch(base, {"purpose": "victim_identification"}), "victim_identity_protection") == true
	obligation(patch(base, {"purpose": "child_exploitation"}), "victim_identity_protection") == true
}

test_k12_boundary_other_purposes if {
	obligation(base, "victim_identity_protection") == false
	obligation(missing_person, "victim_identity_protection") == false
}

test_k12_malformed_purpose_no_flag if {
	obligation(patch(base, {"purpose": ["victim_identification"]}), "victim_identity_protection") == false
	only_malformed(patch(base, {"purpose": ["victim_identification"]}))
}

# --- K-13 provenance_record_required ----------------------------------------------------

test_k13_provenance_record_required_for_public_web_and_witness if {
	obligation(public_web, "provenance_record_required") == true
	obligation(patch(base, {"probe": {"source": "witness_submission"}}), "provenance_record_required") == true
}

test_k13_boundary_other_sources if {
	obligation(base, "provenance_record_required") == false
	obligation(patch(base, {"probe": {"source": "victim_photo"}}), "provenance_record_required") == false
}

test_k13_malformed_source_no_flag if {
	obligation(patch(base, {"probe": {"source": "Public_Web"}}), "provenance_record_required") == false
	denied_with(patch(base, {"probe": {"source": "Public_Web"}}), "probe_source_unknown")
}

# --- K-14 qc_destroy_biometrics_when_purpose_met ----------------------------------------

test_k14_qc_destroy_biometrics_when_purpose_met_for_quebec_agency_or_gallery if {
	obligation(spvm, "qc_destroy_biometrics_when_purpose_met") == true
	qc_gallery := patch(rcmp, {"gallery": {"owner_jurisdiction": "CA-QC"}})
	obligation(qc_gallery, "qc_destroy_biometrics_when_purpose_met") == true
}

test_k14_boundary_federal_agency_in_quebec_with_federal_gallery if {
	obligation(patch(rcmp, {"probe": {"collected_in": "CA-QC"}}), "qc_destroy_biometrics_when_purpose_met") == false
	obligation(base, "qc_destroy_biometrics_when_purpose_met") == false
}

test_k14_malformed_owner_jurisdiction_no_flag if {
	inp := patch(base, {"gallery": {"owner_jurisdiction": "ca-qc"}})
	obligation(inp, "qc_destroy_biometrics_when_purpose_met") == false
	denied_with(inp, "agency_profile_invalid")
}

# --- K-15 discard_non_matching_faces_immediately ----------------------------------------

test_k15_discard_non_matching_faces_immediately_for_live_feed if {
	obligation(live_feed, "discard_non_matching_faces_immediately") == true
}

test_k15_boundary_stored_footage if {
	obligation(base, "discard_non_matching_faces_immediately") == false
	obligation(patch(base, {"probe": {"source": "body_worn_camera"}}), "discard_non_matching_faces_immediately") == false
}

test_k15_malformed_source_no_flag if {
	obligation(patch(base, {"probe": {"source": null}}), "discard_non_matching_faces_immediately") == false
	denied_with(patch(base, {"probe": {"source": null}}), "probe_source_unknown")
}

# --- the obligations object -------------------------------------------------------------

test_obligations_always_has_every_key if {
	every inp in [base, exigent, live_feed, [], patch(base, {"now": "bad"}), patch(base, {"probe": 1})] {
		obligation_keys == object.keys(decide(inp).obligations) - {"post_hoc_review_within_hours"}
	}
}
