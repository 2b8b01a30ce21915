"""Views that lose their own database connection, for the outage middleware's tests."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

RUNS: list[str] = []


def _lose_connection() -> None:
    """End this request's own PostgreSQL backend: the next statement meets a lost connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def _answer(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    upload = request.FILES.get("probe")
    return HttpResponse(upload.read() if upload else b"ok", status=200)


def read_then_lost(request: HttpRequest) -> HttpResponse:
    RUNS.append("read")
    if len(RUNS) == 1:
        _lose_connection()
    return _answer(request)


def lost_inside_transaction(request: HttpRequest) -> HttpResponse:
    RUNS.append("write")
    if len(RUNS) == 1:
        upload = request.FILES.get("probe")
        if upload:
            upload.read()
        with transaction.atomic():
            _lose_connection()
    return _answer(request)


def lost_after_commit(request: HttpRequest) -> HttpResponse:
    RUNS.append("write")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE outage_committed (x int)")
    _lose_connection()
    return _answer(request)


def lost_after_read_only_transaction(request: HttpRequest) -> HttpResponse:
    RUNS.append("write")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if len(RUNS) == 1:
        _lose_connection()
    return _answer(request)


def lost_after_autocommit_write(request: HttpRequest) -> HttpResponse:
    RUNS.append("write")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE outage_probe (x int)")
    _lose_connection()
    return _answer(request)


urlpatterns = [
    path("read", read_then_lost),
    path("in-transaction", lost_inside_transaction),
    path("after-commit", lost_after_commit),
    path("after-read-only-transaction", lost_after_read_only_transaction),
    path("after-autocommit-write", lost_after_autocommit_write),
]
