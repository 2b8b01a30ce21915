"""The production settings on the real parts: gunicorn and two Celery workers on two host names.

Web and workers run as separate processes with ``config.settings_production`` (secrets from
files), against the embedded PostgreSQL and the machine's Redis (a database number and queue of
this test's own), as they would on separate hosts: searches submitted over HTTP are spread over
both workers and each one finishes with its candidates.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import redis
from django.conf import settings

from config.redis_probe import redis_answers
from tests.conftest import Tenant, photo, search_fields, wait_for
from tests.deploy.files import database_host
from tests.deploy.production import BASE_DIR, production_env

pytestmark = pytest.mark.worker

REDIS_DB = 12
HOST = "probity.test"
SEARCHES = 6


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    nodes: list[str]
    logs: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, "-m", *argv],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def production_stack(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Start web and two workers once for this module, on the session's committed tenants."""
    if not redis_answers():
        pytest.skip("needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
    tmp_path = tmp_path_factory.mktemp("production")
    run = f"{os.getpid()}-{time.monotonic_ns() % 10**6}"
    queue = f"probity-deploy-{run}"
    broker_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    port = _free_port()
    env = production_env(
        tmp_path,
        DATABASE_URL=_app_role_url(),
        PROBITY_DB_NAME=settings.DATABASES["default"]["NAME"],
        CELERY_BROKER_URL=broker_url,
        CACHE_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
        SEARCH_MAX_ACTIVE_PER_USER=str(SEARCHES),
        # One deployment, one set of keys: the audit MAC and signing keys, the key-encryption
        # key and the data-key store this test run's own processes use, so every event the
        # production processes write verifies with the rest of the chain.
        AUDIT_MAC_KEY_FILE=str(settings.AUDIT_MAC_KEY_FILE),
        AUDIT_SIGNING_KEY_FILE=str(settings.AUDIT_SIGNING_KEY_FILE),
        AUDIT_CHECKPOINT_LOG=str(settings.AUDIT_CHECKPOINT_LOG),
        DATAKEY_KEK_FILE=str(settings.DATAKEY_KEK_FILE),
        DATAKEY_STORE_DIR=str(settings.DATAKEY_STORE_DIR),
        PROBITY_GENERATE_KEYS="1",
    )
    nodes = [f"a{run}@host1", f"b{run}@host2"]
    processes = [
        _start(
            [
                "gunicorn",
                "config.wsgi",
                "--config",
                "python:config.gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            env,
            tmp_path / "web.log",
        ),
        *(
            _start(
                [
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-n",
                    node,
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                ],
                env,
                tmp_path / f"{node.split('@')[1]}.log",
            )
            for node in nodes
        ),
    ]
    stack = Stack(f"http://127.0.0.1:{port}", env, nodes, tmp_path)
    try:
        wait_for(lambda: len(_control(stack, "ping")) == 2, timeout=90, interval=1.0)
        wait_for(lambda: _answers(f"{stack.url}/healthz"), timeout=60)
        yield stack
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        client = redis.Redis.from_url(broker_url)
        client.delete(queue, f"_kombu.binding.{queue}")


def _app_role_url() -> str:
    """The URL of the app role the tests connect as: all a serving process ever gets."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"], safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    query = {"host": database_host(db)} | ({"port": str(db["PORT"])} if db.get("PORT") else {})
    return f"postgresql://{auth}@/{db['NAME']}?{urlencode(query, safe='/')}"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, headers={"Host": "localhost"}, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _client(stack: Stack, tenant: Tenant) -> httpx.Client:
    """A client that reaches gunicorn as the TLS proxy would forward an agency's request."""
    return httpx.Client(
        base_url=stack.url,
        timeout=30,
        headers={
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Authorization": f"Token {tenant.tokens['investigator']}",
        },
    )


def _control(stack: Stack, command: str) -> dict[str, Any]:
    """Ask our two workers with the project's own ``celery inspect`` under production settings.

    A subprocess, because the test suite's environment names its own broker, which Celery
    would prefer to the one given here.
    """
    result = subprocess.run(  # noqa: S603 - our own interpreter and modules
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "inspect",
            command,
            "--destination",
            ",".join(stack.nodes),
            "--json",
            "--timeout",
            "3",
        ],
        cwd=BASE_DIR,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if result.returncode == 0 and lines else {}


def _task_counts(stack: Stack) -> dict[str, int]:
    stats: dict[str, Any] = _control(stack, "stats")
    return {
        node: stats.get(node, {}).get("total", {}).get("matching.tasks.search_run", 0)
        for node in stack.nodes
    }


def test_searches_spread_over_two_worker_hosts(production_stack: Stack, tenant_a: Tenant) -> None:
    with _client(production_stack, tenant_a) as client:
        ids = []
        for n in range(SEARCHES):
            response = client.post(
                "/api/v1/searches",
                data=search_fields(case_number=f"2026-70{n:04d}"),
                files={"probe": ("probe.jpg", photo("obama3.jpg"), "image/jpeg")},
            )
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "queued"
            ids.append(response.json()["id"])

        def all_done() -> list[dict[str, Any]] | None:
            bodies = [client.get(f"/api/v1/searches/{i}").json() for i in ids]
            finished = all(b["status"] in ("awaiting_review", "failed") for b in bodies)
            return bodies if finished else None

        bodies = wait_for(all_done, timeout=180, interval=0.5)
    for body in bodies:
        assert body["status"] == "awaiting_review", body.get("error")
        assert body["candidates"][0]["subject_ref"] == "obama"
    counts = _task_counts(production_stack)
    print(f"searches per worker host: {counts}")
    assert sum(counts.values()) == SEARCHES, counts
    assert all(count > 0 for count in counts.values()), f"not spread: {counts}"


def test_production_web_redirects_plain_http_and_sends_hsts(
    production_stack: Stack, tenant_a: Tenant
) -> None:
    token = {"Authorization": f"Token {tenant_a.tokens['investigator']}"}
    plain = httpx.get(
        f"{production_stack.url}/api/v1/galleries", headers={"Host": HOST, **token}, timeout=10
    )
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{HOST}/api/v1/galleries"
    with _client(production_stack, tenant_a) as client:
        secure = client.get("/api/v1/galleries")
    assert secure.status_code == 200
    assert "max-age=31536000" in secure.headers["strict-transport-security"]
    health = httpx.get(f"{production_stack.url}/healthz", headers={"Host": "localhost"}, timeout=10)
    assert health.status_code == 200, "probes inside the deployment speak plain HTTP"
    other = httpx.get(
        f"{production_stack.url}/healthz", headers={"Host": "evil.example"}, timeout=10
    )
    assert other.status_code == 400
