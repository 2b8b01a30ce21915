"""The search path under concurrency and lost messages, on the real database and worker.

Each test opens its own transactions on separate connections (threads), holds a lock the way a
concurrent request would, and checks that the search path neither deadlocks nor loses a search.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from authorizations.models import RecordStatus, Warrant
from matching.models import (
    EnrollmentBatch,
    EnrollmentStatus,
    Probe,
    Search,
    SearchStatus,
)
from tenants.context import agency_transaction
from tests.authorizations.test_records import verified_warrant
from tests.conftest import Tenant, photo, search_fields, wait_for

FINAL = {
    SearchStatus.AWAITING_REVIEW,
    SearchStatus.AWAITING_FACE_CHOICE,
    SearchStatus.FAILED,
    SearchStatus.CANCELLED,
    SearchStatus.DENIED,
}


def submit(tenant: Tenant, **overrides: Any) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    return tenant.client().post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )


def status_of(tenant: Tenant, search_id: str) -> str:
    with agency_transaction(tenant.agency.id):
        return str(Search.objects.get(id=search_id).status)


def beat_once() -> None:
    """Run every periodic task once, in this process, the way beat would trigger them."""
    from config.celery import app

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        app.tasks[str(entry["task"])].apply().get(propagate=True)


class Held(threading.Thread):
    """A transaction on its own connection that holds its locks until told to commit."""

    def __init__(self, agency_id: str, work: Any) -> None:
        super().__init__(daemon=True)
        self.agency_id, self.work = agency_id, work
        self.holding, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with agency_transaction(self.agency_id):
                self.work()
                self.holding.set()
                self.release.wait(30)
        except BaseException as exc:
            self.error = exc
        finally:
            self.holding.set()
            connections.close_all()


def test_a_claim_does_not_deadlock_with_a_submit_holding_the_audit_lock(
    committed: None, tenant_a: Tenant
) -> None:
    """Finding: the claim locked the gallery row and a submit's commit-time key check needed it."""
    from matching.searches import search_execute

    with message_lost():  # this test drives the search itself
        created = submit(tenant_a)
    assert created.status_code == 201, created.content
    agency = tenant_a.agency

    def submit_half_done() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"audit:{agency.id}"]
            )
        Search.objects.create(
            agency=agency,
            gallery=tenant_a.gallery,
            requested_by=tenant_a.users["investigator"],
            purpose="x",
            case_number="c",
            justification="j",
        )

    other = Held(agency.id, submit_half_done)
    other.start()
    assert other.holding.wait(10)
    assert other.error is None, other.error
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            search_execute(agency_id=agency.id, search_id=uuid.UUID(created.json()["id"]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=claim, daemon=True)
    worker.start()
    time.sleep(0.7)  # the claim is now waiting behind the submit's audit lock
    other.release.set()
    other.join(20)
    worker.join(60)
    assert other.error is None, f"the submit failed: {other.error}"
    assert not errors, f"the claim failed: {errors}"
    assert status_of(tenant_a, created.json()["id"]) == SearchStatus.AWAITING_REVIEW


def test_a_revocation_committing_during_a_submit_is_not_missed(
    committed: None, tenant_a: Tenant
) -> None:
    """Finding: the record's status was read without a lock before the search was written."""
    warrant_id = verified_warrant(tenant_a, authorized_case_number="2026-123456")

    def revoke_uncommitted() -> None:
        Warrant.objects.filter(id=warrant_id).update(
            status=RecordStatus.REVOKED, revoked_at=timezone.now(), revocation_reason="quashed"
        )

    revocation = Held(tenant_a.agency.id, revoke_uncommitted)
    revocation.start()
    assert revocation.holding.wait(10)
    assert revocation.error is None, revocation.error
    responses: list[Any] = []

    def post() -> None:
        try:
            with message_lost():
                responses.append(submit(tenant_a, warrant_id=warrant_id))
        finally:
            connections.close_all()

    submitter = threading.Thread(target=post, daemon=True)
    submitter.start()
    submitter.join(1.5)  # the submit either waits for the revocation or finishes on stale facts
    revocation.release.set()
    revocation.join(20)
    submitter.join(30)
    assert revocation.error is None, revocation.error
    (response,) = responses
    if response.status_code == 201:
        assert status_of(tenant_a, response.json()["id"]) == SearchStatus.CANCELLED, (
            "a search was queued on a revoked warrant"
        )
    else:
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "authority_revoked"


def test_a_search_whose_record_was_revoked_before_the_claim_is_cancelled(
    committed: None, tenant_a: Tenant
) -> None:
    from audit.models import AuditEvent
    from matching.searches import search_execute

    warrant_id = verified_warrant(tenant_a, authorized_case_number="2026-123456")
    with message_lost():  # this test drives the search itself
        created = submit(tenant_a, warrant_id=warrant_id)
    assert created.status_code == 201, created.content
    with agency_transaction(tenant_a.agency.id):  # revoked without the service's cancellation
        Warrant.objects.filter(id=warrant_id).update(status=RecordStatus.REVOKED)
    search_execute(agency_id=tenant_a.agency.id, search_id=uuid.UUID(created.json()["id"]))
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.get(id=created.json()["id"])
        probe = Probe.objects.get(search=search)
        audited = set(
            AuditEvent.objects.filter(object_id=str(search.id)).values_list("action", flat=True)
        )
    assert search.status == SearchStatus.CANCELLED
    assert search.error_code == "authority_revoked"
    assert probe.content is None
    assert "search.cancelled" in audited
    assert "search.started" not in audited


@pytest.mark.worker
def test_a_queued_search_whose_message_vanished_is_recovered(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    """Finding: a lost message left the search queued for ever, probe kept."""
    with message_lost():
        created = submit(tenant_a)
    assert created.status_code == 201, created.content
    search_id = created.json()["id"]
    if hasattr(Search, "lease_expires_at"):  # its dispatch deadline has passed
        with agency_transaction(tenant_a.agency.id):
            Search.objects.filter(id=search_id).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
    beat_once()
    wait_for(lambda: status_of(tenant_a, search_id) in FINAL, timeout=60)
    assert status_of(tenant_a, search_id) == SearchStatus.AWAITING_REVIEW


@pytest.mark.worker
def test_a_running_search_left_by_a_dead_worker_is_run_again(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    """Finding: only running searches were recovered, and only after 15 minutes, as failed."""
    with message_lost():
        created = submit(tenant_a)
    search_id = created.json()["id"]
    with agency_transaction(tenant_a.agency.id):  # a worker claimed it a minute ago and died
        Search.objects.filter(id=search_id).update(
            status=SearchStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=1)
        )
        if hasattr(Search, "lease_expires_at"):
            Search.objects.filter(id=search_id).update(
                lease_expires_at=timezone.now() - timedelta(seconds=30), lease_owner="dead"
            )
    beat_once()
    wait_for(lambda: status_of(tenant_a, search_id) in FINAL, timeout=60)
    assert status_of(tenant_a, search_id) == SearchStatus.AWAITING_REVIEW


@pytest.mark.worker
def test_a_running_enrollment_batch_whose_message_vanished_is_finished(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    from matching.enrollment import UploadItem, enrollment_batch_create

    batch = enrollment_batch_create(
        gallery=tenant_a.gallery,
        enqueue=False,
        items=[
            UploadItem(
                subject_ref=f"s-{uuid.uuid4().hex[:6]}",
                filename="biden.jpg",
                content=photo("biden.jpg"),
            )
        ],
    )
    with agency_transaction(tenant_a.agency.id):
        EnrollmentBatch.objects.filter(id=batch.id).update(status=EnrollmentStatus.RUNNING)
        if hasattr(EnrollmentBatch, "lease_expires_at"):  # its worker died a while ago
            EnrollmentBatch.objects.filter(id=batch.id).update(
                lease_owner="dead", lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
    beat_once()

    def done() -> bool:
        with agency_transaction(tenant_a.agency.id):
            return EnrollmentBatch.objects.get(id=batch.id).status == EnrollmentStatus.DONE

    wait_for(done, timeout=60)


@contextmanager
def message_lost() -> Iterator[None]:
    """Submit while the broker swallows the message, as a broker that lost it would."""
    from matching.tasks import search_run

    real = search_run.delay
    search_run.delay = lambda *args, **kwargs: None  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        search_run.delay = real  # type: ignore[method-assign]


def test_searches_in_flight_beyond_the_users_cap_are_refused_with_retry_after(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    from matching.searches import SEARCH_CAPACITY_REACHED

    settings.SEARCH_MAX_ACTIVE_PER_USER = 2
    assert submit(tenant_a).status_code == 201
    assert submit(tenant_a).status_code == 201
    with agency_transaction(tenant_a.agency.id):
        before = Search.objects.count()
    refused = submit(tenant_a)
    assert refused.status_code == 429, refused.content
    assert refused.json()["error"]["code"] == SEARCH_CAPACITY_REACHED
    assert int(refused["Retry-After"]) > 0
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.count() == before
    other_user = tenant_a.client("analyst").post(
        "/api/v1/searches", {**search_fields(), "probe": _probe()}, format="multipart"
    )
    assert other_user.status_code == 201, other_user.content


def test_searches_in_flight_beyond_the_agencys_cap_are_refused(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    settings.SEARCH_MAX_ACTIVE_PER_AGENCY = 1
    assert submit(tenant_a).status_code == 201
    refused = tenant_a.client("analyst").post(
        "/api/v1/searches", {**search_fields(), "probe": _probe()}, format="multipart"
    )
    assert refused.status_code == 429, refused.content
    assert "Retry-After" in refused


def _probe() -> io.BytesIO:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    return upload
