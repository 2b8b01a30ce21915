# Shared inputs and helpers for the baseline tests.
#
# base is a clean search that the baseline allows: a Toronto Police Service investigator
# runs a CCTV still against the service's own ICA booking-photo gallery for an armed
# robbery. Every test starts from it (or from one of the variants below) and patches only
# what it is about.
package fr.baseline_test

now := "2026-11-26T17:00:00Z"

base := {
	"now": now,
	"user": {
		"id": "tps-4471",
		"agency_id": "tps",
		"roles": ["investigator"],
		"training_completed": true,
		"training_expires_at": "2027-06-30T00:00:00-04:00",
		"mfa_verified": true,
	},
	"agency": {
		"id": "tps",
		"name": "Toronto Police Service",
		"kind": "municipal",
		"jurisdiction": "CA-ON",
		"municipality": "Toronto",
		"service_area_municipalities": ["Toronto"],
		"pia_completed": true,
		"cai_disclosure_filed": false,
		"fr_program_approved": true,
	},
	"purpose": "criminal_investigation",
	"offence": {"code": "CC 344(1)(a.1)", "category": "robbery", "indictable": true},
	"case_number": "TPS-2026-118734",
	"justification": "Armed robbery at a convenience store; CCTV still is the only identification lead.",
	"warrant": null,
	"exigent": {
		"claimed": false,
		"reason": "",
		"supervisor_approved_by": "",
		"category": "",
		"approved_at": null,
		"approver": null,
	},
	"interagency": null,
	"probe": {
		"source": "cctv",
		"collected_in": "CA-ON",
		"collected_municipality": "Toronto",
		"subject_believed_minor": false,
		"captured_at": "2026-11-25T22:14:05-05:00",
	},
	"gallery": {
		"id": "tps-ica-booking",
		"owner_agency_id": "tps",
		"owner_jurisdiction": "CA-ON",
		"legal_basis": "identification_of_criminals_act",
		"contains_youth_records": false,
		"ycja_access_period_enforced": true,
		"shared_with": [],
		"sharing_agreement_id": "",
		"cai_disclosure_filed": false,
		"consent_express": false,
		"authorized_case_number": "",
	},
}

# A production order valid for base's case, issued in Ontario to TPS.
production_order := {
	"kind": "production_order",
	"number": "PO-2026-0419",
	"issuing_court": "Ontario Court of Justice, Toronto",
	"issuing_jurisdiction": "CA-ON",
	"issued_at": "2026-11-20T09:30:00-05:00",
	"expires_at": "2026-12-20T17:00:00-05:00",
	"authorized_purposes": ["criminal_investigation"],
	"authorized_case_number": "TPS-2026-118734",
	"endorsed_jurisdictions": [],
	"applicant_agency_id": "tps",
}

general_warrant := object.union(production_order, {"kind": "general_warrant", "number": "GW-2026-0077"})

search_warrant := object.union(production_order, {"kind": "search_warrant", "number": "SW-2026-1180"})

# base against a transit operator's archive (third-party records) under a production order.
third_party := object.union(base, {
	"gallery": {
		"id": "ttc-fare-card-photos",
		"owner_agency_id": "ttc",
		"legal_basis": "third_party_records",
	},
	"warrant": production_order,
})

# A valid exigent claim approved by a TPS sergeant thirty minutes before now, granted to
# base's investigator for base's case and an imminent threat to life.
exigent_claim := {
	"claimed": true,
	"reason": "Abducted child seen on CCTV entering a vehicle; suspect identity needed to locate the child now.",
	"case_number": "TPS-2026-118734",
	"granted_to": "tps-4471",
	"purpose": "imminent_threat_to_life",
	"supervisor_approved_by": "tps-sgt-0102",
	"category": "child_at_imminent_risk",
	"approved_at": "2026-11-26T16:30:00Z",
	"approver": {"agency_id": "tps", "roles": ["supervisor"]},
}

exigent := object.union(base, {"purpose": "imminent_threat_to_life", "offence": null, "exigent": exigent_claim})

# A Toronto live-feed search under a general warrant.
live_feed := object.union(base, {
	"probe": {"source": "surveillance_live_feed", "captured_at": now},
	"warrant": general_warrant,
})

patch(doc, overrides) := object.union(doc, overrides)

drop(doc, paths) := json.remove(doc, paths)

decide(inp) := d if {
	d := data.fr.baseline.decision with input as inp
}

decide_cfg(inp, cfg) := d if {
	d := data.fr.baseline.decision with input as inp with data.fr.config as cfg
}

config := data.fr.config

codes_of(d) := {r.code | some r in d.reasons}

codes(inp) := codes_of(decide(inp))

fires(inp, code) if code in codes(inp)

# The decision must exist for "silent" to mean anything; an undefined decision is a failure.
silent(inp, code) if {
	cs := codes(inp)
	not code in cs
}

allowed(inp) if decide(inp).allow == true

denied(inp) if decide(inp).allow == false

denied_with(inp, code) if {
	d := decide(inp)
	d.allow == false
	code in codes_of(d)
}

only_malformed(inp) if {
	d := decide(inp)
	d.allow == false
	[r.code | some r in d.reasons] == ["request_malformed"]
}

obligation(inp, key) := decide(inp).obligations[key]

# Sanity of the fixtures themselves: the variants are allowed as written.
test_base_inputs_are_allowed if {
	allowed(base)
	allowed(third_party)
	allowed(exigent)
	allowed(live_feed)
}
