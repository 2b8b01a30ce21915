"""Ride out a database restart: wait for PostgreSQL and run the request again, when that is safe.

A request that meets a lost connection waits (with backoff, up to ``OUTAGE_WAIT_SECONDS``) for
the database to answer again and is then run again from the start, so a restart costs the
client latency, not an error. Whether a run may be repeated is decided exactly:

- a safe method (GET, HEAD, OPTIONS) may always be run again;
- any other request may be run again only if nothing of it can have been committed: no COMMIT
  of a transaction that wrote was sent on any connection (``config.postgresql`` counts them,
  including one whose answer was lost, whose outcome is unknown) and no writing statement ran
  outside a transaction (autocommit).

A request that may not be run again, or whose database stays away past the bound, is answered
503 ``database_unavailable`` with ``Retry-After`` -- never a 500 page. A client that retries
such a write should send ``Idempotency-Key``: a first attempt which did commit is then never
repeated (its response is replayed, or the retry is refused as still in progress).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from tenants.errors import error_body

DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_SECONDS = 2
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# admin_shutdown, crash_shutdown, cannot_connect_now
_SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03"})
logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


_durable_before: WeakKeyDictionary[HttpRequest, int] = WeakKeyDictionary()


def _durable_writes() -> int:
    return sum(getattr(conn, "durable_writes", 0) for conn in connections.all())


def _connections_reset() -> None:
    """Drop every connection, broken or not, so the next query reconnects."""
    for conn in connections.all():
        if not conn.in_atomic_block:
            conn.close()


def _connection_lost(error: Exception) -> bool:
    """Say whether ``error`` is a lost connection (server restarting, refused, gone).

    A client-side failure (no SQLSTATE), a connection exception (class 08) or the server's
    shutdown codes; never a query's own failure such as a deadlock or a statement timeout.
    """
    if isinstance(error, InterfaceError):
        return True
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SHUTDOWN_STATES


def _database_answers() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except (OperationalError, InterfaceError):
        _connections_reset()
        return False


def _wait_for_database(deadline: float) -> bool:
    """Wait with backoff until the database answers; False if it has not by ``deadline``."""
    delay = 0.1
    _connections_reset()
    while True:
        if _database_answers():
            return True
        if time.monotonic() + delay > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _body_replayable(request: HttpRequest) -> bool:
    """Make the request's body readable again; False if it was consumed and not kept."""
    if not getattr(request, "_read_started", False) or hasattr(request, "_body"):
        return True
    files = getattr(request, "_files", None)
    if files is None or not hasattr(request, "_post"):
        return False
    for upload in files.values():
        upload.seek(0)
    return True


def _keep_small_body(request: HttpRequest) -> None:
    """Keep a small non-form body so a re-run can parse it again (uploads stream to files)."""
    if request.method in SAFE_METHODS:
        return
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        request.body  # noqa: B018 - read and kept by Django


def unavailable_response() -> JsonResponse:
    """Answer 503 in the API's error shape, telling the client when to try again."""
    response = JsonResponse(
        error_body(
            DATABASE_UNAVAILABLE,
            "The database is briefly unavailable. Try again; send Idempotency-Key with a "
            "write so that a first attempt which was recorded is not repeated.",
        ),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Run a view again after a lost database connection when that is safe; else answer 503.

    The retry lives in ``process_exception``, so a request that meets no outage takes Django's
    usual path, other middleware's exception hooks included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: View,
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        """Note what is durable before the view runs, and keep a small body for a re-run."""
        _keep_small_body(request)
        _durable_before[request] = _durable_writes()

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Wait for the database and run the view again when that is safe; else answer 503.

        Other errors are left alone. An error other than a lost connection raised by a re-run
        propagates like any view error.
        """
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        deadline = time.monotonic() + settings.OUTAGE_WAIT_SECONDS
        error: Exception = exception
        attempt = 1
        while True:
            if not _connection_lost(error):
                logger.warning("database error for %s %s: %s", request.method, request.path, error)
                return unavailable_response()
            before = _durable_before.get(request)
            rerun = request.method in SAFE_METHODS or (
                before is not None and _durable_writes() == before
            )
            logger.warning(
                "database unavailable for %s %s (attempt %d, %s): %s",
                request.method,
                request.path,
                attempt,
                "waiting to run it again" if rerun else "may have committed: not run again",
                error,
            )
            if not rerun or not _body_replayable(request) or time.monotonic() > deadline:
                return unavailable_response()
            if not _wait_for_database(deadline) or request.resolver_match is None:
                return unavailable_response()
            attempt += 1
            match = request.resolver_match
            _durable_before[request] = _durable_writes()
            try:
                response: HttpResponse = match.func(request, *match.args, **match.kwargs)
                return response
            except (OperationalError, InterfaceError) as exc:
                error = exc
