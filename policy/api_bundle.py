"""The bundle endpoint OPA servers poll for the active policy (OPA's bundle service API)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policy.bundle_archive import active_bundle, bundle_archive
from tenants.errors import NOT_AUTHENTICATED, NOT_FOUND, error_body

BUNDLE_CONTENT_TYPE = "application/gzip"
BEARER_REALM = "probity-policy-bundles"


class FirstRendererNegotiation(BaseContentNegotiation):
    """Ignore ``Accept``: OPA asks for a tarball, and errors are always JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class PolicyBundleApi(APIView):
    """Serve the active bundle to OPA servers holding the shared bundle token.

    OPA authenticates with a service bearer token, not a user's API token, so the API's own
    authentication is switched off here and the token is checked in constant time instead.
    """

    authentication_classes = []
    permission_classes = []
    content_negotiation_class = FirstRendererNegotiation

    def get(self, request: Request) -> HttpResponse:
        """Return the archive, or 304 when the caller already holds this revision."""
        expected = settings.POLICY_BUNDLE_TOKEN
        if not expected:
            return Response(error_body(NOT_FOUND, "Not found."), status=status.HTTP_404_NOT_FOUND)
        presented = _bearer_token(request)
        if presented is None:
            return _unauthorized("A bearer token is required.", challenge="")
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            return _unauthorized("The bearer token is not valid.", challenge="invalid_token")
        bundle = active_bundle()
        etag = f'"{bundle.revision}"'
        if _etag_matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
            not_modified["ETag"] = etag
            not_modified["Cache-Control"] = "private, no-cache"
            return not_modified
        response = HttpResponse(bundle_archive(bundle), content_type=BUNDLE_CONTENT_TYPE)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response


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


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Compare weakly, as ``If-None-Match`` requires, against every listed tag."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.removeprefix("W/") == etag:
            return True
    return False
