package fr.baseline_test

# Service de police de la Ville de Montréal searching its own ICA gallery.
spvm := object.union(base, {
	"user": {"id": "spvm-5120", "agency_id": "spvm"},
	"agency": {
		"id": "spvm",
		"name": "Service de police de la Ville de Montréal",
		"kind": "municipal",
		"jurisdiction": "CA-QC",
		"municipality": "Montréal",
		"service_area_municipalities": ["Montréal"],
		"cai_disclosure_filed": true,
	},
	"case_number": "SPVM-2026-044120",
	"probe": {"collected_in": "CA-QC", "collected_municipality": "Montréal"},
	"gallery": {
		"id": "spvm-ica",
		"owner_agency_id": "spvm",
		"owner_jurisdiction": "CA-QC",
		"cai_disclosure_filed": true,
	},
})

# --- Q-01 qc_cai_disclosure_missing -----------------------------------------------------

test_q01_qc_cai_disclosure_missing_fires_for_agency if {
	denied_with(patch(spvm, {"agency": {"cai_disclosure_filed": false}}), "qc_cai_disclosure_missing")
	denied_with(patch(spvm, {"agency": {"kind": "provincial", "id": "sq", "municipality": ""}, "user": {"agency_id": "sq"}, "gallery": {"owner_agency_id": "sq", "cai_disclosure_filed": false}}), "qc_cai_disclosure_missing")
}

test_q01_qc_cai_disclosure_missing_fires_for_quebec_gallery if {
	inp := patch(spvm, {"gallery": {"cai_disclosure_filed": false}})
	denied_with(inp, "qc_cai_disclosure_missing")
}

test_q01_boundary_federal_agency_in_quebec_is_not_a_quebec_body if {
	allowed(spvm)
	rcmp_qc := patch(rcmp, {
		"agency": {"jurisdiction": "CA", "cai_disclosure_filed": false},
		"probe": {"collected_in": "CA-QC", "collected_municipality": "Montréal"},
	})
	allowed(rcmp_qc)

	# ...but a Quebec-owned gallery still needs its disclosure, whoever searches it.
	shared := patch(rcmp_qc, {"gallery": {"owner_agency_id": "spvm", "owner_jurisdiction": "CA-QC", "shared_with": ["rcmp"], "sharing_agreement_id": "ISA-QC-RCMP-2024", "cai_disclosure_filed": false}})
	denied_with(shared, "qc_cai_disclosure_missing")
}

test_q01_malformed_flag_denied if {
	denied_with(patch(spvm, {"agency": {"cai_disclosure_filed": "oui"}}), "qc_cai_disclosure_missing")
	denied_with(drop(spvm, ["gallery/cai_disclosure_filed"]), "qc_cai_disclosure_missing")
}

# --- Q-02 qc_express_consent_missing ----------------------------------------------------

spvm_consent := object.union(spvm, {
	"purpose": "victim_identification",
	"gallery": {"id": "spvm-volunteer-photos", "legal_basis": "consent", "consent_express": true},
})

test_q02_qc_express_consent_missing_fires_without_express_consent if {
	denied_with(patch(spvm_consent, {"gallery": {"consent_express": false}}), "qc_express_consent_missing")
}

test_q02_boundary_express_consent_and_other_bases if {
	allowed(spvm_consent)
	silent(patch(spvm, {"gallery": {"consent_express": false}}), "qc_express_consent_missing")
	ontario := patch(missing_person, {"gallery": {"legal_basis": "consent", "consent_express": false}})
	silent(ontario, "qc_express_consent_missing")
	allowed(ontario)
}

test_q02_malformed_flag_denied if {
	denied_with(patch(spvm_consent, {"gallery": {"consent_express": 1}}), "qc_express_consent_missing")
}
