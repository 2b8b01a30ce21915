"""``Authorization: Token <key>`` against hashed keys, resolved by the directory's function."""

from __future__ import annotations

from typing import Any, NoReturn

from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from tenants.context import agency_transaction
from tenants.directory import RESOLVED, directory_token_resolve
from tenants.models import ApiToken, User
from tenants.refusals import auth_failure_record
from tenants.request_context import request_user_bind
from tenants.throttles import AuthFailureRateThrottle
from tenants.tokens import KEY_PREFIX, token_digest

PREFIX_LENGTH = 12


def request_source(request: Any) -> str:
    """Return the client address the way DRF's throttles identify it (honours NUM_PROXIES)."""
    return str(BaseThrottle().get_ident(request))


def _prefix(key: str) -> str:
    """Return the shown part of a key; anything not shaped like one of ours is ``other``."""
    return key[:PREFIX_LENGTH] if key.startswith(KEY_PREFIX) else "other"


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by the digest of its API key; record every failure."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        failures = AuthFailureRateThrottle()
        wait = failures.retry_after(request)
        if wait is not None:
            auth_failure_record(
                source=request_source(request), prefix="*", reason="throttled", agency_id=None
            )
            raise exceptions.Throttled(wait=wait)
        if len(header) != 2:
            self._fail(request, "other", "malformed_header", None)
        try:
            key = header[1].decode()
        except UnicodeError:
            self._fail(request, "other", "malformed_header", None)
        resolved = directory_token_resolve(digest=token_digest(key))
        if resolved.outcome != RESOLVED or resolved.agency_id is None or resolved.token_id is None:
            self._fail(request, _prefix(key), resolved.outcome, resolved.agency_id)
        with agency_transaction(resolved.agency_id):
            token = (
                ApiToken.objects.select_related("user", "user__agency")
                .filter(pk=resolved.token_id)
                .first()
            )
        if token is None:
            self._fail(request, _prefix(key), "unknown", resolved.agency_id)
        request_user_bind(token.user)
        return token.user, token

    def _fail(self, request: Request, prefix: str, reason: str, agency_id: str | None) -> NoReturn:
        AuthFailureRateThrottle().failure_count(request)
        auth_failure_record(
            source=request_source(request), prefix=prefix, reason=reason, agency_id=agency_id
        )
        raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "HashedTokenAuthentication()"


def request_token(request: Any) -> ApiToken | None:
    """Return the API token a request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def request_mfa_verified(request: Any) -> bool:
    """Return whether the request's credentials carry a second factor.

    A token carries one when it was issued from a session that passed a second factor (or by an
    operator who checked one); a portal session when it passed one at sign-in.
    """
    from tenants.second_factor import session_mfa_verified

    token = request_token(request)
    if token is not None:
        return bool(token.mfa_verified)
    return session_mfa_verified(request)
