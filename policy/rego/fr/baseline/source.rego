# Source legality of the probe and the gallery (§4.S, §9.6).
package fr.baseline

_live_feed if _probe_source == "surveillance_live_feed"

_gallery_owner := _string_field(_gallery, "owner_agency_id")

# METADATA
# title: S-01 probe_unlawful_source
# description: probe.source is social_media_scrape (bulk, automated collection).
# custom:
#   rule: S-01
#   code: probe_unlawful_source
#   kind: deny
#   authority: >-
#     PIPEDA Findings #2021-001 (Clearview); OPC special report (June 10, 2021): "A government
#     institution cannot collect personal information from a third party agent if that third party
#     agent collected the information unlawfully" (Privacy Act s. 4); TPSB AI Policy.
deny contains "probe_unlawful_source" if _probe_source == "social_media_scrape"

# METADATA
# title: S-02 probe_source_unknown
# description: probe.source is not in the vocabulary.
# custom:
#   rule: S-02
#   code: probe_source_unknown
#   kind: deny
#   authority: "Fail-closed; provenance (OPC FR guidance, accuracy)."
deny contains "probe_source_unknown" if not _probe_source in _probe_sources

# METADATA
# title: S-03 probe_timestamp_invalid
# description: probe.captured_at is missing or later than now.
# custom:
#   rule: S-03
#   code: probe_timestamp_invalid
#   kind: deny
#   authority: "Accuracy duty (Privacy Act s. 6(2); MFIPPA s. 30(2), section believed correct)."
deny contains "probe_timestamp_invalid" if not _probe_captured_before_now

_probe_captured_before_now if _ns(_field(_probe, "captured_at")) <= _now

# METADATA
# title: S-04 gallery_unlawfully_sourced
# description: gallery.legal_basis is a scraped basis; a warrant does not cure it.
# custom:
#   rule: S-04
#   code: gallery_unlawfully_sourced
#   kind: deny
#   authority: >-
#     OPC special report (June 10, 2021), RCMP use of Clearview contravened Privacy Act s. 4; PIPEDA
#     Findings #2021-001; Clearview AI Inc. v. IPC (BC), 2024 BCSC 2311 (order upheld; a 2026 BCCA
#     affirmation is reported, not verified); Clearview AI Inc. v. Alberta (IPC), 2025 ABKB 287
#     (order upheld, though parts of PIPA's "publicly available" regulation were struck under
#     Charter s. 2(b)).
deny contains "gallery_unlawfully_sourced" if _legal_basis in _legal_bases_scraped

# METADATA
# title: S-05 gallery_legal_basis_unknown
# description: gallery.legal_basis is not in the vocabulary.
# custom:
#   rule: S-05
#   code: gallery_legal_basis_unknown
#   kind: deny
#   authority: >-
#     Privacy Act s. 4 (as interpreted by OPC, 2021); OPC FR guidance (lawful authority for the
#     whole FR system, including training and reference data).
deny contains "gallery_legal_basis_unknown" if {
	not _legal_basis in _legal_bases_lawful
	not _legal_basis in _legal_bases_scraped
}

# METADATA
# title: S-06 purpose_gallery_incompatible
# description: >-
#   A permitted purpose outside the compatibility set of a known, lawful legal basis. ICA
#   galleries also accept missing_person and unidentified_deceased on a valid exigent path.
# custom:
#   rule: S-06
#   code: purpose_gallery_incompatible
#   kind: deny
#   authority: >-
#     Privacy Act s. 7(a) and MFIPPA s. 31 (use only for the original or a consistent purpose); ICA
#     s. 2 (identification of criminals); Quebec C-1.1 s. 44 (biometric data used only for its
#     purpose); OPC FR guidance (purpose limitation).
deny contains "purpose_gallery_incompatible" if {
	_purpose_permitted
	_legal_basis in _legal_bases_lawful
	not _purpose in _gallery_compatible[_legal_basis]
	not _exigent_gallery_waiver
}

_exigent_gallery_waiver if {
	_legal_basis == "identification_of_criminals_act"
	_purpose in _humanitarian_purposes
	_exigent_valid
}

# METADATA
# title: S-07 gallery_order_scope_mismatch
# description: >-
#   A court_order gallery whose normalized authorized_case_number differs from the normalized
#   case_number (a blank authorized number never matches).
# custom:
#   rule: S-07
#   code: gallery_order_scope_mismatch
#   kind: deny
#   authority: >-
#     Charter s. 8; R. v. Vu, 2013 SCC 60 (computer searches must be specifically authorized); terms
#     of the authorizing order (Cr.C. s. 487.01(3) terms and conditions).
deny contains "gallery_order_scope_mismatch" if {
	_legal_basis == "court_order"
	not _same_case(_field(_gallery, "authorized_case_number"))
}

_same_case(authorized) if {
	_nonblank(authorized)
	_norm_case(authorized) == _norm_case(_field(_in, "case_number"))
}

# METADATA
# title: S-08 gallery_sharing_not_authorized
# description: >-
#   Another agency's gallery (a missing owner counts as another agency), not third-party
#   records, without the requester in shared_with under a non-blank sharing_agreement_id.
# custom:
#   rule: S-08
#   code: gallery_sharing_not_authorized
#   kind: deny
#   authority: >-
#     Privacy Act s. 8(2)(f) (federal disclosure to provinces under an agreement or arrangement);
#     MFIPPA s. 32(f)-(g) (disclosure between law-enforcement bodies is permitted, so an agreement
#     is not strictly required in Ontario, but the owner must decide to disclose); OPC FR guidance
#     (information-sharing agreements).
deny contains "gallery_sharing_not_authorized" if {
	not _gallery_owned_by_agency
	_legal_basis != "third_party_records"
	not _gallery_shared_with_agency
}

_gallery_owned_by_agency if {
	_nonblank(_gallery_owner)
	_gallery_owner == _agency_id
}

_gallery_shared_with_agency if {
	_nonblank(_agency_id)
	_agency_id in _strings_in(_gallery, "shared_with")
	_nonblank(_field(_gallery, "sharing_agreement_id"))
}
