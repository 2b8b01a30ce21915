"""Errors Django answers itself (no such URL, an unexpected failure), in the API's JSON shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from tenants.errors import NOT_FOUND, error_body

SERVER_ERROR = "server_error"


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Answer a URL that matches no route like any missing object."""
    return JsonResponse(error_body(NOT_FOUND, "Not found."), status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer an unexpected failure without details; the log line has them, and the id."""
    return JsonResponse(
        error_body(SERVER_ERROR, "Internal error; quote the X-Request-ID."), status=500
    )
