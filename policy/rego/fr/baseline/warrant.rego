# Judicial authorization (§3 warrant matrix, §4.W).
#
# A warrant is "present" when it is an object whose kind is not "none"; W-04 to W-12 are
# checked only for the three known kinds. A supplied warrant is always validated, even
# when none is required.
package fr.baseline

_warrant := _object_field(_in, "warrant")

_warrant_kind := _field(_warrant, "kind")

_warrant_present if {
	is_object(_field(_in, "warrant"))
	_warrant_kind != "none"
}

_warrant_known if {
	_warrant_present
	_warrant_kind in _warrant_kinds
}

# §3 triggers, each with the kinds it accepts; the acceptable set is their intersection.
_warrant_triggers["third_party_records"] := {"production_order", "general_warrant"} if {
	_legal_basis == "third_party_records"
}

_warrant_triggers["surveillance_live_feed"] := {"general_warrant"} if _live_feed

_warrant_triggers["strict_mode"] := _warrant_kinds if {
	_strict_mode
	_purpose_needs_offence
}

_warrant_required if count(_warrant_triggers) > 0

_acceptable_kinds := {kind |
	some kind in _warrant_kinds
	every accepted in _warrant_triggers {
		kind in accepted
	}
}

_warrant_kind_acceptable if {
	_warrant_known
	_warrant_kind in _acceptable_kinds
}

# W-03 to W-12: the defects that stop a supplied warrant from being relied on (W-13).
deny contains code if some code in _warrant_defects

_warrant_ns(key) := _ns(_field(_warrant, key))

_warrant_case := _field(_warrant, "authorized_case_number")

_warrant_issuer := _string_field(_warrant, "issuing_jurisdiction")

# METADATA
# title: W-01 warrant_required_missing
# description: >-
#   A §3 trigger applies, no warrant is present, and the probe is a live feed or the exigent
#   path is not valid.
# custom:
#   rule: W-01
#   code: warrant_required_missing
#   kind: deny
#   authority: >-
#     Charter s. 8; Hunter v. Southam, [1984] 2 S.C.R. 145; R. v. Spencer, 2014 SCC 43; R. v.
#     Bykovets, 2024 SCC 6; Cr.C. ss. 487.01, 487.014.
deny contains "warrant_required_missing" if {
	_warrant_required
	not _warrant_present
	not _exigent_substitutes_for_warrant
}

_exigent_substitutes_for_warrant if {
	_exigent_valid
	not _live_feed
}

# METADATA
# title: W-02 warrant_kind_insufficient
# description: a required warrant of a known kind outside the acceptable set.
# custom:
#   rule: W-02
#   code: warrant_kind_insufficient
#   kind: deny
#   authority: >-
#     Cr.C. s. 487.01(1)(c) (a general warrant only where no other provision applies); s. 487.014
#     (production orders compel existing records held by a person); R. v. Telus, 2013 SCC 16.
deny contains "warrant_kind_insufficient" if {
	_warrant_required
	_warrant_known
	not _warrant_kind in _acceptable_kinds
}

# METADATA
# title: W-03 warrant_kind_unknown
# description: >-
#   a warrant object whose kind is not search_warrant, general_warrant, production_order or none.
# custom:
#   rule: W-03
#   code: warrant_kind_unknown
#   kind: deny
#   authority: "Fail-closed."
_warrant_defects contains "warrant_kind_unknown" if {
	_warrant_present
	not _warrant_known
}

# METADATA
# title: W-04 warrant_incomplete
# description: >-
#   number, issuing_court, issuing_jurisdiction, issued_at, expires_at or
#   authorized_case_number blank, or authorized_purposes empty.
# custom:
#   rule: W-04
#   code: warrant_incomplete
#   kind: deny
#   authority: >-
#     Accountability; judicial authorizations are in prescribed forms (e.g. Cr.C. Form 5 and Forms
#     5.004 to 5.008; form numbers not individually verified).
_warrant_defects contains "warrant_incomplete" if {
	_warrant_known
	_warrant_incomplete
}

_warrant_incomplete if {
	some key in ["number", "issuing_court", "issuing_jurisdiction", "issued_at", "expires_at", "authorized_case_number"]
	_blank(_field(_warrant, key))
}

_warrant_incomplete if count(_strings_in(_warrant, "authorized_purposes")) == 0

# METADATA
# title: W-05 warrant_not_yet_valid
# description: issued_at is later than now.
# custom:
#   rule: W-05
#   code: warrant_not_yet_valid
#   kind: deny
#   authority: "Charter s. 8 (authorization must precede the search: Hunter v. Southam)."
_warrant_defects contains "warrant_not_yet_valid" if {
	_warrant_known
	_warrant_ns("issued_at") > _now
}

# METADATA
# title: W-06 warrant_expired
# description: now is at or after expires_at (half-open window, compared as instants).
# custom:
#   rule: W-06
#   code: warrant_expired
#   kind: deny
#   authority: >-
#     Terms of the authorization (Cr.C. s. 487.01(3); production-order time limits in s.
#     487.0192(1)); Charter s. 8.
_warrant_defects contains "warrant_expired" if {
	_warrant_known
	_now >= _warrant_ns("expires_at")
}

# METADATA
# title: W-07 warrant_window_invalid
# description: expires_at is at or before issued_at.
# custom:
#   rule: W-07
#   code: warrant_window_invalid
#   kind: deny
#   authority: "Data integrity."
_warrant_defects contains "warrant_window_invalid" if {
	_warrant_known
	_warrant_ns("expires_at") <= _warrant_ns("issued_at")
}

# METADATA
# title: W-08 warrant_case_mismatch
# description: normalized authorized_case_number differs from the normalized case_number.
# custom:
#   rule: W-08
#   code: warrant_case_mismatch
#   kind: deny
#   authority: >-
#     Charter s. 8 (search must stay within the authorization); Cr.C. s. 487.01(1)(a)
#     (offence-specific grounds).
_warrant_defects contains "warrant_case_mismatch" if {
	_warrant_known
	not _same_case(_warrant_case)
}

# METADATA
# title: W-09 warrant_purpose_out_of_scope
# description: purpose is not among authorized_purposes.
# custom:
#   rule: W-09
#   code: warrant_purpose_out_of_scope
#   kind: deny
#   authority: "Cr.C. s. 487.01(3) (terms and conditions); Charter s. 8 (manner of search)."
_warrant_defects contains "warrant_purpose_out_of_scope" if {
	_warrant_known
	not _purpose in _strings_in(_warrant, "authorized_purposes")
}

# METADATA
# title: W-10 warrant_issuer_not_canadian
# description: >-
#   issuing_jurisdiction is not one of the 13 province/territory codes ("CA" is not an issuer,
#   §9.7).
# custom:
#   rule: W-10
#   code: warrant_issuer_not_canadian
#   kind: deny
#   authority: >-
#     Charter s. 8; foreign evidence flows through the Mutual Legal Assistance in Criminal Matters
#     Act.
_warrant_defects contains "warrant_issuer_not_canadian" if {
	_warrant_known
	not _warrant_issuer in _provinces
}

# METADATA
# title: W-11 warrant_issuing_jurisdiction_mismatch
# description: >-
#   Municipal or provincial agency; not a production order; issued outside the agency's
#   province and not endorsed for it. Federal agencies accept any Canadian issuer.
# custom:
#   rule: W-11
#   code: warrant_issuing_jurisdiction_mismatch
#   kind: deny
#   authority: >-
#     Cr.C. s. 487(2) (search-warrant endorsement in another territorial division); s. 487.03(1)
#     (endorsement of s. 487.01 warrants in another province, but only where execution needs entry
#     on property or an assistance order, so this rule is a conservative approximation, U4); s.
#     487.019(2) (production orders have effect throughout Canada without endorsement); provincially
#     appointed officers lack authority outside their province (Interprovincial Policing Act, 2009,
#     S.O. 2009, c. 30 and counterparts).
_warrant_defects contains "warrant_issuing_jurisdiction_mismatch" if {
	_warrant_known
	_agency_kind in _provincial_police_kinds
	_warrant_kind != "production_order"
	_warrant_issuer != _agency_jurisdiction
	not _agency_jurisdiction in _strings_in(_warrant, "endorsed_jurisdictions")
}

# METADATA
# title: W-12 warrant_applicant_agency_mismatch
# description: >-
#   applicant_agency_id present and not the requesting agency, with no unexpired interagency
#   record naming the applicant as partner.
# custom:
#   rule: W-12
#   code: warrant_applicant_agency_mismatch
#   kind: deny
#   authority: >-
#     Production orders name the officer to whom production is made (Cr.C. s. 487.0192(1)); warrants
#     are directed to named or classed peace officers.
_warrant_defects contains "warrant_applicant_agency_mismatch" if {
	_warrant_known
	applicant := _field(_warrant, "applicant_agency_id")
	_supplied(applicant)
	applicant != _agency_id
	not _partner_agency(applicant)
}

_partner_agency(applicant) if {
	_interagency_unexpired
	_field(_interagency, "partner_agency_id") == applicant
}

# METADATA
# title: W-13 authority_judicial_authorization
# description: >-
#   A warrant is present, W-03 to W-12 are silent, and either none is required or its kind
#   is acceptable.
# custom:
#   rule: W-13
#   code: authority_judicial_authorization
#   kind: info
#   authority: "As cited on the warrant."
info contains "authority_judicial_authorization" if {
	_warrant_known
	count(_warrant_defects) == 0
	_warrant_sufficient
}

_warrant_sufficient if not _warrant_required

_warrant_sufficient if _warrant_kind_acceptable

# METADATA
# title: W-14 authority_no_warrant_required
# description: no §3 trigger applies and no warrant is present (reported alongside E-08 too).
# custom:
#   rule: W-14
#   code: authority_no_warrant_required
#   kind: info
#   authority: >-
#     ICA s. 2; common-law ancillary powers (R. v. Waterfield test as adopted in Dedman, Mann,
#     Fleming v. Ontario, 2019 SCC 45). Contested, see §7.
info contains "authority_no_warrant_required" if {
	not _warrant_required
	not _warrant_present
}
