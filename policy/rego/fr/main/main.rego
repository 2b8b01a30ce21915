# Final decision: the national baseline AND the requesting agency's overlay.
#
# An agency's compliance officers may add stricter rules in package
# fr.overlays.<agency_id>, each a `deny contains {"code", "message", "authority"}`.
# Overlays are looked up dynamically as data.fr.overlays[<agency id>] (the embedded
# engine resolves a package by a computed key, the same as OPA does), so adding an
# overlay needs no change here. Only the overlay's deny set is read: whatever else it
# defines (allow, decision, obligations) is ignored, so an overlay can deny more but
# can never allow what the baseline denies.
package fr.main

_agency := input.agency if is_object(input)

_agency_id := _agency.id if {
	is_object(_agency)
	is_string(_agency.id)
	regex.match(`^[a-z0-9_]+$`, _agency.id)
}

_overlay := data.fr.overlays[_agency_id] if is_object(data.fr.overlays[_agency_id])

_overlay_denies := _overlay.deny if {
	is_set(_overlay.deny)
} else := _overlay.deny if {
	is_array(_overlay.deny)
}

# A deny value that is not a collection of reasons still denies (fail closed).
_overlay_malformed if {
	"deny" in object.keys(_overlay)
	not _overlay_denies
}

# METADATA
# title: Overlay deny reasons
# description: >-
#   The agency overlay's deny reasons in the decision's reason shape (kind "deny"); an entry
#   without a string code, or a deny that is not a set, is reported as overlay_policy_invalid.
# custom:
#   rule: overlay
#   code: overlay_deny
#   kind: overlay
#   authority: "Agency overlay policy (stricter than the national baseline)."
overlay_deny contains _overlay_reason(entry) if some entry in _overlay_denies

overlay_deny contains _overlay_invalid if _overlay_malformed

_overlay_rule := sprintf("overlay:%s", [_agency_id])

_overlay_reason(entry) := {
	"code": entry.code,
	"message": _text_or(entry, "message", "Denied by the agency's overlay policy."),
	"authority": _text_or(entry, "authority", "Agency overlay policy."),
	"rule": _text_or(entry, "rule", _overlay_rule),
	"kind": "deny",
} if {
	is_object(entry)
	is_string(entry.code)
	trim_space(entry.code) != ""
}

else := _overlay_invalid

_overlay_invalid := {
	"code": "overlay_policy_invalid",
	"message": "The agency's overlay policy returned a malformed deny reason; the search is denied.",
	"authority": "Fail-closed design.",
	"rule": _overlay_rule,
	"kind": "deny",
}

_text_or(obj, key, fallback) := obj[key] if is_string(obj[key])

else := fallback

_baseline := data.fr.baseline.decision

_overlay_reasons := [r |
	some code in sort({r.code | some r in overlay_deny})
	some r in overlay_deny
	r.code == code
]

# METADATA
# title: Final allow
# description: baseline allow and no overlay deny.
# custom:
#   rule: decision
#   code: allow
#   kind: decision
#   authority: "An agency overlay may only add restrictions to the national baseline."
default allow := false

allow if {
	_baseline.allow == true
	count(overlay_deny) == 0
}

# METADATA
# title: Final decision
# description: >-
#   The baseline decision with the overlay's deny reasons placed after the baseline deny
#   reasons and before the info reasons; obligations are the baseline's.
# entrypoint: true
# custom:
#   rule: decision
#   code: decision
#   kind: decision
#   authority: "An agency overlay may only add restrictions to the national baseline."
decision := {
	"allow": allow,
	"reasons": array.concat(array.concat(_baseline_denies, _overlay_reasons), _baseline_infos),
	"obligations": _baseline.obligations,
}

_baseline_denies := [r | some r in _baseline.reasons; r.kind == "deny"]

_baseline_infos := [r | some r in _baseline.reasons; r.kind != "deny"]
