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
    auditor = serializers.CharField(source="auditor.username")
    agency = serializers.CharField(source="agency_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by.username")
    revoked_at = serializers.DateTimeField(allow_null=True)
