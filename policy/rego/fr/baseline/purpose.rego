# Purpose and offence (§4.P, §9.5).
package fr.baseline

_purpose_permitted if _purpose in _purposes_permitted

_purpose_needs_offence if _purpose in _offence_purposes

_offence_category := _norm_text(_field(_offence, "category"))

# METADATA
# title: P-01 purpose_prohibited
# description: purpose is on the prohibited list; never cured by a warrant or an exigent claim.
# custom:
#   rule: P-01
#   code: purpose_prohibited
#   kind: deny
#   authority: >-
#     Charter ss. 2(b), (c), (d) (expression, assembly, association; protest), s. 8, s. 15; FPT
#     Joint Statement (May 2, 2022), which asks that "no-go zones" include any FR use that can
#     result in mass surveillance; PIPEDA Findings #2021-001 (Clearview) (mass identification is an
#     inappropriate purpose); Privacy Act s. 4 and provincial equivalents (collection must relate to
#     an operating program; immigration and employment vetting are not police FR programs); Police
#     Record Checks Reform Act, 2015 (Ont.) for vetting.
deny contains "purpose_prohibited" if _purpose in _purposes_prohibited

# METADATA
# title: P-02 purpose_unknown
# description: purpose is on neither the permitted nor the prohibited list.
# custom:
#   rule: P-02
#   code: purpose_unknown
#   kind: deny
#   authority: "Purpose specification and limitation (OPC FR guidance)."
deny contains "purpose_unknown" if {
	not _purpose_permitted
	not _purpose in _purposes_prohibited
}

# METADATA
# title: P-03 purpose_not_permitted_for_agency
# description: national_security requested by a municipal or provincial agency.
# custom:
#   rule: P-03
#   code: purpose_not_permitted_for_agency
#   kind: deny
#   authority: >-
#     Security Offences Act, R.S.C. 1985, c. S-7 (RCMP primary responsibility for security offences;
#     section believed to be 6, not verified). Provincial and municipal police may lawfully
#     investigate terrorism offences, so this is a policy choice (U10).
deny contains "purpose_not_permitted_for_agency" if {
	_purpose == "national_security"
	_agency_kind in _provincial_police_kinds
}

# METADATA
# title: P-04 offence_missing
# description: an offence-based purpose without an offence, or with a blank code or category.
# custom:
#   rule: P-04
#   code: offence_missing
#   kind: deny
#   authority: >-
#     Purpose limitation; Criminal Code ss. 487.01(1)(a) and 487.014(2)(a), which require a specific
#     offence for authorizations.
deny contains "offence_missing" if {
	_purpose_needs_offence
	not _offence_identified
}

_offence_identified if {
	_offence_present
	_nonblank(_field(_offence, "code"))
	_nonblank(_field(_offence, "category"))
}

# METADATA
# title: P-05 offence_summary_only
# description: an offence object accompanies an offence-based purpose and indictable is not true.
# custom:
#   rule: P-05
#   code: offence_summary_only
#   kind: deny
#   authority: >-
#     Identification of Criminals Act, R.S.C. 1985, c. I-1, s. 2(1) (photographs are taken of
#     persons charged with or convicted of indictable offences, hybrid offences included). Using
#     them for summary-only matters is not a consistent use (Privacy Act s. 7(a); MFIPPA s. 31) and
#     is disproportionate.
deny contains "offence_summary_only" if {
	_purpose_needs_offence
	_offence_present
	not _true(_offence, "indictable")
}

# METADATA
# title: P-06 offence_below_seriousness_threshold
# description: >-
#   a supplied offence's category is in config low_severity_categories, whatever the purpose.
# custom:
#   rule: P-06
#   code: offence_below_seriousness_threshold
#   kind: deny
#   authority: >-
#     IPC Ontario (2024): limit FR to serious offences; OPC FR guidance (necessity/proportionality);
#     FPT Joint Statement (May 2022).
deny contains "offence_below_seriousness_threshold" if {
	_offence_present
	_offence_category in _low_severity_categories
}

# METADATA
# title: P-07 purpose_offence_mismatch
# description: >-
#   With an offence present: child_exploitation without category child_sexual_exploitation, or
#   national_security without terrorism / national_security_offence. A missing category mismatches.
# custom:
#   rule: P-07
#   code: purpose_offence_mismatch
#   kind: deny
#   authority: "Purpose limitation (OPC FR guidance)."
deny contains "purpose_offence_mismatch" if {
	_offence_present
	_purpose_offence_mismatch
}

_purpose_offence_mismatch if {
	_purpose == "child_exploitation"
	_offence_category != "child_sexual_exploitation"
}

_purpose_offence_mismatch if {
	_purpose == "national_security"
	not _offence_category in _national_security_categories
}

# METADATA
# title: P-08 exigent_required_for_purpose
# description: imminent_threat_to_life without a valid exigent path.
# custom:
#   rule: P-08
#   code: exigent_required_for_purpose
#   kind: deny
#   authority: >-
#     R. v. Godoy, [1999] 1 S.C.R. 311 (police duty to protect life); R. v. Paterson, 2017 SCC 15
#     (exigency = urgency requiring immediate action for safety).
deny contains "exigent_required_for_purpose" if {
	_purpose == "imminent_threat_to_life"
	not _exigent_valid
}
