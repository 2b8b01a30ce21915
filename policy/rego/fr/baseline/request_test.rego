package fr.baseline_test

# --- A-01 request_malformed -------------------------------------------------------------

test_a01_request_malformed_fires_on_unparsable_now if {
	only_malformed(patch(base, {"now": "yesterday afternoon"}))
}

test_a01_request_malformed_fires_on_missing_now if {
	only_malformed(drop(base, ["now"]))
}

test_a01_request_malformed_fires_when_input_is_not_an_object if {
	only_malformed([base])
	only_malformed("criminal_investigation")
	only_malformed(null)
}

test_a01_request_malformed_fires_on_non_object_sections if {
	only_malformed(patch(base, {"user": "tps-4471"}))
	only_malformed(patch(base, {"agency": ["tps"]}))
	only_malformed(patch(base, {"probe": null}))
	only_malformed(drop(base, ["gallery"]))
}

test_a01_request_malformed_fires_on_non_string_purpose if {
	only_malformed(patch(base, {"purpose": ["criminal_investigation"]}))
	only_malformed(drop(base, ["purpose"]))
}

test_a01_request_malformed_fires_on_blank_user_id if {
	only_malformed(patch(base, {"user": {"id": "  "}}))
	only_malformed(drop(base, ["user/id"]))
	only_malformed(patch(base, {"user": {"id": 4471}}))
}

test_a01_request_malformed_fires_on_each_unparsable_timestamp if {
	only_malformed(patch(base, {"probe": {"captured_at": "2026-11-25 22:14:05-05:00"}}))
	only_malformed(patch(base, {"user": {"training_expires_at": "2027-06-30"}}))
	only_malformed(patch(third_party, {"warrant": {"issued_at": "2026-11-20T25:00:00Z"}}))
	only_malformed(patch(third_party, {"warrant": {"expires_at": 1797800400}}))
	only_malformed(patch(exigent, {"exigent": {"approved_at": "2026-11-26T16:30:00"}}))
	only_malformed(patch(base, {"interagency": {"agreement_id": "JFO-7", "expires_at": "soon"}}))
}

test_a01_request_malformed_reports_nothing_else if {
	# Expired training, no MFA and a bad now: the decision names only request_malformed (§9.1).
	inp := patch(base, {"now": "2026-11-26", "user": {"mfa_verified": false, "training_expires_at": "2020-01-01T00:00:00Z"}})
	only_malformed(inp)
}

test_a01_boundary_absent_null_or_blank_timestamps_are_not_malformed if {
	d := decide(patch(base, {"user": {"training_expires_at": ""}}))
	codes_of(d) == {"training_expired", "authority_no_warrant_required"}
	fires(patch(base, {"probe": {"captured_at": null}}), "probe_timestamp_invalid")
	silent(patch(base, {"probe": {"captured_at": "  "}}), "request_malformed")
}

test_a01_boundary_dates_only_checked_where_they_apply if {
	# warrant kind none, an unclaimed exigent block: their dates are not read.
	allowed(patch(base, {"warrant": {"kind": "none", "issued_at": "n/a", "expires_at": "n/a"}}))
	allowed(patch(base, {"exigent": {"claimed": false, "approved_at": "n/a"}}))

	# An unknown warrant kind is still a present warrant, so its dates must parse.
	only_malformed(patch(base, {"warrant": {"kind": "tracking_warrant", "expires_at": "n/a"}}))
}

test_a01_boundary_calendar_and_offsets if {
	allowed(patch(base, {"probe": {"captured_at": "2024-02-29T12:00:00+05:30"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "2026-02-29T12:00:00Z"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "2026-04-31T12:00:00Z"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "2026-11-25T22:14Z"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "2026-11-25T22:14:05+24:00"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "2026-11-25T22:14:60Z"}}))
	allowed(patch(base, {"probe": {"captured_at": "2026-11-25T22:14:05.123456789Z"}}))
	allowed(patch(base, {"probe": {"captured_at": "2000-02-29T00:00:00Z"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "1900-02-29T00:00:00Z"}}))
}

test_a01_boundary_year_range if {
	# §9.12: 1678 to 2262 is accepted; beyond is malformed, not a crash.
	allowed(patch(base, {"probe": {"captured_at": "1678-01-01T00:00:00Z"}}))
	only_malformed(patch(base, {"probe": {"captured_at": "1677-12-31T23:59:59Z"}}))
	allowed(patch(base, {"user": {"training_expires_at": "2262-04-09T23:59:59-23:59"}}))
	only_malformed(patch(base, {"user": {"training_expires_at": "2263-01-01T00:00:00Z"}}))
	only_malformed(patch(third_party, {"warrant": {"expires_at": "9999-12-31T23:59:59Z"}}))
}

test_a01_malformed_engine_range_overflow_within_2262_is_refused if {
	# Instants past the nanosecond range (2262-04-11T23:47:16Z) are refused rather than raising.
	only_malformed(patch(base, {"user": {"training_expires_at": "2262-12-31T23:59:59Z"}}))
	only_malformed(patch(base, {"user": {"training_expires_at": "2262-04-12T00:00:00Z"}}))
	only_malformed(patch(base, {"user": {"training_expires_at": "2262-04-11T23:47:17Z"}}))
	allowed(patch(base, {"user": {"training_expires_at": "2262-03-31T23:59:59Z"}}))
}

test_a01_request_malformed_is_in_the_public_deny_set if {
	"request_malformed" in data.fr.baseline.deny with input as patch(base, {"now": "soon"})
	not "request_malformed" in data.fr.baseline.deny with input as base
}

# --- A-02 case_number_missing -----------------------------------------------------------

test_a02_case_number_missing_fires_on_blank if {
	denied_with(patch(base, {"case_number": " \t "}), "case_number_missing")
}

test_a02_case_number_missing_fires_when_absent if {
	denied_with(drop(base, ["case_number"]), "case_number_missing")
}

test_a02_boundary_single_character_is_enough if {
	silent(patch(base, {"case_number": "7"}), "case_number_missing")
	allowed(patch(base, {"case_number": "7"}))
}

test_a02_malformed_non_string_case_number_denied if {
	denied_with(patch(base, {"case_number": 118734}), "case_number_missing")
	denied_with(patch(base, {"case_number": {"id": "TPS-2026-118734"}}), "case_number_missing")
}

# --- A-03 justification_insufficient ----------------------------------------------------

test_a03_justification_insufficient_fires_on_short_text if {
	denied_with(patch(base, {"justification": "robbery"}), "justification_insufficient")
}

test_a03_boundary_19_versus_20_trimmed_characters if {
	# 19 characters inside whitespace padding: too short once trimmed.
	denied_with(patch(base, {"justification": "   Robbery suspect 1   "}), "justification_insufficient")
	count("Robbery suspect 1 ") == 18
	count("Robbery suspect 1 A") == 19
	denied_with(patch(base, {"justification": "\tRobbery suspect 1 A\n"}), "justification_insufficient")
	allowed(patch(base, {"justification": "  Robbery suspect 1 AB  "}))
}

test_a03_boundary_threshold_comes_from_config if {
	inp := patch(base, {"justification": "Robbery suspect 1 AB"})
	d := decide_cfg(inp, object.union(config, {"justification_min_chars": 21}))
	"justification_insufficient" in codes_of(d)
	e := decide_cfg(inp, object.union(config, {"justification_min_chars": 20}))
	e.allow
}

test_a03_malformed_non_string_justification_denied if {
	denied_with(patch(base, {"justification": ["Armed robbery at a convenience store"]}), "justification_insufficient")
	denied_with(drop(base, ["justification"]), "justification_insufficient")
}
