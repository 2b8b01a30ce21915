# Reason catalogue: code → rule id, kind, message and authority, exactly as the
# specification states them (§4, §5). Rules emit codes; the decision reads this table,
# because neither embedded engine evaluates rego.metadata.rule().
package fr.baseline

# METADATA
# title: Reason catalogue
# description: >-
#   Every deny and info reason code with its rule id, kind, message and authority. The
#   message of interagency_agreement_applied carries an {agreement_id} placeholder.
# custom:
#   rule: catalogue
#   code: reason_catalog
#   kind: table
#   authority: "Policy specification §4 and §5."
reason_catalog := {
	"request_malformed": {
		"rule": "A-01",
		"kind": "deny",
		"message": "Request is malformed or contains an unparsable timestamp; no biometric processing performed.",
		"authority": "Fail-closed design; OPC FR guidance (May 2022), accountability principle.",
	},
	"case_number_missing": {
		"rule": "A-02",
		"kind": "deny",
		"message": "Every FR search must be tied to an occurrence/case number.",
		"authority": "OPC FR guidance (May 2022): accountability, logging and audit; Privacy Act s. 4 (collection must relate to an operating program; case linkage evidences this).",
	},
	"justification_insufficient": {
		"rule": "A-03",
		"kind": "deny",
		"message": "Record why FR is necessary and proportionate for this search.",
		"authority": "OPC FR guidance (necessity and proportionality); FPT Joint Statement (May 2, 2022), which calls for strict necessity and proportionality for each deployment.",
	},
	"user_agency_mismatch": {
		"rule": "B-01",
		"kind": "deny",
		"message": "User is not a member of the agency in whose name the search is requested.",
		"authority": "Access-control integrity; MFIPPA s. 32(d) and Privacy Act s. 7 (use by the institution's own officers for its purposes).",
	},
	"user_role_not_permitted": {
		"rule": "B-02",
		"kind": "deny",
		"message": "Role is not authorized to run FR searches.",
		"authority": "OPC FR guidance (limit access to trained, designated personnel); MFIPPA s. 32(d) (\"needs the record in the performance of his or her duties\"); TPSB AI Policy (Feb 28, 2022).",
	},
	"segregation_of_duties_conflict": {
		"rule": "B-03",
		"kind": "deny",
		"message": "Auditors/compliance officers may not also run searches they oversee.",
		"authority": "OPC FR guidance (accountability, independent audit).",
	},
	"training_not_completed": {
		"rule": "B-04",
		"kind": "deny",
		"message": "FR training (including bias/accuracy limits) must be completed before searching.",
		"authority": "OPC FR guidance (training of personnel); IPC Ontario, Facial Recognition and Mugshot Databases: Guidance for Police in Ontario (Jan 2024); OPC special report on RCMP use of Clearview (June 10, 2021), which recommended training.",
	},
	"training_expired": {
		"rule": "B-05",
		"kind": "deny",
		"message": "FR training certification has expired.",
		"authority": "As B-04.",
	},
	"mfa_not_verified": {
		"rule": "B-06",
		"kind": "deny",
		"message": "Multi-factor authentication is required for biometric search.",
		"authority": "Safeguards principle (Privacy Act s. 6 and MFIPPA security obligations in principle); TBS Directive on Security Management. Good practice, not a statutory rule.",
	},
	"agency_not_law_enforcement": {
		"rule": "C-01",
		"kind": "deny",
		"message": "FR search is limited to police agencies; oversight bodies review logs rather than run searches.",
		"authority": "OPC FR guidance (scope: federal, provincial, regional and municipal police agencies). Oversight bodies' audit powers come from their own statutes.",
	},
	"agency_profile_invalid": {
		"rule": "C-02",
		"kind": "deny",
		"message": "Agency registry data is inconsistent; jurisdiction cannot be determined.",
		"authority": "Fail-closed design.",
	},
	"pia_not_completed": {
		"rule": "C-03",
		"kind": "deny",
		"message": "A privacy impact assessment covering FR must be completed before use.",
		"authority": "TBS Directive on Privacy Practices, Appendix C (Standard on Privacy Impact Assessment, effective Oct 9, 2024), federal institutions incl. RCMP; Quebec Act respecting access to documents held by public bodies (CQLR c. A-2.1) as amended by Law 25 (PIA for information-system projects; section believed to be 63.5, not verified); BC FIPPA s. 69 (PIA duty; subsection not verified); OPC FR guidance and IPC Ontario (2024) recommend a PIA everywhere.",
	},
	"fr_program_not_approved": {
		"rule": "C-04",
		"kind": "deny",
		"message": "The FR program has not been approved by the agency's governing authority.",
		"authority": "TPSB Policy Use of Artificial Intelligence Technology (Feb 28, 2022): risk-tiered review with Board approval before use of high-risk AI. TPS lists NeoFace Reveal as a High-Risk technology (inventory published Jan 11, 2024). RCMP National Technology Onboarding Program (2021): technology assessment before operational use.",
	},
	"purpose_prohibited": {
		"rule": "P-01",
		"kind": "deny",
		"message": "Purpose is prohibited for police FR.",
		"authority": "Charter ss. 2(b), (c), (d) (expression, assembly, association; protest), s. 8, s. 15; FPT Joint Statement (May 2, 2022), which asks that \"no-go zones\" include any FR use that can result in mass surveillance; PIPEDA Findings #2021-001 (Clearview) (mass identification is an inappropriate purpose); Privacy Act s. 4 and provincial equivalents (collection must relate to an operating program; immigration and employment vetting are not police FR programs); Police Record Checks Reform Act, 2015 (Ont.) for vetting.",
	},
	"purpose_unknown": {
		"rule": "P-02",
		"kind": "deny",
		"message": "Unrecognized purpose; choose a purpose from the controlled vocabulary.",
		"authority": "Purpose specification and limitation (OPC FR guidance).",
	},
	"purpose_not_permitted_for_agency": {
		"rule": "P-03",
		"kind": "deny",
		"message": "National-security FR searches are reserved to federal police; use criminal_investigation under a joint-forces (INSET) agreement.",
		"authority": "Security Offences Act, R.S.C. 1985, c. S-7 (RCMP primary responsibility for security offences; section believed to be 6, not verified). Provincial and municipal police may lawfully investigate terrorism offences, so this is a policy choice (U10).",
	},
	"offence_missing": {
		"rule": "P-04",
		"kind": "deny",
		"message": "Specify the offence under investigation.",
		"authority": "Purpose limitation; Criminal Code ss. 487.01(1)(a) and 487.014(2)(a), which require a specific offence for authorizations.",
	},
	"offence_summary_only": {
		"rule": "P-05",
		"kind": "deny",
		"message": "FR against identification records is limited to indictable (including hybrid) offences.",
		"authority": "Identification of Criminals Act, R.S.C. 1985, c. I-1, s. 2(1) (photographs are taken of persons charged with or convicted of indictable offences, hybrid offences included). Using them for summary-only matters is not a consistent use (Privacy Act s. 7(a); MFIPPA s. 31) and is disproportionate.",
	},
	"offence_below_seriousness_threshold": {
		"rule": "P-06",
		"kind": "deny",
		"message": "Offence is below the seriousness threshold for FR.",
		"authority": "IPC Ontario (2024): limit FR to serious offences; OPC FR guidance (necessity/proportionality); FPT Joint Statement (May 2022).",
	},
	"purpose_offence_mismatch": {
		"rule": "P-07",
		"kind": "deny",
		"message": "Declared purpose does not match the offence.",
		"authority": "Purpose limitation (OPC FR guidance).",
	},
	"exigent_required_for_purpose": {
		"rule": "P-08",
		"kind": "deny",
		"message": "imminent_threat_to_life searches require an approved exigent-circumstances claim.",
		"authority": "R. v. Godoy, [1999] 1 S.C.R. 311 (police duty to protect life); R. v. Paterson, 2017 SCC 15 (exigency = urgency requiring immediate action for safety).",
	},
	"probe_unlawful_source": {
		"rule": "S-01",
		"kind": "deny",
		"message": "Probe images obtained by bulk scraping are unlawfully collected and may not be used.",
		"authority": "PIPEDA Findings #2021-001 (Clearview); OPC special report (June 10, 2021): \"A government institution cannot collect personal information from a third party agent if that third party agent collected the information unlawfully\" (Privacy Act s. 4); TPSB AI Policy.",
	},
	"probe_source_unknown": {
		"rule": "S-02",
		"kind": "deny",
		"message": "Unrecognized probe source.",
		"authority": "Fail-closed; provenance (OPC FR guidance, accuracy).",
	},
	"probe_timestamp_invalid": {
		"rule": "S-03",
		"kind": "deny",
		"message": "Probe capture time is after the decision time; metadata integrity failure.",
		"authority": "Accuracy duty (Privacy Act s. 6(2); MFIPPA s. 30(2), section believed correct).",
	},
	"gallery_unlawfully_sourced": {
		"rule": "S-04",
		"kind": "deny",
		"message": "Gallery was built from images collected without lawful authority or consent (Clearview pattern).",
		"authority": "OPC special report (June 10, 2021), RCMP use of Clearview contravened Privacy Act s. 4; PIPEDA Findings #2021-001; Clearview AI Inc. v. IPC (BC), 2024 BCSC 2311 (order upheld; a 2026 BCCA affirmation is reported, not verified); Clearview AI Inc. v. Alberta (IPC), 2025 ABKB 287 (order upheld, though parts of PIPA's \"publicly available\" regulation were struck under Charter s. 2(b)).",
	},
	"gallery_legal_basis_unknown": {
		"rule": "S-05",
		"kind": "deny",
		"message": "Gallery legal basis is unknown; lawful provenance must be established.",
		"authority": "Privacy Act s. 4 (as interpreted by OPC, 2021); OPC FR guidance (lawful authority for the whole FR system, including training and reference data).",
	},
	"purpose_gallery_incompatible": {
		"rule": "S-06",
		"kind": "deny",
		"message": "This gallery was collected for a purpose incompatible with the requested use.",
		"authority": "Privacy Act s. 7(a) and MFIPPA s. 31 (use only for the original or a consistent purpose); ICA s. 2 (identification of criminals); Quebec C-1.1 s. 44 (biometric data used only for its purpose); OPC FR guidance (purpose limitation).",
	},
	"gallery_order_scope_mismatch": {
		"rule": "S-07",
		"kind": "deny",
		"message": "Material held under a judicial order may only be searched within that order's investigation.",
		"authority": "Charter s. 8; R. v. Vu, 2013 SCC 60 (computer searches must be specifically authorized); terms of the authorizing order (Cr.C. s. 487.01(3) terms and conditions).",
	},
	"gallery_sharing_not_authorized": {
		"rule": "S-08",
		"kind": "deny",
		"message": "Gallery belongs to another agency and is not shared with the requester under a documented agreement.",
		"authority": "Privacy Act s. 8(2)(f) (federal disclosure to provinces under an agreement or arrangement); MFIPPA s. 32(f)-(g) (disclosure between law-enforcement bodies is permitted, so an agreement is not strictly required in Ontario, but the owner must decide to disclose); OPC FR guidance (information-sharing agreements).",
	},
	"warrant_required_missing": {
		"rule": "W-01",
		"kind": "deny",
		"message": "Judicial authorization is required for this search (see the warrant matrix) and none was supplied.",
		"authority": "Charter s. 8; Hunter v. Southam, [1984] 2 S.C.R. 145; R. v. Spencer, 2014 SCC 43; R. v. Bykovets, 2024 SCC 6; Cr.C. ss. 487.01, 487.014.",
	},
	"warrant_kind_insufficient": {
		"rule": "W-02",
		"kind": "deny",
		"message": "The type of authorization supplied cannot authorize this technique.",
		"authority": "Cr.C. s. 487.01(1)(c) (a general warrant only where no other provision applies); s. 487.014 (production orders compel existing records held by a person); R. v. Telus, 2013 SCC 16.",
	},
	"warrant_kind_unknown": {
		"rule": "W-03",
		"kind": "deny",
		"message": "Unrecognized authorization type for FR.",
		"authority": "Fail-closed.",
	},
	"warrant_incomplete": {
		"rule": "W-04",
		"kind": "deny",
		"message": "Authorization details are incomplete and cannot be verified.",
		"authority": "Accountability; judicial authorizations are in prescribed forms (e.g. Cr.C. Form 5 and Forms 5.004 to 5.008; form numbers not individually verified).",
	},
	"warrant_not_yet_valid": {
		"rule": "W-05",
		"kind": "deny",
		"message": "Authorization was issued after the search time.",
		"authority": "Charter s. 8 (authorization must precede the search: Hunter v. Southam).",
	},
	"warrant_expired": {
		"rule": "W-06",
		"kind": "deny",
		"message": "Authorization has expired.",
		"authority": "Terms of the authorization (Cr.C. s. 487.01(3); production-order time limits in s. 487.0192(1)); Charter s. 8.",
	},
	"warrant_window_invalid": {
		"rule": "W-07",
		"kind": "deny",
		"message": "Authorization validity window is invalid.",
		"authority": "Data integrity.",
	},
	"warrant_case_mismatch": {
		"rule": "W-08",
		"kind": "deny",
		"message": "Authorization was issued for a different investigation.",
		"authority": "Charter s. 8 (search must stay within the authorization); Cr.C. s. 487.01(1)(a) (offence-specific grounds).",
	},
	"warrant_purpose_out_of_scope": {
		"rule": "W-09",
		"kind": "deny",
		"message": "Requested purpose is outside the scope of the authorization.",
		"authority": "Cr.C. s. 487.01(3) (terms and conditions); Charter s. 8 (manner of search).",
	},
	"warrant_issuer_not_canadian": {
		"rule": "W-10",
		"kind": "deny",
		"message": "Only a Canadian judicial authorization can authorize a search in Canada.",
		"authority": "Charter s. 8; foreign evidence flows through the Mutual Legal Assistance in Criminal Matters Act.",
	},
	"warrant_issuing_jurisdiction_mismatch": {
		"rule": "W-11",
		"kind": "deny",
		"message": "Authorization was issued in another province and is not endorsed for this agency's province.",
		"authority": "Cr.C. s. 487(2) (search-warrant endorsement in another territorial division); s. 487.03(1) (endorsement of s. 487.01 warrants in another province, but only where execution needs entry on property or an assistance order, so this rule is a conservative approximation, U4); s. 487.019(2) (production orders have effect throughout Canada without endorsement); provincially appointed officers lack authority outside their province (Interprovincial Policing Act, 2009, S.O. 2009, c. 30 and counterparts).",
	},
	"warrant_applicant_agency_mismatch": {
		"rule": "W-12",
		"kind": "deny",
		"message": "Authorization was obtained by another agency that is not a partner in this investigation.",
		"authority": "Production orders name the officer to whom production is made (Cr.C. s. 487.0192(1)); warrants are directed to named or classed peace officers.",
	},
	"authority_judicial_authorization": {
		"rule": "W-13",
		"kind": "info",
		"message": "Search relies on a validated judicial authorization.",
		"authority": "As cited on the warrant.",
	},
	"authority_no_warrant_required": {
		"rule": "W-14",
		"kind": "info",
		"message": "No judicial authorization required under the baseline matrix; authority is statutory or common-law (e.g. ICA gallery).",
		"authority": "ICA s. 2; common-law ancillary powers (R. v. Waterfield test as adopted in Dedman, Mann, Fleming v. Ontario, 2019 SCC 45). Contested, see §7.",
	},
	"exigent_no_supervisor_approval": {
		"rule": "E-01",
		"kind": "deny",
		"message": "Exigent FR searches require contemporaneous supervisor approval.",
		"authority": "OPC FR guidance (accountability); mirrors RCMP interim direction (2020) that Clearview use needed Criminal Operations Officer approval.",
	},
	"exigent_self_approved": {
		"rule": "E-02",
		"kind": "deny",
		"message": "The requesting officer cannot approve their own exigent search.",
		"authority": "Independence of approval (accountability).",
	},
	"exigent_approver_not_supervisor": {
		"rule": "E-03",
		"kind": "deny",
		"message": "Approver is not a supervisor of the requesting agency.",
		"authority": "Accountability.",
	},
	"exigent_reason_missing": {
		"rule": "E-04",
		"kind": "deny",
		"message": "Record the facts making it impracticable to obtain judicial authorization.",
		"authority": "Cr.C. s. 487.11 (conditions for a warrant exist and exigency makes obtaining one impracticable); the Crown must prove an evidentiary basis for exigency.",
	},
	"exigent_category_ineligible": {
		"rule": "E-05",
		"kind": "deny",
		"message": "Only imminent risk to life or bodily harm qualifies for warrantless FR.",
		"authority": "R. v. Paterson, 2017 SCC 15; Cr.C. s. 529.3(2) (statutory definition of exigency: imminent bodily harm or death, or imminent loss of evidence), by analogy; R. v. Godoy.",
	},
	"exigent_approval_stale": {
		"rule": "E-06",
		"kind": "deny",
		"message": "Exigent approval is missing, future-dated or too old; exigency is time-limited.",
		"authority": "Exigency is confined to urgency (Paterson).",
	},
	"exigent_not_available_for_live_feed": {
		"rule": "E-07",
		"kind": "deny",
		"message": "Exigent circumstances cannot authorize real-time FR; a general warrant is required.",
		"authority": "Cr.C. s. 487.11 extends only to powers in ss. 487(1) and 492.1(1), not to s. 487.01 techniques; FPT Joint Statement (mass-surveillance no-go zone).",
	},
	"exigent_approval_not_for_this_search": {
		"rule": "E-09",
		"kind": "deny",
		"message": "The exigent approval was granted for another case, another officer or another purpose.",
		"authority": "Cr.C. s. 487.11 (the power is exercised by the peace officer for whom the conditions for a warrant exist, in that investigation); R. v. Paterson, 2017 SCC 15 (exigency is judged on the circumstances of the particular search); accountability (an approval is bound like a warrant, W-08 and W-09).",
	},
	"authority_exigent_circumstances": {
		"rule": "E-08",
		"kind": "info",
		"message": "Search proceeds under exigent circumstances; after-the-fact review required.",
		"authority": "Cr.C. s. 487.11; R. v. Paterson; R. v. Godoy; R. v. Tse, 2012 SCC 16 (warrantless emergency powers need after-the-fact accountability).",
	},
	"probe_outside_agency_territory": {
		"rule": "J-01",
		"kind": "deny",
		"message": "Probe was collected outside the agency's province and no cooperation agreement covers it.",
		"authority": "Provincially appointed officers' authority ends at the provincial border: Interprovincial Policing Act, 2009, S.O. 2009, c. 30, and similar Acts in Manitoba, Saskatchewan, Nova Scotia, New Brunswick and Quebec (Uniform Cross-Border Policing Act, ULCC 2003). Within a province, Ontario officers may act province-wide (Police Services Act, R.S.O. 1990, c. P.15, s. 42(3); successor provision in the Community Safety and Policing Act, 2019, not verified).",
	},
	"probe_foreign_no_arrangement": {
		"rule": "J-02",
		"kind": "deny",
		"message": "Foreign-sourced probe requires a treaty or international arrangement.",
		"authority": "Mutual Legal Assistance in Criminal Matters Act, R.S.C. 1985, c. 30 (4th Supp.); Privacy Act s. 8(2)(f) (arrangements with foreign states); R. v. Wakeling, 2014 SCC 72 (s. 8 engaged by international sharing).",
	},
	"interagency_agreement_invalid": {
		"rule": "J-03",
		"kind": "deny",
		"message": "The cited cooperation agreement is expired or does not cover the probe's jurisdiction.",
		"authority": "As J-01.",
	},
	"probe_outside_municipality_notice": {
		"rule": "J-04",
		"kind": "info",
		"message": "Probe collected outside the service's municipal area; supervisor notified.",
		"authority": "Police Services Act (Ont.) s. 42(3) (province-wide authority), so this is allowed, but municipal services are responsible for their own area (boards' policing responsibility).",
	},
	"interagency_agreement_applied": {
		"rule": "J-05",
		"kind": "info",
		"message": "Out-of-territory probe used under cooperation agreement {agreement_id}.",
		"authority": "As J-01.",
	},
	"ycja_purpose_not_permitted": {
		"rule": "Y-01",
		"kind": "deny",
		"message": "Youth records may be accessed by police only for law-enforcement purposes during the access period.",
		"authority": "Youth Criminal Justice Act, S.C. 2002, c. 1, s. 118 (no access except as authorized), s. 119(1) (peace officers: law-enforcement purposes; paragraph letter not verified), s. 138 (offence). Photographs of young persons are taken under the ICA (YCJA s. 113) and kept as police records (s. 115).",
	},
	"ycja_access_period_unverified": {
		"rule": "Y-02",
		"kind": "deny",
		"message": "Gallery must exclude youth records whose YCJA access period has expired.",
		"authority": "YCJA s. 119(2) (access periods, e.g. 2 months after a withdrawal, 3 and 5 years after completion of summary and indictable sentences), s. 128 (destruction or transfer at expiry), s. 138.",
	},
	"qc_cai_disclosure_missing": {
		"rule": "Q-01",
		"kind": "deny",
		"message": "Biometric database/process has not been disclosed to the Commission d'accès à l'information.",
		"authority": "Act to establish a legal framework for information technology, CQLR c. C-1.1, s. 45. Since Sept 22, 2022 (S.Q. 2021, c. 25) creation must be disclosed to the CAI no later than 60 days before the database is brought into service, and use of biometric identity verification must be disclosed in advance. The CAI may suspend, prohibit or order destruction of a non-compliant database. Found breached by Clearview (PIPEDA Findings #2021-001, CAI component).",
	},
	"qc_express_consent_missing": {
		"rule": "Q-02",
		"kind": "deny",
		"message": "Consent-based biometric identification in Quebec requires express consent.",
		"authority": "CQLR c. C-1.1, s. 44 (identity may be verified/confirmed by a biometric process only with the person's express consent; minimum characteristics; destruction when the purpose is met). Whether and how s. 44 reaches police identification under federal criminal law is uncertain (U3). This baseline therefore applies express consent only to consent-based galleries, and relies on \"law provides\" (ICA, Criminal Code authorizations) for others.",
	},
}
