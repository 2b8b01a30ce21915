package fr.baseline_test

# A court-order gallery (seized phone images) searched within its own investigation.
court_order := object.union(base, {"gallery": {
	"id": "tps-seized-118734",
	"legal_basis": "court_order",
	"authorized_case_number": "TPS-2026-118734",
}})

# Peel Regional Police's ICA gallery shared with TPS under an agreement.
peel_shared := object.union(base, {"gallery": {
	"id": "peel-ica",
	"owner_agency_id": "peel",
	"shared_with": ["tps", "york"],
	"sharing_agreement_id": "ISA-GTA-2025-07",
}})

# --- S-01 probe_unlawful_source ---------------------------------------------------------

test_s01_probe_unlawful_source_fires_for_bulk_scrape if {
	denied_with(patch(base, {"probe": {"source": "social_media_scrape"}}), "probe_unlawful_source")
}

test_s01_boundary_single_public_web_image_is_allowed if {
	inp := patch(base, {"probe": {"source": "public_web"}})
	silent(inp, "probe_unlawful_source")
	allowed(inp)
}

test_s01_malformed_missing_source_denied if {
	inp := drop(base, ["probe/source"])
	silent(inp, "probe_unlawful_source")
	denied_with(inp, "probe_source_unknown")
}

# --- S-02 probe_source_unknown ----------------------------------------------------------

test_s02_probe_source_unknown_fires_for_unlisted_source if {
	denied_with(patch(base, {"probe": {"source": "drone_footage"}}), "probe_source_unknown")
}

test_s02_boundary_vocabulary_is_exact if {
	denied_with(patch(base, {"probe": {"source": "CCTV"}}), "probe_source_unknown")
	every source in ["cctv", "booking_photo", "witness_submission", "body_worn_camera", "public_web", "victim_photo"] {
		silent(patch(base, {"probe": {"source": source}}), "probe_source_unknown")
	}
}

test_s02_malformed_source_type_denied if {
	denied_with(patch(base, {"probe": {"source": ["cctv"]}}), "probe_source_unknown")
}

# --- S-03 probe_timestamp_invalid -------------------------------------------------------

test_s03_probe_timestamp_invalid_fires_for_future_capture if {
	denied_with(patch(base, {"probe": {"captured_at": "2026-11-26T17:00:01Z"}}), "probe_timestamp_invalid")
}

test_s03_boundary_capture_at_the_decision_instant_is_valid if {
	allowed(patch(base, {"probe": {"captured_at": "2026-11-26T12:00:00-05:00"}}))
	denied_with(patch(base, {"probe": {"captured_at": "2026-11-26T12:00:01-05:00"}}), "probe_timestamp_invalid")
}

test_s03_boundary_missing_capture_time_fires if {
	denied_with(drop(base, ["probe/captured_at"]), "probe_timestamp_invalid")
}

test_s03_malformed_capture_time_is_request_malformed if {
	only_malformed(patch(base, {"probe": {"captured_at": 1795712400}}))
}

# --- S-04 gallery_unlawfully_sourced ----------------------------------------------------

test_s04_gallery_unlawfully_sourced_fires_for_scraped_bases if {
	every basis in ["vendor_scraped", "social_media_scrape", "public_web_scrape"] {
		inp := patch(base, {"gallery": {"legal_basis": basis}})
		denied_with(inp, "gallery_unlawfully_sourced")
		silent(inp, "purpose_gallery_incompatible")
		silent(inp, "gallery_legal_basis_unknown")
	}
}

test_s04_boundary_warrant_does_not_cure_scraped_gallery if {
	inp := patch(base, {"gallery": {"legal_basis": "vendor_scraped"}, "warrant": general_warrant})
	denied_with(inp, "gallery_unlawfully_sourced")
}

test_s04_malformed_null_basis_denied if {
	inp := patch(base, {"gallery": {"legal_basis": null}})
	silent(inp, "gallery_unlawfully_sourced")
	denied_with(inp, "gallery_legal_basis_unknown")
}

# --- S-05 gallery_legal_basis_unknown ---------------------------------------------------

test_s05_gallery_legal_basis_unknown_fires_for_unlisted_basis if {
	inp := patch(base, {"gallery": {"legal_basis": "purchased_dataset"}})
	denied_with(inp, "gallery_legal_basis_unknown")
	silent(inp, "purpose_gallery_incompatible")
}

test_s05_boundary_known_bases_are_not_unknown if {
	every basis in ["identification_of_criminals_act", "consent", "court_order", "provincial_statute", "third_party_records"] {
		silent(patch(base, {"gallery": {"legal_basis": basis}}), "gallery_legal_basis_unknown")
	}
}

test_s05_malformed_basis_type_denied if {
	denied_with(patch(base, {"gallery": {"legal_basis": 7}}), "gallery_legal_basis_unknown")
	denied_with(drop(base, ["gallery/legal_basis"]), "gallery_legal_basis_unknown")
}

# --- S-06 purpose_gallery_incompatible --------------------------------------------------

test_s06_purpose_gallery_incompatible_fires_for_humanitarian_use_of_ica if {
	inp := patch(base, {"purpose": "missing_person", "offence": null})
	denied_with(inp, "purpose_gallery_incompatible")
}

test_s06_purpose_gallery_incompatible_fires_for_consent_and_statute_galleries if {
	denied_with(patch(base, {"gallery": {"legal_basis": "consent"}}), "purpose_gallery_incompatible")
	denied_with(patch(missing_person, {"purpose": "victim_identification", "offence": base.offence}), "purpose_gallery_incompatible")
	allowed(patch(missing_person, {"gallery": {"legal_basis": "consent"}, "purpose": "victim_identification", "offence": base.offence}))
}

test_s06_boundary_exigent_waiver_for_ica_humanitarian_search if {
	inp := patch(exigent, {"purpose": "missing_person", "exigent": {"purpose": "missing_person"}})
	silent(inp, "purpose_gallery_incompatible")
	allowed(inp)

	# The waiver needs a valid path: an invalid claim leaves S-06 in force.
	denied_with(patch(inp, {"exigent": {"reason": ""}}), "purpose_gallery_incompatible")
}

test_s06_boundary_only_permitted_purposes_are_checked if {
	inp := patch(missing_person, {"purpose": "employment_screening"})
	silent(inp, "purpose_gallery_incompatible")
	denied_with(inp, "purpose_prohibited")
}

test_s06_malformed_purpose_type_is_request_malformed if {
	only_malformed(patch(missing_person, {"purpose": null}))
}

# --- S-07 gallery_order_scope_mismatch --------------------------------------------------

test_s07_gallery_order_scope_mismatch_fires_for_other_case if {
	denied_with(patch(court_order, {"gallery": {"authorized_case_number": "TPS-2025-990001"}}), "gallery_order_scope_mismatch")
}

test_s07_boundary_case_numbers_normalized if {
	allowed(court_order)
	allowed(patch(court_order, {"gallery": {"authorized_case_number": " tps-2026-\t118734 "}}))
	denied_with(patch(court_order, {"gallery": {"authorized_case_number": "TPS-2026-11873"}}), "gallery_order_scope_mismatch")
}

test_s07_malformed_blank_or_non_string_order_case_denied if {
	denied_with(patch(court_order, {"gallery": {"authorized_case_number": ""}}), "gallery_order_scope_mismatch")
	denied_with(patch(court_order, {"gallery": {"authorized_case_number": 118734}}), "gallery_order_scope_mismatch")
}

# --- S-08 gallery_sharing_not_authorized ------------------------------------------------

test_s08_gallery_sharing_not_authorized_fires_for_unshared_gallery if {
	denied_with(patch(base, {"gallery": {"owner_agency_id": "peel"}}), "gallery_sharing_not_authorized")
}

test_s08_boundary_shared_under_agreement if {
	allowed(peel_shared)
	denied_with(patch(peel_shared, {"gallery": {"sharing_agreement_id": " "}}), "gallery_sharing_not_authorized")
	denied_with(patch(peel_shared, {"gallery": {"shared_with": ["york"]}}), "gallery_sharing_not_authorized")
}

test_s08_boundary_missing_owner_counts_as_another_agency if {
	denied_with(drop(base, ["gallery/owner_agency_id"]), "gallery_sharing_not_authorized")
}

test_s08_boundary_third_party_records_are_governed_by_the_warrant_matrix if {
	silent(third_party, "gallery_sharing_not_authorized")
}

test_s08_malformed_shared_with_not_a_list_denied if {
	denied_with(patch(peel_shared, {"gallery": {"shared_with": "tps"}}), "gallery_sharing_not_authorized")
}
