"""Request ids: accepted from ``X-Request-ID`` or generated, returned, logged, carried on.

The id is bound for the request (``tenants.request_context``), returned in the response,
written on the request's log line and into every audit event of the request, and put in the
headers of every Celery task the request publishes, where the worker binds it again.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from tenants.request_context import request_context, request_context_bind

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
TASK_HEADERS = ("request_id", "agency_id", "username")

access_log = logging.getLogger("probity.request")


def request_id_from(value: str | None) -> str:
    """Return the client's id when it is a safe token (no spaces, ≤ 128), else a new one."""
    if value and _ACCEPTED.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind a request id for the request, return it, and log the request's outcome."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_from(request.headers.get(HEADER))
        request_context_bind(request_id=rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_context_bind()


def task_headers_add(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: put the publishing request's context in the task's headers."""
    if headers is None:
        return
    context = request_context()
    headers.update(
        {
            "request_id": context.request_id,
            "agency_id": context.agency_id,
            "username": context.username,
        }
    )


def task_context_bind(task: Any = None, **_: Any) -> None:
    """``task_prerun``: bind the context the task's message carries (or clear it)."""
    message = getattr(task, "request", None)
    values = {name: str(getattr(message, name, "") or "") for name in TASK_HEADERS}
    request_context_bind(**values)


def task_context_clear(**_: Any) -> None:
    """``task_postrun``: leave no context behind for the worker's next task."""
    request_context_bind()
