"""Stable error codes for everything a client can get wrong, and the API's error shape.

Every error response is ``{"error": {"code": ..., "message": ..., "fields": {...}}}``; clients
and tests rely on ``code``, never on the message text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

INVALID_REQUEST = "invalid_request"
MALFORMED_REQUEST = "malformed_request"
NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PAYLOAD_TOO_LARGE = "payload_too_large"
CONFLICT = "conflict"
INTERNAL_ERROR = "internal_error"
ROLE_REQUIRED = "role_required"
THROTTLED = "throttled"

IMAGE_MISSING = "image_missing"
IMAGE_TYPE_UNSUPPORTED = "image_type_unsupported"
IMAGE_TOO_LARGE = "image_too_large"
IMAGE_CORRUPT = "image_corrupt"
IMAGE_TRUNCATED = "image_truncated"
IMAGE_DECOMPRESSION_BOMB = "image_decompression_bomb"

SEARCH_STATE_CONFLICT = "search_state_conflict"
FACE_CHOICE_INVALID = "face_choice_invalid"


class ApiError(exceptions.APIException):
    """A client error with a stable code."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int = status.HTTP_400_BAD_REQUEST,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.error_code = code
        self.message = message
        self.fields = fields or {}


class UploadRefusedError(SuspiciousOperation):
    """An upload stopped while it streamed in (too large, or a file the endpoint does not take).

    Raised by the upload handler before the rest of the body is read; a ``SuspiciousOperation``
    so that a plain Django view answers 400 too.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = code
        self.message = message
        self.http_status = http_status
        self.fields = fields or {}


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: MALFORMED_REQUEST,
    exceptions.NotAuthenticated: NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: NOT_AUTHENTICATED,
    exceptions.PermissionDenied: PERMISSION_DENIED,
    exceptions.NotFound: NOT_FOUND,
    exceptions.MethodNotAllowed: METHOD_NOT_ALLOWED,
    exceptions.UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: THROTTLED,
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the JSON body of an error response."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in one shape with a stable code; unknown errors stay 500.

    A refusal of an authenticated agency user (403, 404) is written to the agency's audit trail.
    """
    response = _render(exc, context)
    request = context.get("request")
    if response is not None and (
        response.status_code in REFUSALS_ON_RECORD
        or (
            response.status_code in REFUSED_WRITES_ON_RECORD
            and getattr(request, "method", "") in WRITE_METHODS
        )
    ):
        _refusal_on_record(request, response)
    return response


REFUSALS_ON_RECORD = (status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND)
# A refused submission (bad input, a state conflict, a body too large) is on record too; the
# throttle's own 429 is not, so a flood cannot fill the trail (the throttle bounds the rest).
REFUSED_WRITES_ON_RECORD = (
    status.HTTP_400_BAD_REQUEST,
    status.HTTP_409_CONFLICT,
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _refusal_on_record(request: Any, response: Response) -> None:
    from tenants.refusals import refusal_record

    user = getattr(request, "user", None)
    agency_id = getattr(user, "agency_id", None)
    if request is None or not agency_id:
        return
    error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
    refusal_record(
        agency_id=agency_id,
        actor=user,
        action="request.refused",
        object_type="request",
        object_id=request.path[:80],
        data={
            "status": response.status_code,
            "code": error.get("code", ""),
            "method": request.method,
            "path": request.path,
        },
    )


def _render(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApiError):
        return Response(error_body(exc.error_code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, UploadRefusedError):
        return Response(error_body(exc.error_code, exc.message, exc.fields), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(PAYLOAD_TOO_LARGE, "The request body is larger than allowed."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            error_body(MALFORMED_REQUEST, "The request was refused as malformed."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body(INVALID_REQUEST, "Some fields are missing or invalid.", _fields(exc.detail)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = _DRF_CODES.get(type(exc), str(exc.default_code))
    response.data = error_body(code, str(exc.detail))
    return response


def _fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            str(k): _fields(v)
            if isinstance(v, dict)
            else [str(m) for m in v]
            if isinstance(v, list)
            else [str(v)]
            for k, v in detail.items()
        }
    messages = [str(m) for m in detail] if isinstance(detail, list) else [str(detail)]
    return {"non_field_errors": messages}
