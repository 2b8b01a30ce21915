"""One face-model call at a time per process, and no task run on the consumer's timer thread."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from django.db import OperationalError, connections

from matching.models import SearchStatus
from tests.conftest import Tenant, wait_for
from tests.matching.test_concurrency import FINAL, message_lost, status_of, submit


@pytest.mark.worker
def test_a_retried_search_runs_again_on_the_tasks_own_thread(
    committed: None, celery_worker: Any, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding: a retry with a countdown ran on the timer thread beside the task in progress."""
    from celery import current_task

    import matching.tasks as tasks

    threads: list[str] = []
    deliveries: list[int] = []
    real = tasks.search_execute  # type: ignore[attr-defined]

    def database_blip_once(**kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        deliveries.append(current_task.request.retries)
        if len(threads) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real(**kwargs)

    monkeypatch.setattr(tasks, "search_execute", database_blip_once)
    created = submit(tenant_a)
    assert created.status_code == 201, created.content
    search_id = created.json()["id"]
    wait_for(lambda: status_of(tenant_a, search_id) in FINAL, timeout=60)
    assert status_of(tenant_a, search_id) == SearchStatus.AWAITING_REVIEW
    assert len(threads) == 2, threads
    assert threads[0] == threads[1], f"the retry ran on another thread: {threads}"
    # Retried inside the same delivery: no countdown, so nothing was handed to the timer (on
    # the filesystem broker the timer is a thread of its own, which is where it ran before).
    assert deliveries == [0, 0]


def test_a_search_waits_for_the_face_model_held_by_another_thread(
    committed: None, tenant_a: Tenant
) -> None:
    from matching.face_model import face_model_turn
    from matching.searches import search_execute

    with message_lost():  # this test drives the search itself
        created = submit(tenant_a)
    assert created.status_code == 201, created.content
    search_id = created.json()["id"]

    def run() -> None:
        try:
            search_execute(agency_id=tenant_a.agency.id, search_id=uuid.UUID(search_id))
        finally:
            connections.close_all()

    with face_model_turn():
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        time.sleep(2.0)
        assert worker.is_alive()
        assert status_of(tenant_a, search_id) == SearchStatus.RUNNING  # claimed, model awaited
    worker.join(60)
    assert status_of(tenant_a, search_id) == SearchStatus.AWAITING_REVIEW
