"""Authenticate OPA servers (bundle downloads, decision logs) by the shared service token.

OPA presents a service bearer token, not a person's API token; it is compared in constant time.
While ``POLICY_BUNDLE_TOKEN`` is empty the OPA-facing endpoints answer 404, as if absent.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.errors import NOT_AUTHENTICATED, NOT_FOUND, error_body

BEARER_REALM = "probity-policy-bundles"


def opa_service_refusal(request: Request) -> Response | None:
    """Return the refusal for a request without the right bearer token, or None to proceed."""
    expected = settings.POLICY_BUNDLE_TOKEN
    if not expected:
        return Response(error_body(NOT_FOUND, "Not found."), status=status.HTTP_404_NOT_FOUND)
    presented = _bearer_token(request)
    if presented is None:
        return _unauthorized("A bearer token is required.", challenge="")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        return _unauthorized("The bearer token is not valid.", challenge="invalid_token")
    return None


ALL_AGENCIES = "*"


def opa_decision_log_agencies(request: Request) -> frozenset[str] | Response:
    """Return the agencies whose decisions the presented token may log, or the refusal.

    With ``OPA_DECISION_LOG_TOKENS`` (token → agencies) each OPA fleet has its own token;
    without it the bundle token stands for ``OPA_DECISION_LOG_AGENCIES`` (empty: none, ``*``:
    all). Decisions of any other agency are refused.
    """
    tokens: dict[str, frozenset[str]] = settings.OPA_DECISION_LOG_TOKENS
    if not tokens:
        refused = opa_service_refusal(request)
        return refused if refused is not None else frozenset(settings.OPA_DECISION_LOG_AGENCIES)
    presented = _bearer_token(request)
    if presented is None:
        return _unauthorized("A bearer token is required.", challenge="")
    for token, agencies in tokens.items():
        if hmac.compare_digest(presented.encode(), token.encode()):
            return frozenset(agencies)
    return _unauthorized("The bearer token is not valid.", challenge="invalid_token")


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _unauthorized(message: str, *, challenge: str) -> Response:
    """Answer 401 with a ``WWW-Authenticate`` challenge, as RFC 6750 asks."""
    header = f'Bearer realm="{BEARER_REALM}"'
    if challenge:
        header += f', error="{challenge}"'
    return Response(
        error_body(NOT_AUTHENTICATED, message),
        status=status.HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": header},
    )
