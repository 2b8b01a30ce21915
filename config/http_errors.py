"""Errors Django answers itself (no such URL, an unexpected failure): JSON under the API.

The API's clients always get the API's error shape; the portal's pages keep HTML.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from tenants.errors import NOT_FOUND, error_body

SERVER_ERROR = "server_error"
API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer a URL that matches no route like any missing object."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(NOT_FOUND, "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an unexpected failure without details; the log line has them, and the id."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(SERVER_ERROR, "Internal error; quote the X-Request-ID."),
                            status=500)
    return defaults.server_error(request)
