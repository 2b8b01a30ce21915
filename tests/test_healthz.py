"""``GET /healthz`` checks the database, the broker and the policy engine for real."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from policy.engine import engine_get


@pytest.fixture
def unreachable_opa(settings: Any) -> Iterator[str]:
    """Point the policy engine at a local port that refuses connections, then restore it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))  # bound but never listening: the port stays ours and closed
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings.OPA_URL = url
        engine_get.cache_clear()
        try:
            yield url
        finally:
            engine = engine_get()
            close = getattr(engine, "close", None)
            if close is not None:
                close()
            engine_get.cache_clear()


@pytest.mark.worker
def test_healthy(db: None, celery_worker: Any, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "workers", "policy_engine"}
    assert all(check["ok"] is True for check in body["checks"].values()), body
    assert body["checks"]["database"]["detail"].startswith("pgvector ")
    assert celery_worker.hostname in body["checks"]["workers"]["detail"]
    assert isinstance(body["queue"]["depth"], int)


@pytest.mark.worker
def test_unreachable_policy_engine_makes_it_unhealthy(
    db: None, celery_worker: Any, client: Client, unreachable_opa: str
) -> None:
    assert engine_get().name == "opa-rest"
    response = client.get("/healthz")
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["policy_engine"]["ok"] is False
    assert unreachable_opa in body["checks"]["policy_engine"]["detail"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.worker
def test_health_needs_no_credentials_and_ignores_bad_ones(db: None, celery_worker: Any) -> None:
    response = Client(HTTP_AUTHORIZATION="Token prb_not-a-real-key").get("/healthz")
    assert response.status_code == 200, response.content
