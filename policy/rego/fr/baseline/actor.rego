# The requesting user (§4.B). Unknown roles are ignored: they grant nothing (§9.3).
package fr.baseline

_roles := _strings_in(_user, "roles") & _roles_known

_holds_search_role if count(_roles & _search_roles) > 0

# METADATA
# title: B-01 user_agency_mismatch
# description: >-
#   user.agency_id differs from agency.id; a missing id on either side is a mismatch (§9.4).
# custom:
#   rule: B-01
#   code: user_agency_mismatch
#   kind: deny
#   authority: >-
#     Access-control integrity; MFIPPA s. 32(d) and Privacy Act s. 7 (use by the institution's own
#     officers for its purposes).
deny contains "user_agency_mismatch" if not _user_in_agency

_user_in_agency if {
	_nonblank(_agency_id)
	_string_field(_user, "agency_id") == _agency_id
}

# METADATA
# title: B-02 user_role_not_permitted
# description: user.roles holds neither investigator nor analyst.
# custom:
#   rule: B-02
#   code: user_role_not_permitted
#   kind: deny
#   authority: >-
#     OPC FR guidance (limit access to trained, designated personnel); MFIPPA s. 32(d) ("needs the
#     record in the performance of his or her duties"); TPSB AI Policy (Feb 28, 2022).
deny contains "user_role_not_permitted" if not _holds_search_role

# METADATA
# title: B-03 segregation_of_duties_conflict
# description: the user holds a search role together with auditor or compliance_officer.
# custom:
#   rule: B-03
#   code: segregation_of_duties_conflict
#   kind: deny
#   authority: "OPC FR guidance (accountability, independent audit)."
deny contains "segregation_of_duties_conflict" if {
	_holds_search_role
	count(_roles & _oversight_roles) > 0
}

# METADATA
# title: B-04 training_not_completed
# description: user.training_completed is not true.
# custom:
#   rule: B-04
#   code: training_not_completed
#   kind: deny
#   authority: >-
#     OPC FR guidance (training of personnel); IPC Ontario, Facial Recognition and Mugshot
#     Databases: Guidance for Police in Ontario (Jan 2024); OPC special report on RCMP use of
#     Clearview (June 10, 2021), which recommended training.
deny contains "training_not_completed" if not _true(_user, "training_completed")

# METADATA
# title: B-05 training_expired
# description: training_expires_at missing, or now is at or after it.
# custom:
#   rule: B-05
#   code: training_expired
#   kind: deny
#   authority: "As B-04."
deny contains "training_expired" if not _training_current

_training_current if _now < _ns(_field(_user, "training_expires_at"))

# METADATA
# title: B-06 mfa_not_verified
# description: user.mfa_verified is not true.
# custom:
#   rule: B-06
#   code: mfa_not_verified
#   kind: deny
#   authority: >-
#     Safeguards principle (Privacy Act s. 6 and MFIPPA security obligations in principle); TBS
#     Directive on Security Management. Good practice, not a statutory rule.
deny contains "mfa_not_verified" if not _true(_user, "mfa_verified")
