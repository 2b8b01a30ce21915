"""``GET /healthz``: database, broker, workers and policy engine, each checked for real.

The workers answer a broadcast ping within a timeout; without one answering, searches would
queue and never run, so the service is unhealthy. The queue's depth is reported beside them.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app
from config.celery import queue_depth
from policy.engine import engine_get


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        return (row is not None, f"pgvector {row[0]}" if row else "pgvector missing")
    except Exception as exc:
        return False, type(exc).__name__


def _broker() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True, conn.transport_cls if isinstance(conn.transport_cls, str) else "ok"
    except Exception as exc:
        return False, type(exc).__name__


WORKER_PING_TIMEOUT_SECONDS = 1.0


def _workers() -> tuple[bool, str]:
    try:
        replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS) or []
    except Exception as exc:
        return False, type(exc).__name__
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return False, f"no worker answered within {WORKER_PING_TIMEOUT_SECONDS:g} s"
    return True, f"{len(names)} answering: {', '.join(names)}"


def _policy() -> tuple[bool, str]:
    try:
        return engine_get().health()
    except Exception as exc:
        return False, type(exc).__name__


def healthz(request: HttpRequest) -> JsonResponse:
    """Report the state of each dependency; 503 if any is down."""
    checks: dict[str, Any] = {}
    for name, check in (
        ("database", _database),
        ("broker", _broker),
        ("workers", _workers),
        ("policy_engine", _policy),
    ):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    healthy = all(c["ok"] for c in checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": checks,
        "queue": {"name": celery_app.conf.task_default_queue, "depth": queue_depth()},
    }
    return JsonResponse(body, status=200 if healthy else 503)
