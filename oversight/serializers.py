"""Validation of oversight grants and scoped-read windows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from matching.serializers import Rfc3339DateTimeField
from oversight.reads import MAX_ROWS


class GrantCreateInput(serializers.Serializer[Any]):
    auditor = serializers.CharField(max_length=150, help_text="The auditor's username.")
    agency = serializers.CharField(max_length=40, help_text="The overseen agency's id.")
    starts_at = Rfc3339DateTimeField()
    ends_at = Rfc3339DateTimeField()
    reason = serializers.CharField(max_length=500)


class ReadWindowInput(serializers.Serializer[Any]):
    since = Rfc3339DateTimeField(required=False)
    until = Rfc3339DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_ROWS, default=100)
    action = serializers.CharField(max_length=80, required=False, default="")


class GrantOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    body = serializers.CharField(source="body_id")
    auditor = serializers.CharField(source="auditor_username")
    agency = serializers.CharField(source="agency_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by_username")
    revoked_at = serializers.DateTimeField(allow_null=True)


class ExportCreateInput(serializers.Serializer[Any]):
    agencies = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=50
    )
    since = Rfc3339DateTimeField(required=False, allow_null=True, default=None)
    until = Rfc3339DateTimeField(required=False, allow_null=True, default=None)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list, max_length=50
    )


class ExportOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    scope = serializers.JSONField()
    previous = serializers.UUIDField(source="previous_id", allow_null=True)
    requested_by = serializers.CharField(source="requested_by.username")
    events_total = serializers.IntegerField()
    events_written = serializers.IntegerField()
    manifest_sha256 = serializers.CharField()
    error_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ExportStateOutput(ExportOutput):
    download = serializers.CharField(allow_null=True, help_text="The .zip, once done.")


class AuditEventRowOutput(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    data = serializers.JSONField(  # type: ignore[assignment]  # the event's field, not .data
        help_text="Values naming gallery records read 'withheld'."
    )
    hash = serializers.CharField()
    prev_hash = serializers.CharField()


class SearchRowOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    purpose = serializers.CharField()
    offence = serializers.JSONField(allow_null=True)
    case_number = serializers.CharField()
    justification = serializers.CharField()
    warrant = serializers.JSONField(allow_null=True)
    exigent = serializers.JSONField(allow_null=True)
    interagency = serializers.JSONField(allow_null=True)
    handling = serializers.JSONField()
    decision_id = serializers.UUIDField(allow_null=True)
    max_candidates = serializers.IntegerField(allow_null=True)
    model_name = serializers.CharField()
    model_version = serializers.CharField()
    error_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class CertificateRowOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    subject_ref = serializers.CharField(help_text="withheld: it names a gallery record")
    gallery_slug = serializers.CharField()
    photos_deleted = serializers.IntegerField()
    faces_deleted = serializers.IntegerField()
    held_photos_deleted = serializers.IntegerField()
    uploads_deleted = serializers.IntegerField()
    photo_sha256 = serializers.ListField(child=serializers.CharField())
    event_kind = serializers.CharField()
    event_date = serializers.DateField()
    event_reference = serializers.CharField()
    rule_id = serializers.CharField()
    citation = serializers.CharField()
    deleted_by = serializers.CharField()
    deleted_at = serializers.DateTimeField()


class DecisionRowOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    search_id = serializers.UUIDField(allow_null=True)
    allow = serializers.BooleanField()
    reasons = serializers.JSONField()
    obligations = serializers.JSONField()
    engine = serializers.CharField()
    bundle_revision = serializers.CharField()
    created_at = serializers.DateTimeField()


class TransparencyInput(serializers.Serializer[Any]):
    since = serializers.DateField(
        required=False, help_text="First day (UTC) of the period; default 1 January this year."
    )
    until = serializers.DateField(
        required=False, help_text="Last day (UTC) of the period, included; default today."
    )


class _NamedAgencyOutput(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()


class _PeriodOutput(serializers.Serializer[Any]):
    since = serializers.DateTimeField(help_text="Start, included.")
    until = serializers.DateTimeField(help_text="End, excluded (midnight after the last day).")


class _CountsField(serializers.DictField):
    child = serializers.IntegerField()


class _ReportStatisticsOutput(serializers.Serializer[Any]):
    searches = serializers.IntegerField()
    decisions = serializers.IntegerField()
    denials = serializers.IntegerField()
    denial_rate = serializers.FloatField()
    exigent = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    post_hoc_reviews_open = serializers.IntegerField()
    post_hoc_reviews_overdue = serializers.IntegerField()
    by_month = _CountsField()
    by_purpose = _CountsField()
    by_outcome = _CountsField()
    by_reason = _CountsField(help_text="Denials by the engines' reason codes.")
    candidates_per_search = _CountsField()
    review_outcomes = _CountsField(help_text="Reviewers' verdicts on candidates.")


class _RevisionInForceOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    scope = serializers.CharField()
    agency_id = serializers.CharField(allow_null=True)
    number = serializers.IntegerField()
    digest = serializers.CharField()
    change_note = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    approved_by = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    activated_by = serializers.CharField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    in_force_from = serializers.DateTimeField()
    in_force_until = serializers.DateTimeField(allow_null=True, help_text="Null: still in force.")


class _ChainOutput(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    events = serializers.IntegerField(help_text="Events verified (up to the first bad one).")
    checkpoints = serializers.IntegerField()
    first_bad_seq = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField()
    period_events = serializers.IntegerField()
    period_first_seq = serializers.IntegerField(allow_null=True)
    period_last_seq = serializers.IntegerField(allow_null=True)
    period_affected = serializers.BooleanField(
        help_text="Whether an event of the period is at or after the first bad event."
    )


class TransparencyReportOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The report's id, as recorded in the agency's chain.")
    agency = _NamedAgencyOutput()
    period = _PeriodOutput()
    generated_at = serializers.DateTimeField()
    generated_by = serializers.CharField()
    reader_body = serializers.CharField(allow_null=True, help_text="The auditor's body, if any.")
    statistics = _ReportStatisticsOutput()
    policy_revisions = _RevisionInForceOutput(many=True)
    audit_chain = _ChainOutput()
