# Youth records under YCJA Part 6 (§4.Y, §9.2).
#
# Minor probes are not denied; they drive obligations K-05, K-08 and K-11.
package fr.baseline

# §9.2: a missing flag is treated as true.
_youth_gallery if _not_false(_gallery, "contains_youth_records")

_minor_probe if _not_false(_probe, "subject_believed_minor")

# METADATA
# title: Y-01 ycja_purpose_not_permitted
# description: >-
#   A gallery with youth records used for anything but criminal_investigation,
#   child_exploitation, national_security or victim_identification (exigency does not cure it).
# custom:
#   rule: Y-01
#   code: ycja_purpose_not_permitted
#   kind: deny
#   authority: >-
#     Youth Criminal Justice Act, S.C. 2002, c. 1, s. 118 (no access except as authorized), s.
#     119(1) (peace officers: law-enforcement purposes; paragraph letter not verified), s. 138
#     (offence). Photographs of young persons are taken under the ICA (YCJA s. 113) and kept as
#     police records (s. 115).
deny contains "ycja_purpose_not_permitted" if {
	_youth_gallery
	not _purpose in _offence_purposes
}

# METADATA
# title: Y-02 ycja_access_period_unverified
# description: a gallery with youth records that does not attest ycja_access_period_enforced.
# custom:
#   rule: Y-02
#   code: ycja_access_period_unverified
#   kind: deny
#   authority: >-
#     YCJA s. 119(2) (access periods, e.g. 2 months after a withdrawal, 3 and 5 years after
#     completion of summary and indictable sentences), s. 128 (destruction or transfer at expiry),
#     s. 138.
deny contains "ycja_access_period_unverified" if {
	_youth_gallery
	not _true(_gallery, "ycja_access_period_enforced")
}
