"""``make run`` refuses to start a second time, fast, and says why (before installing anything)."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

RUN = Path(settings.BASE_DIR) / "scripts" / "run.sh"
LOCK = Path(settings.BASE_DIR) / "var" / "run.lock"


def run_script(port: int) -> tuple[int, str, float]:
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - the project's own script
        [str(RUN)],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"run.sh did not stop by itself:\n{output[-2000:]}")
    return process.returncode, output, time.monotonic() - started


def test_a_second_run_fails_fast_when_one_already_runs() -> None:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("a") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.skip("Probity is running from this directory")
        code, output, took = run_script(port=0)
    assert code != 0
    assert "already running" in output
    assert took < 10


def test_a_run_on_a_port_in_use_fails_fast_and_says_so() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        code, output, took = run_script(port=port)
    if "already running" in output:
        pytest.skip("Probity is running from this directory")
    assert code != 0, output[-2000:]
    assert f"port {port} is already in use" in output
    assert took < 10
