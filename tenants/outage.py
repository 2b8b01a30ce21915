"""Answer 503 with ``Retry-After`` while the database is unreachable, never a 500 page.

A request that fails because PostgreSQL is restarting or unreachable has written nothing (its
transaction is rolled back), so the client may simply try again; the answer says so, in the
API's error shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from tenants.errors import error_body

DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_SECONDS = 2
logger = logging.getLogger(__name__)


class DatabaseOutageMiddleware:
    """Turn a lost database connection into a 503 the client can retry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer 503 for a database connection failure; leave every other error alone."""
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning(
            "database unavailable for %s %s: %s", request.method, request.path, exception
        )
        response = JsonResponse(
            error_body(
                DATABASE_UNAVAILABLE,
                "The database is briefly unavailable; nothing was recorded. Try again.",
            ),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
