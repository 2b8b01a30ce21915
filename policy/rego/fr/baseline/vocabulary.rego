# Controlled vocabularies and configuration for the Canadian FR baseline.
#
# Vocabularies are fixed by the specification (§2); tunable thresholds live in
# data.fr.config (§1.8) and are read only through _config so that a missing or
# mistyped key falls back to the specification default instead of going undefined.
package fr.baseline

_config_defaults := {
	"require_warrant_for_all_searches": false,
	"justification_min_chars": 20,
	"exigent_max_age_hours": 24,
	"post_hoc_review_within_hours": 72,
	"low_severity_categories": [
		"theft_under_5000",
		"mischief_under_5000",
		"fraud_under_5000",
		"possession_stolen_property_under_5000",
		"administration_of_justice",
		"disturbance",
		"provincial_offence",
		"bylaw",
	],
	"max_candidates_default": 20,
	"max_candidates_restricted": 10,
	"min_similarity_default": 0.80,
	"min_similarity_lowprov": 0.85,
	"min_similarity_live": 0.90,
	"probe_retention_days_default": 30,
	"probe_retention_days_humanitarian": 7,
	"probe_retention_days_live": 0,
}

_config_supplied := c if {
	c := data.fr.config
	is_object(c)
} else := {}

# A key is taken from data.fr.config only when it has the default's JSON type.
_config[key] := value if {
	some key, fallback in _config_defaults
	value := _config_value(key, fallback)
}

_config_value(key, fallback) := v if {
	v := _config_supplied[key]
	type_name(v) == type_name(fallback)
	not _bad_config_list(v)
} else := fallback

_bad_config_list(v) if {
	is_array(v)
	some item in v
	not is_string(item)
}

# Strict mode fails closed: any supplied value other than false (a string "true", null)
# switches it on rather than being discarded as mistyped.
_strict_mode if object.get(_config_supplied, "require_warrant_for_all_searches", false) != false

_low_severity_categories := {lower(trim_space(c)) | some c in _config.low_severity_categories}

_provinces := {
	"CA-AB", "CA-BC", "CA-MB", "CA-NB", "CA-NL", "CA-NS", "CA-NT",
	"CA-NU", "CA-ON", "CA-PE", "CA-QC", "CA-SK", "CA-YT",
}

_canadian_codes := _provinces | {"CA"}

_roles_known := {"investigator", "analyst", "supervisor", "compliance_officer", "agency_admin", "auditor"}

_search_roles := {"investigator", "analyst"}

_oversight_roles := {"auditor", "compliance_officer"}

_agency_kinds := {"municipal", "provincial", "federal", "oversight"}

_police_kinds := {"municipal", "provincial", "federal"}

_provincial_police_kinds := {"municipal", "provincial"}

_purposes_permitted := {
	"criminal_investigation",
	"child_exploitation",
	"victim_identification",
	"national_security",
	"missing_person",
	"unidentified_deceased",
	"imminent_threat_to_life",
}

_purposes_prohibited := {
	"general_surveillance",
	"protest_monitoring",
	"immigration_status",
	"employment_screening",
	"personal_use",
	"demographic_profiling",
	"civil_or_bylaw_enforcement",
	"vendor_testing",
}

# Purposes that need an offence (P-04) and that YCJA s. 119(1) treats as law enforcement (Y-01).
_offence_purposes := {"criminal_investigation", "child_exploitation", "national_security", "victim_identification"}

_humanitarian_purposes := {"missing_person", "unidentified_deceased"}

_national_security_categories := {"terrorism", "national_security_offence"}

_probe_sources := {
	"cctv",
	"booking_photo",
	"witness_submission",
	"body_worn_camera",
	"social_media_scrape",
	"public_web",
	"surveillance_live_feed",
	"victim_photo",
}

_low_provenance_sources := {"witness_submission", "public_web"}

_legal_bases_lawful := {
	"identification_of_criminals_act",
	"consent",
	"court_order",
	"provincial_statute",
	"third_party_records",
}

_legal_bases_scraped := {"vendor_scraped", "social_media_scrape", "public_web_scrape"}

# §2 purpose × gallery compatibility (S-06). court_order and third_party_records accept every
# permitted purpose; their limits are S-07 and the warrant matrix.
_gallery_compatible := {
	"identification_of_criminals_act": {
		"criminal_investigation",
		"child_exploitation",
		"national_security",
		"victim_identification",
		"imminent_threat_to_life",
	},
	"consent": {"missing_person", "unidentified_deceased", "victim_identification"},
	"provincial_statute": {"missing_person", "unidentified_deceased"},
	"court_order": _purposes_permitted,
	"third_party_records": _purposes_permitted,
}

_warrant_kinds := {"search_warrant", "general_warrant", "production_order"}

_exigent_categories_eligible := {"imminent_risk_to_life_or_bodily_harm", "child_at_imminent_risk"}

_domestic_agreement_kinds := {"joint_forces_operation", "assistance_request", "information_sharing_agreement"}

_foreign_agreement_kinds := {"mlat", "international_arrangement"}
