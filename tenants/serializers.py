"""Input and output shapes of the credential API (tokens and users of the acting agency)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from tenants.models import ApiToken, Role, TokenIssuer, User

ADMIN_ISSUABLE = [TokenIssuer.AGENCY_ADMIN.value]


class TokenIssueInput(serializers.Serializer[Any]):
    user = serializers.IntegerField()
    # The API's name for it; it shadows Field.label, which an input serializer never uses.
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=100, required=False, allow_blank=True, default=""
    )
    expires_in_days = serializers.IntegerField(required=False, min_value=1)
    issued_via = serializers.ChoiceField(
        choices=ADMIN_ISSUABLE, required=False, default=TokenIssuer.AGENCY_ADMIN.value
    )


class TokenRotateInput(serializers.Serializer[Any]):
    expires_in_days = serializers.IntegerField(required=False, min_value=1)


class UserCreateInput(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.values), allow_empty=False
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")


def token_status(token: ApiToken) -> str:
    """Return ``revoked``, ``expired`` or ``active``."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= timezone.now() else "active"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def token_output(token: ApiToken) -> dict[str, Any]:
    """Return a token as the API shows it: never its key or digest."""
    return {
        "id": token.pk,
        "user": {"id": token.user_id, "username": token.user.username},
        "label": token.label,
        "prefix": token.prefix,
        "issued_via": token.issued_via,
        "mfa_verified": token.mfa_verified,
        "rotated_from": token.rotated_from_id,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "last_used_at": _iso(token.last_used_at),
        "revoked_at": _iso(token.revoked_at),
        "status": token_status(token),
    }


def user_output(user: User) -> dict[str, Any]:
    """Return a user as the API shows it to their agency's admins."""
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "roles": list(user.roles),
        "is_active": user.is_active,
        "mfa_enabled": user.mfa_enabled,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }


class TokenUserOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TokenOutput(serializers.Serializer[Any]):
    """A token as agency admins see it: never its key or digest."""

    id = serializers.IntegerField()
    user = TokenUserOutput()
    label = serializers.CharField()  # type: ignore[assignment]
    prefix = serializers.CharField()
    issued_via = serializers.ChoiceField(choices=TokenIssuer.values)
    mfa_verified = serializers.BooleanField()
    rotated_from = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["active", "expired", "revoked"])


class TokenListOutput(serializers.Serializer[Any]):
    tokens = TokenOutput(many=True)


class TokenIssuedOutput(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The API key, shown this once.")
    token = TokenOutput()


class UserOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values))
    is_active = serializers.BooleanField()
    mfa_enabled = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class UserListOutput(serializers.Serializer[Any]):
    users = UserOutput(many=True)
