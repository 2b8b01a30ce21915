package fr.baseline_test

# TPS using a CCTV still collected in Gatineau under a joint-forces agreement with Quebec.
jfo_quebec := {
	"agreement_id": "JFO-ON-QC-2026-11",
	"kind": "joint_forces_operation",
	"partner_agency_id": "spvm",
	"partner_jurisdiction": "CA-QC",
	"expires_at": "2027-05-31T23:59:59-04:00",
}

out_of_province := object.union(base, {"probe": {"collected_in": "CA-QC", "collected_municipality": "Gatineau"}})

under_jfo := object.union(out_of_province, {"interagency": jfo_quebec})

mlat_new_york := {
	"agreement_id": "MLAT-CA-US-2026-0031",
	"kind": "mlat",
	"partner_agency_id": "nypd",
	"partner_jurisdiction": "US-NY",
	"expires_at": "2027-01-31T00:00:00Z",
}

foreign := object.union(base, {"probe": {"collected_in": "US-NY", "collected_municipality": "Buffalo"}})

# Peel Regional Police serves Mississauga and Brampton.
peel := object.union(base, {
	"user": {"id": "peel-2201", "agency_id": "peel"},
	"agency": {
		"id": "peel",
		"name": "Peel Regional Police",
		"municipality": "Mississauga",
		"service_area_municipalities": ["Mississauga", "Brampton"],
	},
	"gallery": {"id": "peel-ica", "owner_agency_id": "peel"},
	"probe": {"collected_municipality": "Brampton"},
})

# --- J-01 probe_outside_agency_territory ------------------------------------------------

test_j01_probe_outside_agency_territory_fires_without_agreement if {
	inp := out_of_province
	denied_with(inp, "probe_outside_agency_territory")
	silent(inp, "interagency_agreement_invalid")
	denied_with(patch(opp, {"probe": {"collected_in": "CA-MB"}}), "probe_outside_agency_territory")
}

test_j01_boundary_valid_agreement_and_its_expiry if {
	allowed(under_jfo)
	expired := patch(under_jfo, {"interagency": {"expires_at": "2026-11-26T12:00:00-05:00"}})
	denied_with(expired, "probe_outside_agency_territory")
	denied_with(expired, "interagency_agreement_invalid")
	allowed(patch(under_jfo, {"interagency": {"expires_at": "2026-11-26T12:00:01-05:00"}}))
}

test_j01_boundary_country_code_is_not_the_agency_province if {
	denied_with(patch(base, {"probe": {"collected_in": "CA"}}), "probe_outside_agency_territory")
}

test_j01_boundary_federal_agencies_hold_every_canadian_probe if {
	allowed(patch(rcmp, {"probe": {"collected_in": "CA-BC", "collected_municipality": "Surrey"}}))
}

test_j01_malformed_agreement_not_an_object_denied if {
	inp := patch(out_of_province, {"interagency": "JFO-ON-QC-2026-11"})
	denied_with(inp, "probe_outside_agency_territory")
	silent(inp, "interagency_agreement_invalid")
}

# --- J-02 probe_foreign_no_arrangement --------------------------------------------------

test_j02_probe_foreign_no_arrangement_fires_without_treaty if {
	denied_with(foreign, "probe_foreign_no_arrangement")
	denied_with(patch(rcmp, {"probe": {"collected_in": "GB-LND"}}), "probe_foreign_no_arrangement")
}

test_j02_boundary_valid_mlat_admits_probe_without_j05 if {
	inp := patch(foreign, {"interagency": mlat_new_york})
	d := decide(inp)
	d.allow
	not "interagency_agreement_applied" in codes_of(d)
	d.obligations.supervisor_notification == false
	allowed(patch(inp, {"interagency": {"kind": "international_arrangement"}}))
}

test_j02_boundary_arrangement_must_match_and_be_current if {
	inp := patch(foreign, {"interagency": mlat_new_york})
	denied_with(patch(inp, {"interagency": {"partner_jurisdiction": "US-WA"}}), "probe_foreign_no_arrangement")
	denied_with(patch(inp, {"interagency": {"expires_at": now}}), "probe_foreign_no_arrangement")
	denied_with(patch(inp, {"interagency": {"kind": "joint_forces_operation"}}), "probe_foreign_no_arrangement")
	denied_with(patch(inp, {"interagency": {"agreement_id": ""}}), "probe_foreign_no_arrangement")
}

test_j02_boundary_missing_or_unrecognised_origin_is_foreign if {
	denied_with(drop(base, ["probe/collected_in"]), "probe_foreign_no_arrangement")
	denied_with(patch(base, {"probe": {"collected_in": "ca-on"}}), "probe_foreign_no_arrangement")
	denied_with(patch(base, {"probe": {"collected_in": "CA-XX"}}), "probe_foreign_no_arrangement")
}

test_j02_malformed_origin_type_denied if {
	denied_with(patch(base, {"probe": {"collected_in": 124}}), "probe_foreign_no_arrangement")
	denied_with(patch(foreign, {"interagency": {"agreement_id": "MLAT-1", "kind": "mlat", "partner_jurisdiction": 5, "expires_at": "2027-01-01T00:00:00Z"}}), "probe_foreign_no_arrangement")
}

# --- J-03 interagency_agreement_invalid -------------------------------------------------

test_j03_interagency_agreement_invalid_fires_for_expired_agreement if {
	denied_with(patch(under_jfo, {"interagency": {"expires_at": "2026-10-31T23:59:59-04:00"}}), "interagency_agreement_invalid")
	denied_with(patch(under_jfo, {"interagency": {"expires_at": null}}), "interagency_agreement_invalid")
}

test_j03_interagency_agreement_invalid_fires_for_wrong_scope if {
	denied_with(patch(under_jfo, {"interagency": {"partner_jurisdiction": "CA-NB"}}), "interagency_agreement_invalid")
	denied_with(patch(under_jfo, {"interagency": {"kind": "mlat"}}), "interagency_agreement_invalid")
	denied_with(patch(under_jfo, {"interagency": {"agreement_id": " "}}), "interagency_agreement_invalid")
}

test_j03_boundary_only_for_out_of_territory_probes if {
	inp := patch(base, {"interagency": object.union(jfo_quebec, {"expires_at": "2020-01-01T00:00:00Z"})})
	silent(inp, "interagency_agreement_invalid")
	allowed(inp)
	silent(patch(foreign, {"interagency": object.union(mlat_new_york, {"expires_at": now})}), "interagency_agreement_invalid")
}

test_j03_malformed_agreement_fields_denied if {
	denied_with(patch(under_jfo, {"interagency": {"agreement_id": 11, "kind": ["joint_forces_operation"]}}), "interagency_agreement_invalid")
}

# --- J-04 probe_outside_municipality_notice ---------------------------------------------

test_j04_probe_outside_municipality_notice_fires_for_neighbouring_city if {
	inp := patch(base, {"probe": {"collected_municipality": "Mississauga"}})
	d := decide(inp)
	d.allow
	"probe_outside_municipality_notice" in codes_of(d)
	d.obligations.supervisor_notification == true
}

test_j04_boundary_service_area_and_normalization if {
	silent(patch(base, {"probe": {"collected_municipality": "  TORONTO "}}), "probe_outside_municipality_notice")
	silent(peel, "probe_outside_municipality_notice")
	fires(patch(peel, {"probe": {"collected_municipality": "Caledon"}}), "probe_outside_municipality_notice")

	# An empty service area falls back to the agency's municipality.
	fallback := patch(peel, {"agency": {"service_area_municipalities": []}})
	fires(fallback, "probe_outside_municipality_notice")
	silent(patch(fallback, {"probe": {"collected_municipality": "mississauga"}}), "probe_outside_municipality_notice")
}

test_j04_boundary_not_reported_without_municipality_or_outside_province if {
	silent(patch(base, {"probe": {"collected_municipality": ""}}), "probe_outside_municipality_notice")
	silent(under_jfo, "probe_outside_municipality_notice")
	silent(patch(opp, {"probe": {"collected_municipality": "Ottawa"}}), "probe_outside_municipality_notice")
}

test_j04_malformed_service_area_still_decides if {
	inp := patch(base, {"agency": {"service_area_municipalities": "Toronto", "municipality": 416}, "probe": {"collected_municipality": "Toronto"}})
	denied_with(inp, "agency_profile_invalid")
	fires(inp, "probe_outside_municipality_notice")
}

# --- J-05 interagency_agreement_applied -------------------------------------------------

test_j05_interagency_agreement_applied_fires_with_agreement_id if {
	d := decide(under_jfo)
	d.allow
	some r in d.reasons
	r.code == "interagency_agreement_applied"
	r.message == "Out-of-territory probe used under cooperation agreement JFO-ON-QC-2026-11."
	r.kind == "info"
	d.obligations.supervisor_notification == true
}

test_j05_boundary_only_when_the_agreement_was_needed_and_valid if {
	silent(patch(base, {"interagency": jfo_quebec}), "interagency_agreement_applied")
	silent(patch(under_jfo, {"interagency": {"expires_at": now}}), "interagency_agreement_applied")
	silent(patch(foreign, {"interagency": mlat_new_york}), "interagency_agreement_applied")
}

test_j05_malformed_agreement_id_withholds_it if {
	inp := patch(under_jfo, {"interagency": {"agreement_id": 2026}})
	silent(inp, "interagency_agreement_applied")
	denied_with(inp, "probe_outside_agency_territory")
}
