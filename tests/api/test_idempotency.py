"""Idempotency keys: a retried create returns the first result; a reused key is refused."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from matching.models import Candidate, CandidateReview, Search, SearchStatus, Subject
from tenants.context import agency_transaction
from tenants.idempotency import (
    IDEMPOTENCY_KEY_IN_PROGRESS,
    IDEMPOTENCY_KEY_INVALID,
    IDEMPOTENCY_KEY_REUSED,
    idempotency_keys_purge,
)
from tenants.idempotency_models import IdempotencyKey
from tests.conftest import Tenant, photo, search_fields

pytestmark = pytest.mark.django_db


def _post(tenant: Tenant, key: str | None, role: str = "investigator", **overrides: Any) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    fields = search_fields(**{"purpose": "protest_monitoring", **overrides})
    return tenant.client(role).post(
        "/api/v1/searches", {**fields, "probe": upload}, format="multipart", **headers
    )


def _count(tenant: Tenant, case_number: str) -> int:
    with agency_transaction(tenant.agency.id):
        return Search.objects.filter(agency=tenant.agency, case_number=case_number).count()


def test_same_key_same_body_returns_the_first_search(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    first = _post(tenant_a, key, case_number="IDEM-1")
    again = _post(tenant_a, key, case_number="IDEM-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert _count(tenant_a, "IDEM-1") == 1


def test_same_key_other_body_is_409(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    assert _post(tenant_a, key, case_number="IDEM-2").status_code == 201
    reused = _post(tenant_a, key, case_number="IDEM-2-other")
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == IDEMPOTENCY_KEY_REUSED
    assert _count(tenant_a, "IDEM-2-other") == 0


def test_without_a_key_each_post_creates(tenant_a: Tenant) -> None:
    _post(tenant_a, None, case_number="IDEM-3")
    _post(tenant_a, None, case_number="IDEM-3")
    assert _count(tenant_a, "IDEM-3") == 2


def test_keys_are_per_user_and_per_agency(tenant_a: Tenant, tenant_b: Tenant) -> None:
    key = str(uuid.uuid4())
    assert _post(tenant_a, key, case_number="IDEM-4").status_code == 201
    assert _post(tenant_a, key, role="analyst", case_number="IDEM-4").status_code == 201
    other = _post(
        tenant_b,
        key,
        case_number="IDEM-4",
        probe_collected_in="CA-QC",
        probe_collected_municipality="Montréal",
    )
    assert other.status_code == 201
    assert _count(tenant_a, "IDEM-4") == 2
    assert _count(tenant_b, "IDEM-4") == 1


def test_a_failed_request_stores_nothing_so_it_can_be_corrected(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    bad = _post(tenant_a, key, case_number="IDEM-5", purpose="not_a_purpose")
    assert bad.status_code == 400
    good = _post(tenant_a, key, case_number="IDEM-5")
    assert good.status_code == 201
    assert _count(tenant_a, "IDEM-5") == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9"])
def test_an_unusable_key_is_400(tenant_a: Tenant, key: str) -> None:
    response = _post(tenant_a, key, case_number="IDEM-6")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == IDEMPOTENCY_KEY_INVALID
    assert _count(tenant_a, "IDEM-6") == 0


def test_an_expired_key_is_forgotten(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    _post(tenant_a, key, case_number="IDEM-7")
    with agency_transaction(tenant_a.agency.id):
        IdempotencyKey.objects.filter(key=key).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert _post(tenant_a, key, case_number="IDEM-7").status_code == 201
    assert _count(tenant_a, "IDEM-7") == 2
    with agency_transaction(tenant_a.agency.id):
        IdempotencyKey.objects.filter(key=key).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert idempotency_keys_purge(agency_id=tenant_a.agency.id) >= 1
    with agency_transaction(tenant_a.agency.id):
        assert not IdempotencyKey.objects.filter(key=key).exists()


def test_keys_are_under_row_level_security(tenant_a: Tenant, tenant_b: Tenant) -> None:
    key = str(uuid.uuid4())
    _post(tenant_a, key, case_number="IDEM-8")
    with agency_transaction(tenant_b.agency.id):
        assert not IdempotencyKey.objects.filter(key=key).exists()
    with agency_transaction(tenant_a.agency.id):
        assert IdempotencyKey.objects.filter(key=key).count() == 1


def test_reviews_and_records_take_keys_too(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    body = {
        "case_number": "IDEM-9",
        "granted_to": tenant_a.users["investigator"].username,
        "purpose": "imminent_threat_to_life",
        "category": "imminent_harm",
        "reason": "A child is missing and the abductor was filmed.",
    }
    client = tenant_a.client()
    first = client.post(
        "/api/v1/authorities/exigent-approvals", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    again = client.post(
        "/api/v1/authorities/exigent-approvals", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    other = client.post(
        "/api/v1/authorities/exigent-approvals",
        {**body, "reason": "x" * 40},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert other.status_code == 409


def test_a_key_still_in_progress_is_409(tenant_a: Tenant) -> None:
    key = str(uuid.uuid4())
    first = _post(tenant_a, key, case_number="IDEM-10")
    with agency_transaction(tenant_a.agency.id):
        IdempotencyKey.objects.filter(key=key).update(status_code=None, response_body=None)
    racing = _post(tenant_a, key, case_number="IDEM-10")
    assert first.status_code == 201
    assert racing.status_code == 409
    assert racing.json()["error"]["code"] == IDEMPOTENCY_KEY_IN_PROGRESS
    assert _count(tenant_a, "IDEM-10") == 1


def test_a_replayed_review_shows_candidates_through_the_audited_read(tenant_a: Tenant) -> None:
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.create(
            agency=tenant_a.agency,
            gallery=tenant_a.gallery,
            requested_by=tenant_a.users["analyst"],
            status=SearchStatus.AWAITING_REVIEW,
            purpose="criminal_investigation",
            case_number="IDEM-11",
            justification="Robbery suspect on CCTV; no other leads.",
            probe_meta={},
        )
        subject = Subject.objects.get(gallery=tenant_a.gallery, ref="biden")
        Candidate.objects.create(
            agency=tenant_a.agency,
            search=search,
            rank=1,
            subject=subject,
            face_id=1,
            distance=0.58,
            similarity=1 - 0.58**2 / 1.8,
        )
    key, client = str(uuid.uuid4()), tenant_a.client("supervisor")
    url = f"/api/v1/searches/{search.id}/candidates/1/reviews"
    body = {"disposition": "not_a_match", "note": "Different ears and hairline."}

    def viewed() -> int:
        with agency_transaction(tenant_a.agency.id):
            return AuditEvent.objects.filter(
                agency_id=tenant_a.agency.id, object_id=str(search.id), action="candidates.viewed"
            ).count()

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    views = viewed()
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["candidates"] == first.json()["candidates"]
    assert viewed() == views + 1, "the replay's view of the candidates is audited too"
    with agency_transaction(tenant_a.agency.id):
        assert IdempotencyKey.objects.get(key=key).response_body is None
        assert CandidateReview.objects.filter(candidate__search=search).count() == 1
