# Quebec biometric rules, CQLR c. C-1.1 ss. 44-45 (§4.Q, §9.11).
#
# Not applied to federal agencies operating in Quebec (U3).
package fr.baseline

# §9.11: a Quebec agency is a municipal or provincial agency with jurisdiction CA-QC.
_qc_agency if {
	_agency_kind in _provincial_police_kinds
	_agency_jurisdiction == "CA-QC"
}

_qc_gallery if _field(_gallery, "owner_jurisdiction") == "CA-QC"

_qc_involved if _qc_agency

_qc_involved if _qc_gallery

# METADATA
# title: Q-01 qc_cai_disclosure_missing
# description: >-
#   A Quebec agency without agency.cai_disclosure_filed, or a Quebec-owned gallery without
#   gallery.cai_disclosure_filed.
# custom:
#   rule: Q-01
#   code: qc_cai_disclosure_missing
#   kind: deny
#   authority: >-
#     Act to establish a legal framework for information technology, CQLR c. C-1.1, s. 45. Since
#     Sept 22, 2022 (S.Q. 2021, c. 25) creation must be disclosed to the CAI no later than 60 days
#     before the database is brought into service, and use of biometric identity verification must
#     be disclosed in advance. The CAI may suspend, prohibit or order destruction of a non-compliant
#     database. Found breached by Clearview (PIPEDA Findings #2021-001, CAI component).
deny contains "qc_cai_disclosure_missing" if {
	_qc_agency
	not _true(_agency, "cai_disclosure_filed")
}

deny contains "qc_cai_disclosure_missing" if {
	_qc_gallery
	not _true(_gallery, "cai_disclosure_filed")
}

# METADATA
# title: Q-02 qc_express_consent_missing
# description: Quebec agency or Quebec-owned gallery, consent gallery, consent_express not true.
# custom:
#   rule: Q-02
#   code: qc_express_consent_missing
#   kind: deny
#   authority: >-
#     CQLR c. C-1.1, s. 44 (identity may be verified/confirmed by a biometric process only with the
#     person's express consent; minimum characteristics; destruction when the purpose is met).
#     Whether and how s. 44 reaches police identification under federal criminal law is uncertain
#     (U3). This baseline therefore applies express consent only to consent-based galleries, and
#     relies on "law provides" (ICA, Criminal Code authorizations) for others.
deny contains "qc_express_consent_missing" if {
	_qc_involved
	_legal_basis == "consent"
	not _true(_gallery, "consent_express")
}
