"""``Authorization: Token <key>`` against hashed keys."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tenants.models import ApiToken, User
from tenants.request_context import request_user_bind
from tenants.tokens import token_digest


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by the digest of its API key."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token header.") from exc
        token = (
            ApiToken.objects.select_related("user", "user__agency")
            .filter(digest=token_digest(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active or token.user.agency is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request_user_bind(token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "HashedTokenAuthentication()"


def request_token(request: Any) -> ApiToken | None:
    """Return the API token a request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None
