"""The bundle endpoint OPA servers poll for the active policy (OPA's bundle service API)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from config.openapi_settings import OPA_SERVICE_SCHEME
from policy.bundle_archive import active_bundle, bundle_archive
from policy.opa_service_auth import opa_service_refusal
from tenants.api_schema import error_responses

BUNDLE_CONTENT_TYPE = "application/gzip"


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

    @extend_schema(
        operation_id="policy_bundle_get",
        tags=["policy (OPA servers)"],
        summary="The active policy as an OPA bundle (OPA servers; bearer service token)",
        auth=[{OPA_SERVICE_SCHEME: []}],  # type: ignore[list-item]  # a security requirement
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag (revision) already held.",
            )
        ],
        responses={
            (200, BUNDLE_CONTENT_TYPE): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="The caller holds this revision."),
            **error_responses(404),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """Return the archive, or 304 when the caller already holds this revision."""
        refused = opa_service_refusal(request)
        if refused is not None:
            return refused
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


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Compare weakly, as ``If-None-Match`` requires, against every listed tag."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.removeprefix("W/") == etag:
            return True
    return False
