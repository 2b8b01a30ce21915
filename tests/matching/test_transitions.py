"""A search's status changes in one place, along the table beside ``SearchStatus``, audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEvent
from matching.models import SEARCH_TRANSITIONS, Search, SearchStatus
from matching.searches import SearchTransitionError, search_transition
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.factories import SearchFactory

APP_DIRS = ("matching", "authorizations", "policy", "tenants", "audit")
STATUS_WRITE = re.compile(
    r"\.status\s*=\s*SearchStatus|\.update\([^)]*\bstatus\s*=\s*SearchStatus", re.DOTALL
)


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(SEARCH_TRANSITIONS) == set(SearchStatus)
    assert all(set(targets) <= set(SearchStatus) for targets in SEARCH_TRANSITIONS.values())
    reachable = {t for targets in SEARCH_TRANSITIONS.values() for t in targets}
    assert reachable == set(SearchStatus) - {SearchStatus.SUBMITTED}


def test_no_service_writes_a_search_status_but_the_transition_function() -> None:
    offenders = []
    for app in APP_DIRS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "transitions.py":
                continue
            if STATUS_WRITE.search(path.read_text()):
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []


def _search(tenant: Tenant, status: SearchStatus) -> Search:
    return SearchFactory.create(
        gallery=tenant.gallery, requested_by=tenant.users["investigator"], status=status
    )


def test_a_transition_in_the_table_is_saved_and_audited(db: None, tenant_a: Tenant) -> None:
    with agency_transaction(tenant_a.agency.id):
        search = _search(tenant_a, SearchStatus.QUEUED)
        search_transition(
            search=search,
            to=SearchStatus.FAILED,
            actor="worker",
            data={"error_code": "x"},
            fields={"error_code": "x"},
        )
        stored = Search.objects.get(id=search.id)
        event = AuditEvent.objects.get(object_id=str(search.id))
    assert (stored.status, stored.error_code) == (SearchStatus.FAILED, "x")
    assert stored.completed_at is not None
    assert (event.action, event.data["from"]) == ("search.failed", "queued")


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (SearchStatus.AWAITING_REVIEW, SearchStatus.RUNNING),
        (SearchStatus.DENIED, SearchStatus.QUEUED),
        (SearchStatus.CANCELLED, SearchStatus.AWAITING_REVIEW),
        (SearchStatus.QUEUED, SearchStatus.AWAITING_REVIEW),
    ],
)
def test_a_transition_not_in_the_table_is_refused_and_nothing_is_written(
    db: None, tenant_a: Tenant, start: SearchStatus, to: SearchStatus
) -> None:
    with agency_transaction(tenant_a.agency.id):
        search = _search(tenant_a, start)
        with pytest.raises(SearchTransitionError):
            search_transition(search=search, to=to, actor="worker")
        assert Search.objects.get(id=search.id).status == start
        assert not AuditEvent.objects.filter(object_id=str(search.id)).exists()
