# Exigent circumstances (§4.E, §9.9).
#
# E-01 to E-07 and E-09 apply only when exigent.claimed is true. The path is valid when the
# claim is made and none of them fires; a defective claim denies even when no warrant was
# needed.
package fr.baseline

_exigent_claimed if _true(_exigent, "claimed")

_exigent_approver_id := _field(_exigent, "supervisor_approved_by")

# E-01 to E-07 and E-09 are collected here rather than read back from deny, because P-08, S-06 and
# W-01 depend on the exigent path and deny must not depend on itself.
deny contains code if some code in _exigent_defects

_exigent_valid if {
	_exigent_claimed
	count(_exigent_defects) == 0
}

# METADATA
# title: E-01 exigent_no_supervisor_approval
# description: claimed with a blank supervisor_approved_by.
# custom:
#   rule: E-01
#   code: exigent_no_supervisor_approval
#   kind: deny
#   authority: >-
#     OPC FR guidance (accountability); mirrors RCMP interim direction (2020) that Clearview use
#     needed Criminal Operations Officer approval.
_exigent_defects contains "exigent_no_supervisor_approval" if {
	_exigent_claimed
	_blank(_exigent_approver_id)
}

# METADATA
# title: E-02 exigent_self_approved
# description: >-
#   claimed and approved by the requesting user (ids compared trimmed, case-insensitively).
# custom:
#   rule: E-02
#   code: exigent_self_approved
#   kind: deny
#   authority: "Independence of approval (accountability)."
_exigent_defects contains "exigent_self_approved" if {
	_exigent_claimed
	_nonblank(_exigent_approver_id)
	_norm_text(_exigent_approver_id) == _norm_text(_user_id)
}

# METADATA
# title: E-03 exigent_approver_not_supervisor
# description: >-
#   claimed with an approver id, but the approver record is missing, lacks the supervisor
#   role, or belongs to another agency.
# custom:
#   rule: E-03
#   code: exigent_approver_not_supervisor
#   kind: deny
#   authority: "Accountability."
_exigent_defects contains "exigent_approver_not_supervisor" if {
	_exigent_claimed
	_nonblank(_exigent_approver_id)
	not _approver_is_agency_supervisor
}

_approver_is_agency_supervisor if {
	approver := _object_field(_exigent, "approver")
	"supervisor" in _strings_in(approver, "roles")
	_nonblank(_agency_id)
	_field(approver, "agency_id") == _agency_id
}

# METADATA
# title: E-04 exigent_reason_missing
# description: claimed with a blank reason.
# custom:
#   rule: E-04
#   code: exigent_reason_missing
#   kind: deny
#   authority: >-
#     Cr.C. s. 487.11 (conditions for a warrant exist and exigency makes obtaining one
#     impracticable); the Crown must prove an evidentiary basis for exigency.
_exigent_defects contains "exigent_reason_missing" if {
	_exigent_claimed
	_blank(_field(_exigent, "reason"))
}

# METADATA
# title: E-05 exigent_category_ineligible
# description: >-
#   claimed with a category other than risk to life/bodily harm or child at imminent risk.
# custom:
#   rule: E-05
#   code: exigent_category_ineligible
#   kind: deny
#   authority: >-
#     R. v. Paterson, 2017 SCC 15; Cr.C. s. 529.3(2) (statutory definition of exigency: imminent
#     bodily harm or death, or imminent loss of evidence), by analogy; R. v. Godoy.
_exigent_defects contains "exigent_category_ineligible" if {
	_exigent_claimed
	not _field(_exigent, "category") in _exigent_categories_eligible
}

# METADATA
# title: E-06 exigent_approval_stale
# description: >-
#   claimed with approved_at missing, later than now, or more than exigent_max_age_hours
#   before now (exactly the maximum age is still valid).
# custom:
#   rule: E-06
#   code: exigent_approval_stale
#   kind: deny
#   authority: "Exigency is confined to urgency (Paterson)."
_exigent_defects contains "exigent_approval_stale" if {
	_exigent_claimed
	not _exigent_approval_fresh
}

_exigent_approval_fresh if {
	approved := _ns(_field(_exigent, "approved_at"))
	approved <= _now
	_now - approved <= _config.exigent_max_age_hours * 3600000000000
}

# METADATA
# title: E-07 exigent_not_available_for_live_feed
# description: claimed for a live-feed probe without a warrant.
# custom:
#   rule: E-07
#   code: exigent_not_available_for_live_feed
#   kind: deny
#   authority: >-
#     Cr.C. s. 487.11 extends only to powers in ss. 487(1) and 492.1(1), not to s. 487.01
#     techniques; FPT Joint Statement (mass-surveillance no-go zone).
_exigent_defects contains "exigent_not_available_for_live_feed" if {
	_exigent_claimed
	_live_feed
	not _warrant_present
}

# METADATA
# title: E-09 exigent_approval_not_for_this_search
# description: >-
#   claimed, and the approval was granted for another case (normalized case_number), to another
#   officer (granted_to against user.id, trimmed and case-insensitive) or for another purpose;
#   a blank or missing case_number, granted_to or purpose on the approval counts as another.
# custom:
#   rule: E-09
#   code: exigent_approval_not_for_this_search
#   kind: deny
#   authority: >-
#     Cr.C. s. 487.11 (the power is exercised by the peace officer for whom the conditions for a
#     warrant exist, in that investigation); R. v. Paterson, 2017 SCC 15 (exigency is judged on the
#     circumstances of the particular search); accountability (an approval is bound like a warrant,
#     W-08 and W-09).
_exigent_defects contains "exigent_approval_not_for_this_search" if {
	_exigent_claimed
	not _exigent_granted_for_this_search
}

_exigent_granted_for_this_search if {
	case_number := _field(_exigent, "case_number")
	_nonblank(case_number)
	_norm_case(case_number) == _norm_case(_field(_in, "case_number"))
	granted_to := _field(_exigent, "granted_to")
	_nonblank(granted_to)
	_norm_text(granted_to) == _norm_text(_user_id)
	purpose := _field(_exigent, "purpose")
	_nonblank(purpose)
	purpose == _purpose
}

# METADATA
# title: E-08 authority_exigent_circumstances
# description: the exigent path is valid.
# custom:
#   rule: E-08
#   code: authority_exigent_circumstances
#   kind: info
#   authority: >-
#     Cr.C. s. 487.11; R. v. Paterson; R. v. Godoy; R. v. Tse, 2012 SCC 16 (warrantless emergency
#     powers need after-the-fact accountability).
info contains "authority_exigent_circumstances" if _exigent_valid
