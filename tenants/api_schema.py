"""OpenAPI pieces every API module shares: the error shape, the auth schemes, path ids.

drf-spectacular reads these when it builds the schema; importing this module (the app's
``ready``) registers the token scheme.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorDetailOutput(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable error code; clients branch on it.")
    message = serializers.CharField(help_text="Human-readable explanation; may change.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the error body's key
        child=serializers.JSONField(),
        required=False,
        help_text="Per-field messages for invalid requests.",
    )


class ErrorOutput(serializers.Serializer[Any]):
    """Every error response: ``{"error": {"code", "message", "fields"?}}``."""

    error = ErrorDetailOutput()


_ERROR_TEXT = {
    400: "Invalid or malformed request (see `error.code` and `error.fields`).",
    401: "Missing, invalid or revoked credentials.",
    403: "The caller's role may not do this.",
    404: "No such object in the caller's agency (another agency's object answers the same).",
    409: "The object's state does not allow this, or an idempotency key was reused.",
    413: "The request or an uploaded file is larger than allowed.",
    415: "Unsupported content type.",
    422: "The request is well formed but cannot be processed.",
    429: "Too many requests or too much work in flight: retry after `Retry-After` seconds.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Return the documented error responses for ``codes`` (401 is always possible)."""
    return {
        code: OpenApiResponse(ErrorOutput, description=_ERROR_TEXT[code])
        for code in sorted({401, *codes})
    }


def path_uuid(name: str, what: str) -> OpenApiParameter:
    """Document a path parameter that holds an object's UUID."""
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=what)


def path_str(name: str, what: str, enum: list[str] | None = None) -> OpenApiParameter:
    """Document a path parameter that holds a slug or a fixed choice."""
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.PATH, description=what, enum=enum
    )


def path_int(name: str, what: str) -> OpenApiParameter:
    """Document a path parameter that holds a small non-negative integer."""
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


class HashedTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """``Authorization: Token <key>``: a user's API key, stored hashed."""

    target_class = "tenants.authentication.HashedTokenAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: an API key issued to one user of one agency; the "
            "agency of every request is the key's user's agency.",
        }
