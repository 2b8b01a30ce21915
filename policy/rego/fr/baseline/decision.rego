# The baseline decision (§1): deny-overrides over every rule, all reasons reported at once.
package fr.baseline

# METADATA
# title: Baseline allow
# description: true iff no deny reason fired; info reasons never change it.
# custom:
#   rule: decision
#   code: allow
#   kind: decision
#   authority: "Deny-overrides decision model (§1.2); fail closed (§1.5)."
default allow := false

allow if count(_deny_reported) == 0

# §9.1: a malformed request is answered with request_malformed alone.
_deny_reported := {"request_malformed"} if _malformed

else := deny

_info_reported := set() if _malformed

else := info

# METADATA
# title: Baseline decision
# description: >-
#   {allow, reasons, obligations}; reasons are the deny reasons then the info reasons, each
#   group ordered by rule id, each reason {code, message, authority, rule, kind}.
# custom:
#   rule: decision
#   code: decision
#   kind: decision
#   authority: "Decision model (§1)."
decision := {
	"allow": allow,
	"reasons": array.concat(_reasons_of(_deny_reported), _reasons_of(_info_reported)),
	"obligations": obligations,
}

_reasons_of(codes) := [_reason(code) |
	some rule_id in sort([reason_catalog[c].rule | some c in codes])
	some code in codes
	reason_catalog[code].rule == rule_id
]

_reason(code) := {
	"code": code,
	"message": _message(code),
	"authority": reason_catalog[code].authority,
	"rule": reason_catalog[code].rule,
	"kind": reason_catalog[code].kind,
}

# J-05 names the agreement it relied on.
_message(code) := replace(reason_catalog[code].message, "{agreement_id}", _interagency_id) if {
	code == "interagency_agreement_applied"
	is_string(_interagency_id)
}

else := reason_catalog[code].message
