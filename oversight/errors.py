"""Stable error codes of oversight grants and scoped reads."""

from __future__ import annotations

NOT_NATIONAL_ADMIN = "oversight_not_national_admin"
NOT_AN_AUDITOR = "oversight_not_an_auditor"
NOT_AN_OVERSIGHT_BODY = "oversight_not_an_oversight_body"
AGENCY_NOT_OVERSEEABLE = "oversight_agency_not_overseeable"
PERIOD_INVALID = "oversight_period_invalid"
GRANT_NOT_FOUND = "oversight_grant_not_found"
GRANT_ALREADY_REVOKED = "oversight_grant_already_revoked"
AGENCY_NOT_IN_SCOPE = "oversight_agency_not_in_scope"
EXPORT_SCOPE_INVALID = "audit_export_scope_invalid"
EXPORT_NOT_PERMITTED = "audit_export_not_permitted"
EXPORT_NOT_FOUND = "audit_export_not_found"
EXPORT_NOT_READY = "audit_export_not_ready"
REPORT_FORMAT_INVALID = "oversight_report_format_invalid"
