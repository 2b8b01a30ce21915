"""``/metrics``: the counters operators watch, read after real searches; closed to the public."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from matching.models import SearchStatus
from tests.conftest import Tenant, photo, search_fields, wait_for

TOKEN = "metrics-test-token"


def _scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _value(samples: dict[str, Any], name: str, **labels: str) -> float:
    return float(samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0))


def _submit(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    response = tenant.client().post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


@pytest.mark.worker
def test_metrics_count_searches_decisions_and_latency_after_a_search(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    agency = tenant_a.agency.id
    before = _scrape()
    allowed = _submit(tenant_a)
    _submit(tenant_a, purpose="protest_monitoring")
    wait_for(
        lambda: (
            tenant_a.client().get(f"/api/v1/searches/{allowed['id']}").json()["status"]
            == SearchStatus.AWAITING_REVIEW
        )
    )
    after = _scrape()

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return _value(after, name, **labels) - _value(before, name, **labels) == by

    assert grew("probity_policy_decisions_total", agency=agency, outcome="allow")
    assert grew("probity_policy_decisions_total", agency=agency, outcome="deny")
    assert grew("probity_policy_decision_reasons_total", agency=agency, reason="purpose_prohibited")
    assert grew("probity_searches", agency=agency, status="awaiting_review")
    assert grew("probity_searches", agency=agency, status="denied")
    assert grew("probity_policy_decision_seconds_count", by=2, agency=agency)
    assert _value(after, "probity_policy_decision_seconds_sum", agency=agency) > 0
    assert grew("probity_search_duration_seconds_count", by=2, agency=agency)
    # Three photos were enrolled with the agency; other tests may enroll more in it.
    assert _value(after, "probity_enrollment_images_total", agency=agency, result="enrolled") >= 3
    assert _value(after, "probity_broker_up") == 1
    queue = next(iter(after["probity_task_queue_depth"]))
    assert after["probity_task_queue_depth"][queue] >= 0


@pytest.mark.django_db
def test_metrics_never_label_people_cases_or_faces(tenant_a: Tenant) -> None:
    _submit(tenant_a, purpose="protest_monitoring", case_number="SECRET-CASE-77")
    with override_settings(METRICS_TOKEN=TOKEN):
        text = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "SECRET-CASE-77" not in text
    assert tenant_a.users["investigator"].username not in text
    assert "obama" not in text


@pytest.mark.django_db
def test_metrics_are_closed_to_the_public() -> None:
    assert Client().get("/metrics").status_code == 404, "off while no token is set"
    with override_settings(METRICS_TOKEN=TOKEN):
        assert Client().get("/metrics").status_code == 401
        wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
        assert wrong.status_code == 401
        assert wrong["WWW-Authenticate"].startswith("Bearer")
