"""Probe retention: the obligation's period ends, the bytes go, the deletion is audited."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from matching.models import Probe, Search, SearchStatus
from matching.searches import probes_purge_due
from tenants.context import agency_transaction
from tests.authorizations.test_records import verified_warrant
from tests.conftest import Tenant, photo, search_fields, wait_for


def submit(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    response = tenant.client().post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_probes_past_their_retention_are_purged_and_audited(db: None, tenant_a: Tenant) -> None:
    created = submit(tenant_a)
    assert created["decision"]["obligations"]["probe_retention_days"] == 30
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.get(id=created["id"])
        assert search.probe_retain_until is not None
        assert search.probe_retain_until - search.created_at > timedelta(days=29)
        Search.objects.filter(id=search.id).update(
            status=SearchStatus.AWAITING_REVIEW,
            probe_retain_until=timezone.now() - timedelta(seconds=1),
        )
    assert probes_purge_due(agency_id=tenant_a.agency.id) >= 1
    with agency_transaction(tenant_a.agency.id):
        assert Probe.objects.get(search_id=search.id).content is None
        actions = list(
            AuditEvent.objects.filter(object_id=str(search.id)).values_list("action", flat=True)
        )
    assert "probe.deleted" in actions


def test_a_probe_still_in_retention_or_in_flight_is_kept(db: None, tenant_a: Tenant) -> None:
    created = submit(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=created["id"]).update(
            probe_retain_until=timezone.now() - timedelta(seconds=1)
        )  # still queued
    probes_purge_due(agency_id=tenant_a.agency.id)
    with agency_transaction(tenant_a.agency.id):
        assert Probe.objects.get(search_id=created["id"]).content is not None


def test_another_agencys_purge_leaves_the_probe_alone(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    created = submit(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=created["id"]).update(
            status=SearchStatus.AWAITING_REVIEW,
            probe_retain_until=timezone.now() - timedelta(seconds=1),
        )
    probes_purge_due(agency_id=tenant_b.agency.id)
    with agency_transaction(tenant_a.agency.id):
        assert Probe.objects.get(search_id=created["id"]).content is not None


@pytest.mark.worker
def test_a_live_feed_probe_is_deleted_as_soon_as_the_search_ends(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    case = f"2026-{uuid.uuid4().hex[:6]}"
    warrant_id = verified_warrant(tenant_a, case_number=case, kind="general_warrant")
    created = submit(
        tenant_a, case_number=case, warrant_id=warrant_id, probe_source="surveillance_live_feed"
    )
    assert created["status"] == SearchStatus.QUEUED, created["decision"]["reasons"]
    obligations = created["decision"]["obligations"]
    assert obligations["probe_retention_days"] == 0
    assert obligations["max_candidates"] == 10
    assert obligations["min_similarity"] == 0.9
    done = wait_for(
        lambda: (
            (b := tenant_a.client().get(f"/api/v1/searches/{created['id']}").json())["status"]
            == SearchStatus.AWAITING_REVIEW
            and b
        )
    )
    assert done["handling"]["discard_non_matching_faces_immediately"] is True
    with agency_transaction(tenant_a.agency.id):
        assert Probe.objects.get(search_id=created["id"]).content is None


def test_a_search_whose_worker_lease_expired_is_queued_again(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from matching.searches import searches_recover

    created = submit(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=created["id"]).update(
            status=SearchStatus.RUNNING,
            lease_owner="gone:1:x",
            lease_expires_at=timezone.now() - timedelta(seconds=1),
        )
    assert searches_recover(agency_id=tenant_b.agency.id) == 0  # not theirs to touch
    assert searches_recover(agency_id=tenant_a.agency.id) >= 1
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.get(id=created["id"])
        requeued = AuditEvent.objects.filter(
            object_id=created["id"], action="search.requeued"
        ).count()
    assert search.status == SearchStatus.QUEUED
    assert search.lease_owner == ""
    assert search.lease_expires_at is not None and search.lease_expires_at > timezone.now()
    assert requeued == 1


def test_a_search_within_its_lease_is_left_running(db: None, tenant_a: Tenant) -> None:
    from matching.searches import searches_recover

    created = submit(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=created["id"]).update(
            status=SearchStatus.RUNNING,
            lease_owner="alive:1:x",
            lease_expires_at=timezone.now() + timedelta(seconds=30),
        )
    searches_recover(agency_id=tenant_a.agency.id)
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.get(id=created["id"]).status == SearchStatus.RUNNING


def test_a_failed_search_whose_retention_ended_is_purged_and_audited(
    db: None, tenant_a: Tenant
) -> None:
    created = submit(tenant_a)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=created["id"]).update(
            status=SearchStatus.FAILED, probe_retain_until=timezone.now() - timedelta(seconds=1)
        )
    assert probes_purge_due(agency_id=tenant_a.agency.id) >= 1
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.get(id=created["id"])
        probe = Probe.objects.get(search_id=search.id)
        actions = list(
            AuditEvent.objects.filter(object_id=str(search.id))
            .order_by("seq")
            .values_list("action", flat=True)
        )
    assert search.status == SearchStatus.PURGED
    assert probe.content is None
    assert actions[-2:] == ["probe.deleted", "search.purged"]


def test_with_messages_waiting_only_expired_leases_are_recovered(
    db: None, tenant_a: Tenant
) -> None:
    from matching.searches import searches_recover

    waiting, stranded = submit(tenant_a), submit(tenant_a)
    past = timezone.now() - timedelta(seconds=1)
    with agency_transaction(tenant_a.agency.id):
        Search.objects.filter(id=waiting["id"]).update(lease_expires_at=past)
        Search.objects.filter(id=stranded["id"]).update(
            status=SearchStatus.RUNNING, lease_owner="gone:1:x", lease_expires_at=past
        )
    assert searches_recover(agency_id=tenant_a.agency.id, include_queued=False) >= 1
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.get(id=waiting["id"]).lease_expires_at == past
        assert Search.objects.get(id=stranded["id"]).status == SearchStatus.QUEUED
