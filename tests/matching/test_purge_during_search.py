"""A subject purged while a search runs: never a candidate after the purge, never a deadlock.

Each test enrolls its own gallery (real photos, real face model) so purging its subjects leaves
the shared tenants' galleries alone, drives the search in this process (the broker's message is
swallowed) and purges through the real legal-event functions, on separate connections where a
transaction must hold its locks while the other runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from audit.models import AuditEvent
from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.galleries import gallery_create
from matching.legal_events import EventInput, legal_event_record, legal_events_import
from matching.models import Candidate, Face, Search, SearchStatus, Subject
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo
from tests.matching.test_concurrency import message_lost, submit


@dataclass(frozen=True)
class Enrolled:
    slug: str
    first: Subject  # the lower id
    second: Subject


def enrolled(tenant: Tenant) -> Enrolled:
    """A gallery of its own holding two subjects, each one photo near the probe (obama3.jpg)."""
    slug = f"purge-{uuid.uuid4().hex[:8]}"
    gallery = gallery_create(
        agency=tenant.agency,
        slug=slug,
        name="Purge race",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )
    refs = [f"pr-{uuid.uuid4().hex[:8]}", f"pr-{uuid.uuid4().hex[:8]}"]
    for ref, name in zip(refs, ["obama.jpg", "obama2.jpg"], strict=True):
        item = UploadItem(subject_ref=ref, filename=name, content=photo(name), display_name=ref)
        batch = enrollment_batch_create(gallery=gallery, items=[item], enqueue=False)
        enrollment_batch_process(agency_id=tenant.agency.id, batch_id=batch.id)
    with agency_transaction(tenant.agency.id):
        first, second = Subject.objects.filter(gallery=gallery).order_by("pk")
    return Enrolled(slug, first, second)


def purge(tenant: Tenant, subject: Subject, slug: str) -> None:
    """Record an acquittal for the subject, which purges it at once (its own transaction)."""
    recorded = legal_event_record(
        user=tenant.users["compliance_officer"],
        data=EventInput(
            subject_ref=subject.ref,
            kind="acquittal",
            event_date=timezone.localdate(),
            reference="ONCJ 77-26",
            gallery=slug,
        ),
    )
    assert recorded.outcome == "purged"


def queued_search(tenant: Tenant, slug: str) -> uuid.UUID:
    with message_lost():
        created = submit(tenant, gallery=slug)
    assert created.status_code == 201, created.content
    return uuid.UUID(created.json()["id"])


def outcome(tenant: Tenant, search_id: uuid.UUID) -> tuple[str, list[int], dict[str, Any]]:
    """The search's status, its candidates' subjects by rank and its completion's audit data."""
    with agency_transaction(tenant.agency.id):
        status = str(Search.objects.get(id=search_id).status)
        subjects = list(
            Candidate.objects.filter(search_id=search_id)
            .order_by("rank")
            .values_list("subject_id", flat=True)
        )
        completed = AuditEvent.objects.filter(
            object_id=str(search_id), action="search.completed"
        ).first()
    return status, subjects, completed.data if completed is not None else {}


def purged_ids(tenant: Tenant, *subjects: Subject) -> set[int]:
    with agency_transaction(tenant.agency.id):
        return set(
            Subject.objects.filter(
                pk__in=[s.pk for s in subjects], purged_at__isnull=False
            ).values_list("pk", flat=True)
        )


def lock_waiters() -> int:
    """How many backends are waiting for a row lock (pg_locks is readable by every role)."""
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted "
            "AND locktype IN ('transactionid', 'tuple')"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)


class Running(threading.Thread):
    """Run ``work`` on its own connection, keeping what it raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            connections.close_all()


def test_a_subject_purged_after_the_lookup_is_not_written_as_a_candidate(
    committed: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup picks both subjects; the first is purged before the worker writes them."""
    import matching.searches.execute as execute
    from matching.searches import search_execute

    gallery = enrolled(tenant_a)
    search_id = queued_search(tenant_a, gallery.slug)
    real_nearest = execute.faces_nearest  # type: ignore[attr-defined]
    picked: list[int] = []

    def nearest_then_purge(**kwargs: Any) -> Any:
        found = real_nearest(**kwargs)
        picked.extend(n.subject_id for n in found)
        purge(tenant_a, gallery.first, gallery.slug)  # commits before the results are written
        return found

    monkeypatch.setattr(execute, "faces_nearest", nearest_then_purge)
    search_execute(agency_id=tenant_a.agency.id, search_id=search_id)

    assert {gallery.first.pk, gallery.second.pk} <= set(picked), "the lookup saw both"
    status, subjects, completed = outcome(tenant_a, search_id)
    assert status == SearchStatus.AWAITING_REVIEW, "a purge does not fail the search"
    assert subjects == [gallery.second.pk], "no candidate names the purged subject"
    assert completed["candidates"] == len(subjects) == len(completed["similarities"]) == 1
    assert completed["candidates_purged"] == 1
    with agency_transaction(tenant_a.agency.id):
        assert not Face.objects.filter(subject_id=gallery.first.pk).exists()


def test_a_purge_waits_for_a_completion_under_way_and_purges_after_it(
    committed: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A completion holding the chosen subjects makes the purge wait; neither fails."""
    import matching.searches.execute as execute
    from matching.searches import search_execute

    gallery = enrolled(tenant_a)
    search_id = queued_search(tenant_a, gallery.slug)
    real_transition = execute.search_transition  # type: ignore[attr-defined]
    writing, release = threading.Event(), threading.Event()

    def transition_and_hold(**kwargs: Any) -> Any:
        result = real_transition(**kwargs)
        if kwargs.get("action") == "search.completed":
            writing.set()  # candidates written, the completion's transaction still open
            release.wait(30)
        return result

    monkeypatch.setattr(execute, "search_transition", transition_and_hold)
    worker = Running(lambda: search_execute(agency_id=tenant_a.agency.id, search_id=search_id))
    worker.start()
    assert writing.wait(120)
    purging = Running(lambda: purge(tenant_a, gallery.first, gallery.slug))
    purging.start()
    wait_until(lambda: lock_waiters() > 0)
    assert purging.is_alive(), "the purge waits for the completion holding its subject"
    release.set()
    worker.join(60)
    purging.join(60)
    assert worker.error is None, worker.error
    assert purging.error is None, purging.error
    status, subjects, completed = outcome(tenant_a, search_id)
    assert status == SearchStatus.AWAITING_REVIEW
    # Written before the purge began: a past search's candidate keeps the subject's tombstone.
    assert set(subjects) == {gallery.first.pk, gallery.second.pk}
    assert completed["candidates"] == 2 and completed["candidates_purged"] == 0
    assert purged_ids(tenant_a, gallery.first) == {gallery.first.pk}


def test_an_import_purging_two_subjects_does_not_deadlock_with_a_completion(
    committed: None, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file names the higher id first; the completion wants both subjects."""
    import matching.legal_events as legal_events
    from matching.searches import search_execute

    gallery = enrolled(tenant_a)
    search_id = queued_search(tenant_a, gallery.slug)
    real_find = legal_events.subject_find
    found = 0
    halfway, release = threading.Event(), threading.Event()

    def find_pausing_before_the_second(**kwargs: Any) -> Subject:
        nonlocal found
        found += 1
        if found == 2:  # one row's subject found and locked, the next not yet
            halfway.set()
            release.wait(30)
        return real_find(**kwargs)

    monkeypatch.setattr(legal_events, "subject_find", find_pausing_before_the_second)
    today = str(timezone.localdate())
    rows = [
        f"{s.ref},acquittal,{today},ONCJ-{n}" for n, s in enumerate([gallery.second, gallery.first])
    ]
    content = ("subject_ref,kind,event_date,reference\n" + "\n".join(rows) + "\n").encode()
    report: dict[str, Any] = {}

    def run_import() -> None:
        report["rows"] = legal_events_import(
            agency_id=tenant_a.agency.id, content=content, gallery=gallery.slug
        ).rows

    importing = Running(run_import)
    importing.start()
    assert halfway.wait(30)
    worker = Running(lambda: search_execute(agency_id=tenant_a.agency.id, search_id=search_id))
    worker.start()
    wait_until(lambda: lock_waiters() > 0)  # the completion waits for a subject the import holds
    release.set()
    importing.join(60)
    worker.join(60)
    assert importing.error is None, importing.error
    assert worker.error is None, worker.error
    assert [r["status"] for r in report["rows"]] == ["purged", "purged"]
    status, subjects, completed = outcome(tenant_a, search_id)
    assert status == SearchStatus.AWAITING_REVIEW
    assert subjects == [], "both were purged before the candidates could be written"
    assert completed["candidates"] == 0 and completed["candidates_purged"] == 2
