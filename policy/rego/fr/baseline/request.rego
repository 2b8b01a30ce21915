# Input normalization, timestamps and request integrity (§4.A).
#
# Every other rule reads input through the helpers below. They never hand a builtin a
# value of the wrong type, so a malformed request cannot make a deny rule undefined
# (fail-open) or make the engine raise.
package fr.baseline

_in := input if is_object(input)

else := {}

_field(obj, key) := object.get(obj, key, null)

_object_field(obj, key) := v if {
	v := _field(obj, key)
	is_object(v)
} else := {}

_string_field(obj, key) := v if {
	v := _field(obj, key)
	is_string(v)
} else := ""

_array_field(obj, key) := v if {
	v := _field(obj, key)
	is_array(v)
} else := []

# Strings of a list field; other elements are ignored (they grant nothing).
_strings_in(obj, key) := {s | some s in _array_field(obj, key); is_string(s)}

_blank(v) if not is_string(v)

_blank(v) if _blank_string(v)

_nonblank(v) if {
	is_string(v)
	trim_space(v) != ""
}

_true(obj, key) if _field(obj, key) == true

# §9.2: the unsafe value of these booleans is true, so only an explicit false clears them.
_not_false(obj, key) if _field(obj, key) != false

# §1.7 normalizations: case numbers lose all whitespace and are upper-cased; names and
# free-text codes are trimmed and lower-cased.
_norm_case(v) := upper(regex.replace(v, `\s+`, "")) if is_string(v)

else := ""

_norm_text(v) := lower(trim_space(v)) if is_string(v)

else := ""

_user := _object_field(_in, "user")

_agency := _object_field(_in, "agency")

_probe := _object_field(_in, "probe")

_gallery := _object_field(_in, "gallery")

_offence := _object_field(_in, "offence")

_offence_present if is_object(_field(_in, "offence"))

_exigent := _object_field(_in, "exigent")

_interagency := _object_field(_in, "interagency")

_interagency_present if is_object(_field(_in, "interagency"))

_purpose := _string_field(_in, "purpose")

_user_id := _string_field(_user, "id")

_agency_id := _string_field(_agency, "id")

_agency_kind := _string_field(_agency, "kind")

_agency_jurisdiction := _string_field(_agency, "jurisdiction")

_probe_source := _string_field(_probe, "source")

_legal_basis := _string_field(_gallery, "legal_basis")

# ---------------------------------------------------------------------------
# Timestamps (§1.6, §9.12). A value is parsed only after the pattern, the calendar
# and the engine's nanosecond range have been checked, because the parser raises
# on anything else.
# ---------------------------------------------------------------------------

_rfc3339 := `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

_ts_valid(s) if {
	is_string(s)
	regex.match(_rfc3339, s)
	year := substring(s, 0, 4)
	month := substring(s, 5, 2)
	day := substring(s, 8, 2)
	year >= "1678"
	year <= "2262"
	day <= _month_days(year, month)
	_within_engine_range(year, month, day)
}

_month_days(_, month) := "30" if month in {"04", "06", "09", "11"}

_month_days(year, "02") := "29" if _leap(year)

_month_days(year, "02") := "28" if not _leap(year)

_month_days(_, month) := "31" if month in {"01", "03", "05", "07", "08", "10", "12"}

_leap(year) if {
	y := to_number(year)
	y % 4 == 0
	y % 100 != 0
}

_leap(year) if to_number(year) % 400 == 0

# Nanoseconds since the epoch overflow at 2262-04-11T23:47:16Z; with offsets down to
# -23:59 any instant up to 2262-04-09 stays representable.
_within_engine_range(year, _, _) if year != "2262"

_within_engine_range("2262", month, _) if month < "04"

_within_engine_range("2262", "04", day) if day <= "09"

_ns(s) := time.parse_rfc3339_ns(s) if _ts_valid(s)

# Absent, null and blank values are not supplied (§9.1); any other value is.
_supplied(v) if {
	v != null
	not _blank_string(v)
}

_blank_string(v) if {
	is_string(v)
	trim_space(v) == ""
}

_ts_unparsable(v) if {
	_supplied(v)
	not _ts_valid(v)
}

_now := _ns(_field(_in, "now"))

# ---------------------------------------------------------------------------
# Structural integrity (A-01).
# ---------------------------------------------------------------------------

_malformed_because contains "input" if not is_object(input)

_malformed_because contains "now" if not _ts_valid(_field(_in, "now"))

_malformed_because contains key if {
	some key in ["user", "agency", "probe", "gallery"]
	not is_object(_field(_in, key))
}

_malformed_because contains "purpose" if not is_string(_field(_in, "purpose"))

_malformed_because contains "user.id" if _blank(_field(_user, "id"))

_malformed_because contains "probe.captured_at" if _ts_unparsable(_field(_probe, "captured_at"))

_malformed_because contains "user.training_expires_at" if {
	_ts_unparsable(_field(_user, "training_expires_at"))
}

_malformed_because contains sprintf("warrant.%s", [key]) if {
	_warrant_present
	some key in ["issued_at", "expires_at"]
	_ts_unparsable(_field(_warrant, key))
}

_malformed_because contains "exigent.approved_at" if {
	_exigent_claimed
	_ts_unparsable(_field(_exigent, "approved_at"))
}

_malformed_because contains "interagency.expires_at" if {
	_ts_unparsable(_field(_interagency, "expires_at"))
}

_malformed if count(_malformed_because) > 0

# METADATA
# title: A-01 request_malformed
# description: >-
#   now missing or unparsable; user, agency, probe or gallery not an object; purpose not a
#   string; user.id blank; or a present timestamp unparsable or outside 1678..2262.
#   When it fires the decision carries this reason alone (§9.1).
# custom:
#   rule: A-01
#   code: request_malformed
#   kind: deny
#   authority: "Fail-closed design; OPC FR guidance (May 2022), accountability principle."
deny contains "request_malformed" if _malformed

# METADATA
# title: A-02 case_number_missing
# description: case_number missing or blank.
# custom:
#   rule: A-02
#   code: case_number_missing
#   kind: deny
#   authority: >-
#     OPC FR guidance (May 2022): accountability, logging and audit; Privacy Act s. 4 (collection
#     must relate to an operating program; case linkage evidences this).
deny contains "case_number_missing" if _blank(_field(_in, "case_number"))

# METADATA
# title: A-03 justification_insufficient
# description: trimmed justification shorter than config justification_min_chars.
# custom:
#   rule: A-03
#   code: justification_insufficient
#   kind: deny
#   authority: >-
#     OPC FR guidance (necessity and proportionality); FPT Joint Statement (May 2, 2022), which
#     calls for strict necessity and proportionality for each deployment.
deny contains "justification_insufficient" if {
	count(trim_space(_string_field(_in, "justification"))) < _config.justification_min_chars
}
