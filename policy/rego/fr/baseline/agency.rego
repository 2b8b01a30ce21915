# The requesting agency and its governance (§4.C).
package fr.baseline

# METADATA
# title: C-01 agency_not_law_enforcement
# description: agency.kind is not municipal, provincial or federal (e.g. an oversight body).
# custom:
#   rule: C-01
#   code: agency_not_law_enforcement
#   kind: deny
#   authority: >-
#     OPC FR guidance (scope: federal, provincial, regional and municipal police agencies).
#     Oversight bodies' audit powers come from their own statutes.
deny contains "agency_not_law_enforcement" if not _agency_kind in _police_kinds

# METADATA
# title: C-02 agency_profile_invalid
# description: >-
#   Registry data cannot place the agency or the gallery: unknown agency kind, unknown
#   jurisdiction code, federal outside "CA", municipal/provincial outside the 13 provinces
#   and territories, municipal without a municipality, or a gallery owner jurisdiction that
#   is not "CA" or a province/territory code (§9.3).
# custom:
#   rule: C-02
#   code: agency_profile_invalid
#   kind: deny
#   authority: "Fail-closed design."
deny contains "agency_profile_invalid" if count(_agency_profile_problems) > 0

_agency_profile_problems contains "agency.kind" if not _agency_kind in _agency_kinds

_agency_profile_problems contains "agency.jurisdiction" if not _agency_jurisdiction in _canadian_codes

_agency_profile_problems contains "federal.jurisdiction" if {
	_agency_kind == "federal"
	_agency_jurisdiction != "CA"
}

_agency_profile_problems contains "provincial.jurisdiction" if {
	_agency_kind in _provincial_police_kinds
	not _agency_jurisdiction in _provinces
}

_agency_profile_problems contains "agency.municipality" if {
	_agency_kind == "municipal"
	_blank(_field(_agency, "municipality"))
}

_agency_profile_problems contains "gallery.owner_jurisdiction" if {
	not _string_field(_gallery, "owner_jurisdiction") in _canadian_codes
}

# METADATA
# title: C-03 pia_not_completed
# description: agency.pia_completed is not true.
# custom:
#   rule: C-03
#   code: pia_not_completed
#   kind: deny
#   authority: >-
#     TBS Directive on Privacy Practices, Appendix C (Standard on Privacy Impact Assessment,
#     effective Oct 9, 2024), federal institutions incl. RCMP; Quebec Act respecting access to
#     documents held by public bodies (CQLR c. A-2.1) as amended by Law 25 (PIA for
#     information-system projects; section believed to be 63.5, not verified); BC FIPPA s. 69 (PIA
#     duty; subsection not verified); OPC FR guidance and IPC Ontario (2024) recommend a PIA
#     everywhere.
deny contains "pia_not_completed" if not _true(_agency, "pia_completed")

# METADATA
# title: C-04 fr_program_not_approved
# description: agency.fr_program_approved is not true.
# custom:
#   rule: C-04
#   code: fr_program_not_approved
#   kind: deny
#   authority: >-
#     TPSB Policy Use of Artificial Intelligence Technology (Feb 28, 2022): risk-tiered review with
#     Board approval before use of high-risk AI. TPS lists NeoFace Reveal as a High-Risk technology
#     (inventory published Jan 11, 2024). RCMP National Technology Onboarding Program (2021):
#     technology assessment before operational use.
deny contains "fr_program_not_approved" if not _true(_agency, "fr_program_approved")
