"""Response serializers of the policy API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from matching.outputs import ReasonOutput


class DryRunOutput(serializers.Serializer[Any]):
    decision_id = serializers.UUIDField(source="id")
    bundle_revision = serializers.CharField()
    engine = serializers.CharField()
    latency_ms = serializers.SerializerMethodField()
    allow = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    obligations = serializers.DictField(child=serializers.JSONField())

    def get_latency_ms(self, record: Any) -> float:
        return round(float(record.latency_ms), 3)


class DecisionSummaryOutput(DryRunOutput):
    """A recorded decision in a list: what was decided and why, not the input."""

    search_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class DecisionLogReportOutput(serializers.Serializer[Any]):
    recorded = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    unattributed = serializers.IntegerField()
    refused = serializers.IntegerField(
        help_text="Events of agencies the presenting token does not represent."
    )
