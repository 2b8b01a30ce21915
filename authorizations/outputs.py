"""Response serializers of the authority-record API (the document itself is fetched apart)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from authorizations.models import (
    AuthorizationRecord,
    InteragencyKind,
    RecordStatus,
    WarrantKind,
)


class DocumentOutput(serializers.Serializer[Any]):
    name = serializers.CharField(source="document_name")
    type = serializers.CharField(source="document_type")
    sha256 = serializers.CharField(source="document_sha256")


class RecordOutput(serializers.Serializer[Any]):
    """What every record shows: its state, who entered, verified or revoked it, its document."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=RecordStatus.choices)
    entered_by = serializers.CharField(source="entered_by.username")
    verified_by = serializers.CharField(
        source="verified_by.username", allow_null=True, default=None
    )
    verified_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_revocation_reason(self, record: AuthorizationRecord) -> str | None:
        return record.revocation_reason or None

    def get_document(self, record: AuthorizationRecord) -> dict[str, Any] | None:
        return dict(DocumentOutput(record).data) if record.document_sha256 else None


class _ExpiringOutput(RecordOutput):
    expires_at = serializers.DateTimeField()
    expired = serializers.SerializerMethodField()

    def get_expired(self, record: Any) -> bool:
        return bool(timezone.now() >= record.expires_at)


class WarrantOutput(_ExpiringOutput):
    case_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=WarrantKind.values)
    number = serializers.CharField()
    issuing_court = serializers.CharField()
    issuing_jurisdiction = serializers.CharField()
    issued_at = serializers.DateTimeField()
    authorized_purposes = serializers.ListField(child=serializers.CharField())
    authorized_case_number = serializers.CharField()
    endorsed_jurisdictions = serializers.ListField(child=serializers.CharField())
    applicant_agency_id = serializers.CharField()


class ExigentOutput(RecordOutput):
    case_number = serializers.CharField()
    granted_to = serializers.CharField(source="granted_to.username")
    purpose = serializers.CharField()
    category = serializers.CharField()
    reason = serializers.CharField()


class AgreementOutput(_ExpiringOutput):
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=InteragencyKind.values)
    partner_agency_id = serializers.CharField()
    partner_jurisdiction = serializers.CharField()


class RevocationEffectOutput(serializers.Serializer[Any]):
    searches_cancelled = serializers.IntegerField()
    searches_quarantined = serializers.IntegerField()
