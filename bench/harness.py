"""Plumbing the benchmarks share: one JSON document on stdout, a throwaway database, a Celery
queue of their own, the labeled face set, and percentile summaries.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

import numpy as np

from config.redis_probe import redis_answers

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DB_NAME = "probity_bench"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_BENCH_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/14"
EVAL_FACES_ENV = "PROBITY_EVAL_FACES"


def stdout_reserve() -> TextIO:
    """Send everything printed from here on to stderr and return a handle on the real stdout.

    Django, Celery and the C libraries below them may print; only the final JSON document may
    reach stdout, so ``python -m bench.x > result.json`` always yields parseable JSON.
    """
    sys.stdout.flush()
    real = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return real


def progress(message: str) -> None:
    """Report progress on stderr, where it cannot corrupt the JSON document."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def json_emit(out: TextIO, document: dict[str, Any]) -> None:
    """Write the benchmark's one JSON document."""
    json.dump(document, out, indent=2)
    out.write("\n")
    out.flush()


def _url_redacted(url: str) -> str:
    parsed = urlparse(url)
    if not parsed.hostname:
        return f"{parsed.scheme}://"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.hostname}{port}{parsed.path}"


def django_start(*, worker_queue: bool = False) -> dict[str, str]:
    """Point the settings at the bench database (and a private queue), then set Django up.

    The database name must end in ``_bench``: ``db_setup`` only resets and drops such names,
    so a benchmark can never wipe a real database. With ``worker_queue`` the tasks go to Redis
    database 14 when Redis answers (else kombu's filesystem transport) on a queue named after
    this process, so a development worker on the same broker cannot steal them.
    """
    db_name = os.environ.get("PROBITY_BENCH_DB_NAME", BENCH_DB_NAME)
    if not db_name.endswith("_bench"):
        raise SystemExit(f"PROBITY_BENCH_DB_NAME={db_name!r} must end in '_bench'")
    os.environ["PROBITY_DB_NAME"] = db_name
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from config.embedded import operator_owner_url_default

    operator_owner_url_default()
    redis_up = redis_answers(REDIS_HOST, REDIS_PORT)
    if worker_queue and not os.environ.get("CELERY_BROKER_URL") and redis_up:
        os.environ["CELERY_BROKER_URL"] = REDIS_BENCH_URL
    import django

    django.setup()
    from django.conf import settings

    info = {"database": db_name, "policy_engine": "opa-rest" if settings.OPA_URL else "embedded"}
    if worker_queue:
        from config.celery import app

        queue = f"probity-bench-{os.getpid()}"
        app.conf.task_default_queue = queue
        if settings.CELERY_BROKER_URL.startswith("filesystem"):
            # Without a control folder kombu writes its exchange tables to ./control.
            options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
            control = Path(str(options["data_folder_in"])).parent / "control"
            control.mkdir(parents=True, exist_ok=True)
            app.conf.broker_transport_options = {**options, "control_folder": str(control)}
        info["broker"] = _url_redacted(settings.CELERY_BROKER_URL)
        info["queue"] = queue
    return info


@contextmanager
def bench_database() -> Iterator[None]:
    """Create the bench database from scratch and drop it afterwards, even after a failure."""
    from django.core.management import call_command
    from django.db import connections

    progress("creating the bench database")
    call_command("db_setup", reset=True, verbosity=0, stdout=io.StringIO())
    try:
        yield
    finally:
        connections.close_all()
        call_command("db_setup", drop=True, verbosity=0, stdout=io.StringIO())
        progress("bench database dropped")


@contextmanager
def celery_worker() -> Iterator[Any]:
    """Run a real Celery worker (solo pool, in a thread of this process) on the bench queue."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=60,
    ) as worker:
        yield worker
    _queue_delete(app.conf.task_default_queue)


def _queue_delete(queue: str) -> None:
    """Delete a bench queue from the broker; a leftover empty queue only earns a warning."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            # A channel forgets bindings it did not declare itself; declare, then delete, so
            # kombu removes the queue's exchange binding too.
            declared = app.amqp.queues[queue].bind(conn.default_channel)
            declared.declare()
            declared.delete()
    except Exception as exc:
        progress(f"could not delete queue {queue}: {exc}")


@contextmanager
def celery_worker_processes(
    *, concurrency: int, queue: str, ready_timeout: float = 120.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``celery worker --pool prefork --concurrency N`` as a separate process on ``queue``.

    The worker gets this process's environment (broker URL, ``PROBITY_DB_NAME``, settings)
    without the owner's database URL, as ``scripts/run.sh`` starts it. The block starts once
    the worker answers a ping; the worker is stopped (warm shutdown, then killed if it does not
    stop) and its queue deleted afterwards, also after a failure.
    """
    from config.celery import app

    hostname = f"bench-{os.getpid()}@{socket.gethostname()}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
    command = [
        *(sys.executable, "-W", "ignore", "-m", "celery", "-A", "config", "worker"),
        *("--pool", "prefork", "--concurrency", str(concurrency), "-Q", queue),
        *("--hostname", hostname, "--loglevel", "WARNING"),
        *("--without-gossip", "--without-mingle"),
    ]
    progress(f"starting {concurrency} worker processes on {queue}")
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        command, cwd=PROJECT_DIR, env=env, stdout=sys.stderr, start_new_session=True
    )
    try:
        deadline = time.monotonic() + ready_timeout
        while not app.control.ping(destination=[hostname], timeout=1.0):
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with status {worker.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not answer a ping in {ready_timeout:.0f} s")
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                progress("the worker did not stop in 60 s; killing its process group")
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        _queue_delete(queue)


def children_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds (user + system) used so far by the live children of ``pid``.

    For a prefork worker these are its pool processes, where the tasks run.
    """
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        # The command name may hold spaces and parentheses; the fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class TaskFinished:
    """Wake the benchmark the moment the in-process worker finishes a task.

    Waiting on Celery's ``task_postrun`` signal instead of polling the database keeps the
    waiting thread off the CPU and off PostgreSQL while the worker runs, which matters on two
    cores; the outcome is still read from the database afterwards.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.finished_at = 0.0

    def _finished(self, sender: Any = None, **kwargs: Any) -> None:
        self.finished_at = time.perf_counter()
        self.event.set()

    def arm(self) -> None:
        """Forget the previous task; call before queueing the next one."""
        self.event.clear()

    def wait(self, timeout: float) -> float | None:
        """Return when the worker finished a task (a ``perf_counter`` value), or None."""
        return self.finished_at if self.event.wait(timeout) else None

    def __enter__(self) -> TaskFinished:
        from celery.signals import task_postrun

        task_postrun.connect(self._finished, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        from celery.signals import task_postrun

        task_postrun.disconnect(self._finished)


@contextmanager
def calls_timed(targets: dict[str, tuple[Any, str]]) -> Iterator[dict[str, list[float]]]:
    """Time every call of the named module attributes (wall seconds) without changing them.

    The service looks these functions up at call time, so wrapping the module attribute is
    enough to see how long each step takes inside the worker.
    """
    timings: dict[str, list[float]] = {name: [] for name in targets}
    originals = {name: getattr(module, attr) for name, (module, attr) in targets.items()}

    def wrapper(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name].append(time.perf_counter() - began)

        return timed

    for name, (module, attr) in targets.items():
        setattr(module, attr, wrapper(name, originals[name]))
    try:
        yield timings
    finally:
        for name, (module, attr) in targets.items():
            setattr(module, attr, originals[name])


@dataclass(frozen=True)
class BenchTenant:
    """An Ontario municipal service with one trained investigator and an ICA gallery."""

    agency: Any
    user: Any
    gallery: Any


def bench_tenant() -> BenchTenant:
    """Create the agency, user and gallery a search needs, through the real services."""
    from django.utils import timezone

    from matching.galleries import gallery_create
    from matching.selectors import gallery_get
    from tenants.models import Agency
    from tenants.services import agency_create, training_record_add, user_create

    agency_id = f"bench_{uuid.uuid4().hex[:8]}"
    agency_create(
        agency_id=agency_id,
        name="Benchmark Police Service",
        kind="municipal",
        jurisdiction="CA-ON",
        municipality="Toronto",
        pia_completed=True,
        fr_program_approved=True,
    )
    # agency_create returns an instance bound to the owner connection, and Django routes every
    # object related to it there too; reload it as a request would see it (app role).
    agency = Agency.objects.get(id=agency_id)
    username = f"{agency_id}_investigator"
    user = user_create(agency=agency, username=username, roles=["investigator"])
    now = timezone.now()
    training_record_add(
        user=user,
        course="FR",
        completed_at=now - timedelta(days=30),
        expires_at=now + timedelta(days=335),
    )
    gallery_create(
        agency=agency,
        slug="booking",
        name="Booking photos",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    gallery = gallery_get(agency=agency, slug="booking")
    return BenchTenant(agency=agency, user=user, gallery=gallery)


def eval_faces_dir() -> Path:
    """Return the labeled face set beside the project, or stop with a clear message."""
    configured = os.environ.get(EVAL_FACES_ENV)
    path = Path(configured) if configured else PROJECT_DIR.parent / "shared" / "eval" / "faces"
    if not (path / "manifest.csv").is_file():
        raise SystemExit(
            f"labeled face set not found at {path} (no manifest.csv); set {EVAL_FACES_ENV} "
            "to the directory holding manifest.csv and the identity folders"
        )
    return path.resolve()


@dataclass(frozen=True)
class EvalPhoto:
    """One labeled photo of the evaluation set."""

    identity: str
    file: str
    path: Path


def eval_photos(faces_dir: Path) -> list[EvalPhoto]:
    """Return every photo listed in the manifest, sorted by file."""
    with (faces_dir / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    photos = [EvalPhoto(r["identity"], r["file"], faces_dir / r["file"]) for r in rows]
    missing = [p.file for p in photos if not p.path.is_file()]
    if missing:
        raise SystemExit(f"{len(missing)} photos of the manifest are missing, e.g. {missing[0]}")
    return sorted(photos, key=lambda p: p.file)


def latency_summary(seconds: Sequence[float], *, scale: float = 1000.0) -> dict[str, float]:
    """Return n, p50, p95, p99, mean, min and max (milliseconds unless ``scale`` says else)."""
    values = np.asarray(seconds, dtype=np.float64) * scale
    if values.size == 0:
        return {"n": 0}
    return {
        "n": int(values.size),
        "p50": round(float(np.percentile(values, 50)), 3),
        "p95": round(float(np.percentile(values, 95)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
        "mean": round(float(values.mean()), 3),
        "min": round(float(values.min()), 3),
        "max": round(float(values.max()), 3),
    }


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages; other work on the machine skews timings."""
    return [round(x, 2) for x in os.getloadavg()]


def environment(load_at_start: list[float]) -> dict[str, Any]:
    """Describe the machine and its load before and after, since every figure depends on them."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_average(),
    }
