# Jurisdiction of the probe and cooperation agreements (§4.J, §9.8).
package fr.baseline

_collected_in := _string_field(_probe, "collected_in")

# §9.8: a missing or unrecognised collected_in counts as outside Canada.
_probe_domestic if _collected_in in _canadian_codes

# Federal agencies hold every Canadian probe in territory; provincially appointed services
# only their own province's.
_probe_out_of_territory if {
	_agency_kind in _provincial_police_kinds
	_probe_domestic
	_collected_in != _agency_jurisdiction
}

# §9.8: a null or missing expires_at counts as expired.
_interagency_unexpired if _now < _ns(_field(_interagency, "expires_at"))

_interagency_id := _field(_interagency, "agreement_id")

_interagency_covers(kinds) if {
	_interagency_present
	_field(_interagency, "kind") in kinds
	_nonblank(_interagency_id)
	_nonblank(_collected_in)
	_field(_interagency, "partner_jurisdiction") == _collected_in
	_interagency_unexpired
}

_domestic_agreement_valid if _interagency_covers(_domestic_agreement_kinds)

_foreign_arrangement_valid if _interagency_covers(_foreign_agreement_kinds)

# METADATA
# title: J-01 probe_outside_agency_territory
# description: >-
#   Municipal or provincial agency; probe collected in Canada outside the agency's
#   jurisdiction; no valid domestic cooperation agreement for the probe's jurisdiction.
# custom:
#   rule: J-01
#   code: probe_outside_agency_territory
#   kind: deny
#   authority: >-
#     Provincially appointed officers' authority ends at the provincial border: Interprovincial
#     Policing Act, 2009, S.O. 2009, c. 30, and similar Acts in Manitoba, Saskatchewan, Nova Scotia,
#     New Brunswick and Quebec (Uniform Cross-Border Policing Act, ULCC 2003). Within a province,
#     Ontario officers may act province-wide (Police Services Act, R.S.O. 1990, c. P.15, s. 42(3);
#     successor provision in the Community Safety and Policing Act, 2019, not verified).
deny contains "probe_outside_agency_territory" if {
	_probe_out_of_territory
	not _domestic_agreement_valid
}

# METADATA
# title: J-02 probe_foreign_no_arrangement
# description: >-
#   probe collected outside Canada without a valid mlat / international_arrangement for that
#   jurisdiction.
# custom:
#   rule: J-02
#   code: probe_foreign_no_arrangement
#   kind: deny
#   authority: >-
#     Mutual Legal Assistance in Criminal Matters Act, R.S.C. 1985, c. 30 (4th Supp.); Privacy Act
#     s. 8(2)(f) (arrangements with foreign states); R. v. Wakeling, 2014 SCC 72 (s. 8 engaged by
#     international sharing).
deny contains "probe_foreign_no_arrangement" if {
	not _probe_domestic
	not _foreign_arrangement_valid
}

# METADATA
# title: J-03 interagency_agreement_invalid
# description: >-
#   Domestic out-of-territory probe with an interagency record that is blank, of the wrong
#   kind, for another jurisdiction, or expired.
# custom:
#   rule: J-03
#   code: interagency_agreement_invalid
#   kind: deny
#   authority: "As J-01."
deny contains "interagency_agreement_invalid" if {
	_probe_out_of_territory
	_interagency_present
	not _domestic_agreement_valid
}

# METADATA
# title: J-04 probe_outside_municipality_notice
# description: >-
#   Municipal agency, probe from its own province, collected_municipality named and outside
#   the service area (service_area_municipalities when non-empty, else [municipality]).
# custom:
#   rule: J-04
#   code: probe_outside_municipality_notice
#   kind: info
#   authority: >-
#     Police Services Act (Ont.) s. 42(3) (province-wide authority), so this is allowed, but
#     municipal services are responsible for their own area (boards' policing responsibility).
info contains "probe_outside_municipality_notice" if {
	_agency_kind == "municipal"
	_nonblank(_agency_jurisdiction)
	_collected_in == _agency_jurisdiction
	municipality := _field(_probe, "collected_municipality")
	_nonblank(municipality)
	not _norm_text(municipality) in _service_area
}

_service_area_listed := {_norm_text(m) |
	some m in _strings_in(_agency, "service_area_municipalities")
	_nonblank(m)
}

_service_area := _service_area_listed if count(_service_area_listed) > 0

else := {_norm_text(_field(_agency, "municipality"))}

# METADATA
# title: J-05 interagency_agreement_applied
# description: >-
#   a valid domestic agreement made an out-of-territory probe usable (§9.8: not for foreign probes).
# custom:
#   rule: J-05
#   code: interagency_agreement_applied
#   kind: info
#   authority: "As J-01."
info contains "interagency_agreement_applied" if {
	_probe_out_of_territory
	_domestic_agreement_valid
}
