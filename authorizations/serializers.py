"""Validation of authority records as entered by officers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from authorizations.models import InteragencyKind, WarrantKind
from matching.serializers import Rfc3339DateTimeField
from policy.vocabulary import PURPOSES_PERMITTED, REGION_CODE_PATTERN


class WarrantInput(serializers.Serializer[Any]):
    case_number = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=WarrantKind.values)
    number = serializers.CharField(max_length=100)
    issuing_court = serializers.CharField(max_length=200)
    issuing_jurisdiction = serializers.RegexField(REGION_CODE_PATTERN)
    issued_at = Rfc3339DateTimeField()
    expires_at = Rfc3339DateTimeField()
    authorized_purposes = serializers.ListField(
        child=serializers.CharField(max_length=60), min_length=1, max_length=20
    )
    authorized_case_number = serializers.CharField(max_length=100)
    endorsed_jurisdictions = serializers.ListField(
        child=serializers.RegexField(REGION_CODE_PATTERN),
        required=False,
        default=list,
        max_length=20,
    )
    applicant_agency_id = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=40
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["expires_at"] <= attrs["issued_at"]:
            raise serializers.ValidationError({"expires_at": "Must be after issued_at."})
        return attrs


class ExigentInput(serializers.Serializer[Any]):
    case_number = serializers.CharField(
        max_length=100, help_text="The case the approval is granted for."
    )
    granted_to = serializers.CharField(
        max_length=150,
        help_text="The username of the officer (investigator or analyst of the agency) the "
        "approval is granted to; only they may rely on it.",
    )
    purpose = serializers.ChoiceField(
        choices=PURPOSES_PERMITTED, help_text="The search purpose the approval is granted for."
    )
    category = serializers.CharField(max_length=80)
    reason = serializers.CharField(max_length=4000)


class AgreementInput(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=InteragencyKind.values)
    partner_agency_id = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=40
    )
    partner_jurisdiction = serializers.RegexField(REGION_CODE_PATTERN)
    expires_at = Rfc3339DateTimeField()


class RevokeInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)
