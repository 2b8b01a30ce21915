# Obligations attached to every decision (§4.K, §9.10). They are always computed; the
# service enforces them only when the search is allowed. Numbers come from data.fr.config.
package fr.baseline

# METADATA
# title: K-01..K-15 obligations
# description: >-
#   human_review_required, results_lead_only, audit_log and template_retention are constant;
#   the other keys follow the rules below. post_hoc_review_within_hours is present only on
#   a valid exigent path.
# custom:
#   rule: K-01..K-15
#   code: obligations
#   kind: obligation
#   authority: "See the K rules in the policy specification (§4.K)."
obligations := object.union(_obligations_always, _obligations_exigent)

_obligations_always := {
	"human_review_required": true,
	"results_lead_only": true,
	"audit_log": "full",
	"template_retention": "delete_after_search",
	"max_candidates": _max_candidates,
	"min_similarity": _min_similarity,
	"probe_retention_days": _probe_retention_days,
	"supervisor_notification": _supervisor_notification,
	"post_hoc_review_required": _post_hoc_review_required,
	"judicial_authorization_followup": _judicial_followup,
	"ycja_handling": _ycja_handling_flag,
	"victim_identity_protection": _purpose in {"victim_identification", "child_exploitation"},
	"provenance_record_required": _probe_source in _low_provenance_sources,
	"qc_destroy_biometrics_when_purpose_met": _qc_destroy_biometrics,
	"discard_non_matching_faces_immediately": _discard_non_matching,
}

_obligations_exigent := {"post_hoc_review_within_hours": _config.post_hoc_review_within_hours} if {
	_exigent_valid
} else := {}

# Each flag is a rule with an else branch: a condition that is undefined yields false,
# never an undefined obligations object.
_post_hoc_review_required := true if _exigent_valid

else := false

# K-05: the restricted cap applies on a valid exigent path, for a minor probe or a live feed.
_max_candidates := _config.max_candidates_restricted if _restricted_candidates

else := _config.max_candidates_default

_restricted_candidates if _exigent_valid

_restricted_candidates if _minor_probe

_restricted_candidates if _live_feed

# K-06: first matching clause wins (§9.10).
_min_similarity := _config.min_similarity_live if _live_feed

else := _config.min_similarity_lowprov if _probe_source in _low_provenance_sources

else := _config.min_similarity_default

# K-07: first matching clause wins (§9.10).
_probe_retention_days := _config.probe_retention_days_live if _live_feed

else := _config.probe_retention_days_humanitarian if _purpose in _humanitarian_purposes

else := _config.probe_retention_days_default

# K-08
_supervisor_notification := true if _notify_supervisor

else := false

_notify_supervisor if _exigent_valid

_notify_supervisor if _minor_probe

_notify_supervisor if _youth_gallery

_notify_supervisor if _probe_source == "public_web"

_notify_supervisor if _live_feed

_notify_supervisor if _purpose == "child_exploitation"

_notify_supervisor if "probe_outside_municipality_notice" in info

_notify_supervisor if "interagency_agreement_applied" in info

# K-10
_judicial_followup := true if _judicial_followup_needed

else := false

_judicial_followup_needed if {
	_exigent_valid
	_warrant_required
	not _warrant_present
}

# K-11
_ycja_handling_flag := true if _ycja_handling

else := false

_ycja_handling if _minor_probe

_ycja_handling if _youth_gallery

# K-14
_qc_destroy_biometrics := true if _qc_involved

else := false

# K-15
_discard_non_matching := true if _live_feed

else := false
