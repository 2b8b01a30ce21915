"""Request validation for the matching API: every field checked, every error a stable code."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from rest_framework import serializers

from policy.vocabulary import (
    PROBE_SOURCES,
    PURPOSES_PERMITTED,
    PURPOSES_PROHIBITED,
    REGION_CODE_PATTERN,
)
from tenants.parsers import JsonRejectedError, json_parse

# PostgreSQL stores offsets up to ±15:59 (RFC 3339 allows ±23:59; civil time uses -12 to +14).
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def rfc3339_validate(value: str) -> str:
    """Accept an RFC 3339 timestamp with seconds and an offset, as the policy requires."""
    if not RFC3339.match(value):
        raise serializers.ValidationError("Use RFC 3339 with seconds and an offset (Z or ±hh:mm).")
    try:
        moment = datetime.fromisoformat(re.sub(r"\.\d+", "", value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise serializers.ValidationError("Not a valid date and time.") from exc
    if not 1678 <= moment.year <= 2261:
        raise serializers.ValidationError("The year is outside the supported range.")
    offset = moment.utcoffset()
    if offset is None or abs(offset) > MAX_UTC_OFFSET:
        raise serializers.ValidationError("The UTC offset must be within ±15:59.")
    return value


class Rfc3339Field(serializers.CharField):
    """A timestamp kept as the client's string (the policy compares instants itself)."""

    def to_internal_value(self, data: Any) -> str:
        return rfc3339_validate(super().to_internal_value(data))


class Rfc3339DateTimeField(serializers.CharField):
    """An RFC 3339 timestamp with an offset, returned as an aware datetime."""

    def to_internal_value(self, data: Any) -> datetime:  # type: ignore[override]
        text = rfc3339_validate(super().to_internal_value(data))
        return datetime.fromisoformat(re.sub(r"\.\d+", "", text).replace("Z", "+00:00"))


class RequiredBooleanField(serializers.BooleanField):
    """A boolean that must be sent: DRF would read one missing from a form as false."""

    default_empty_html = serializers.empty


class JsonObjectField(serializers.Field):  # type: ignore[type-arg]
    """A nested object given as JSON text in a multipart form, or as an object in JSON."""

    def __init__(self, serializer: type[serializers.Serializer[Any]], **kwargs: Any) -> None:
        self.nested = serializer
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any] | None:
        if isinstance(data, str):
            if data.strip() in ("", "null"):
                return None
            try:
                data = json_parse(data)
            except JsonRejectedError as exc:
                raise serializers.ValidationError(f"Not acceptable JSON: {exc}.") from exc
        if data is None:
            return None
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        nested = self.nested(data=data)
        if not nested.is_valid():
            raise serializers.ValidationError(nested.errors)
        return dict(nested.validated_data)

    def to_representation(self, value: Any) -> Any:
        return value


class OffenceInput(serializers.Serializer[Any]):
    code = serializers.CharField(allow_blank=True, max_length=100)
    category = serializers.CharField(allow_blank=True, max_length=100)
    indictable = serializers.BooleanField()


class FaceHintInput(serializers.Serializer[Any]):
    x = serializers.IntegerField(min_value=0)
    y = serializers.IntegerField(min_value=0)
    w = serializers.IntegerField(min_value=1)
    h = serializers.IntegerField(min_value=1)


class SearchCreateInput(serializers.Serializer[Any]):
    """The fields of ``POST /api/v1/searches`` besides the ``probe`` file.

    Unknown fields are refused rather than ignored: a client that sends, say, an inline warrant
    must learn that it was not used instead of believing it was.
    """

    ALSO_ACCEPTED = frozenset({"probe"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) - self.ALSO_ACCEPTED
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
        return attrs

    gallery = serializers.SlugField(max_length=60)
    purpose = serializers.ChoiceField(choices=PURPOSES_PERMITTED + PURPOSES_PROHIBITED)
    case_number = serializers.CharField(allow_blank=True, max_length=100)
    justification = serializers.CharField(allow_blank=True, max_length=4000)
    offence = JsonObjectField(OffenceInput, required=False, allow_null=True)
    warrant_id = serializers.UUIDField(required=False, allow_null=True)
    exigent_approval_id = serializers.UUIDField(required=False, allow_null=True)
    interagency_agreement_id = serializers.UUIDField(required=False, allow_null=True)
    face_hint = JsonObjectField(FaceHintInput, required=False, allow_null=True)
    probe_source = serializers.ChoiceField(choices=PROBE_SOURCES)
    probe_collected_in = serializers.RegexField(REGION_CODE_PATTERN)
    probe_collected_municipality = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=120
    )
    probe_subject_believed_minor = RequiredBooleanField()
    probe_captured_at = Rfc3339Field()


class FaceChoiceInput(serializers.Serializer[Any]):
    face = serializers.IntegerField(min_value=0, max_value=100)


class SubjectEnrollInput(serializers.Serializer[Any]):
    ref = serializers.CharField(max_length=120)
    display_name = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=200
    )
    several_faces = serializers.ChoiceField(
        choices=["refuse", "hold", "largest"], required=False, default="hold"
    )


class FollowUpCompleteInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=4000)


class CandidateReviewInput(serializers.Serializer[Any]):
    disposition = serializers.ChoiceField(choices=["possible_match", "not_a_match", "inconclusive"])
    note = serializers.CharField(max_length=4000)


class LeadOutcomeInput(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["confirmed", "excluded", "charged"])
    note = serializers.CharField(max_length=2000)


class ReviewCompleteInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=4000)


class SearchCreateForm(SearchCreateInput):
    """``POST /api/v1/searches`` as multipart (documents the form; validation is the base's)."""

    probe = serializers.FileField(help_text="The probe image, JPEG or PNG.")
    offence = serializers.CharField(  # type: ignore[assignment]  # documents the form's text
        required=False,
        allow_null=True,
        help_text='JSON text: {"code": "CC 344", "category": "robbery", "indictable": true}',
    )
    face_hint = serializers.CharField(  # type: ignore[assignment]  # documents the form's text
        required=False,
        allow_null=True,
        help_text='JSON text: {"x", "y", "w", "h"} of the face to search, in pixels',
    )


class SearchCreateJson(SearchCreateInput):
    """``POST /api/v1/searches`` as JSON (documents the body; validation is the base's)."""

    probe = serializers.CharField(help_text="The probe image, JPEG or PNG, base64-encoded.")
    offence = OffenceInput(required=False, allow_null=True)  # type: ignore[assignment]
    face_hint = FaceHintInput(required=False, allow_null=True)  # type: ignore[assignment]


class SubjectEnrollForm(SubjectEnrollInput):
    """``POST /api/v1/galleries/{id}/subjects`` as multipart (documents the form)."""

    images = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        help_text="One or more photos of the subject, JPEG or PNG.",
    )
