"""Django's error pages, in the API's JSON error shape for every path under ``/api/``.

Errors raised inside a DRF view are rendered by ``api_exception_handler``; these handlers cover
what happens outside one: an unknown route, a refused host, an error in middleware, and any
exception the API handler leaves to Django. Other paths keep Django's own pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from tenants import errors

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info == API_PREFIX.rstrip("/") or request.path_info.startswith(API_PREFIX)


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(errors.error_body(code, message), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 400 for a request Django refused before any view (host, size, field count)."""
    if _is_api(request):
        return _json(errors.MALFORMED_REQUEST, "The request was refused as malformed.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403 without saying more than that."""
    if _is_api(request):
        return _json(errors.PERMISSION_DENIED, "You may not do this.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 404 for a path no route matches."""
    if _is_api(request):
        return _json(errors.NOT_FOUND, "No such endpoint.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 500 with no detail of the failure (it is logged, never sent)."""
    if _is_api(request):
        return _json(
            errors.INTERNAL_ERROR, "The service failed unexpectedly; the failure is logged.", 500
        )
    return defaults.server_error(request)
