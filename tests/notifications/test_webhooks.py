"""Webhooks against a local HTTP receiver: signed bodies, retries with backoff, disabling."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from audit.models import AuditEvent
from matching.models import SearchStatus
from notifications.models import DeliveryStatus, Webhook, WebhookDelivery
from notifications.services import WEBHOOK_URL_REFUSED
from notifications.signing import SIGNATURE_HEADER, signature_header, signature_valid
from notifications.tasks import webhooks_dispatch
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, wait_for


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A local endpoint that records every POST and fails each delivery's first attempts."""

    fail_first: int = 0
    always_fail: bool = False
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self, delivery: str) -> int:
        seen = sum(1 for r in self.received if r.headers.get("Probity-Delivery") == delivery)
        return 500 if self.always_fail or seen <= self.fail_first else 204

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(dict(self.headers), body, time.monotonic()))
            self.send_response(state.answer(self.headers.get("Probity-Delivery", "")))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/probity"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook(committed: None, tenant_a: Tenant, receiver: Receiver) -> Iterator[dict[str, Any]]:
    """A webhook of agency A on the receiver, registered through the API (committed)."""
    response = tenant_a.client("agency_admin").post(
        "/api/v1/webhooks",
        {"url": receiver.url, "events": ["search.status_changed"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    yield dict(response.json())
    with agency_transaction(tenant_a.agency.id):
        Webhook.objects.filter(id=response.json()["id"]).update(active=False)
        WebhookDelivery.objects.filter(
            webhook_id=response.json()["id"], status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.ABANDONED)


def _submit(tenant: Tenant, **overrides: Any) -> str:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    response = tenant.client().post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _deliveries(tenant: Tenant, webhook_id: str) -> list[WebhookDelivery]:
    with agency_transaction(tenant.agency.id):
        return list(WebhookDelivery.objects.filter(webhook_id=webhook_id).order_by("created_at"))


def _dispatch_until(predicate: Any, timeout: float = 60.0) -> Any:
    """Run the beat's sweep (the worker sends what it enqueues) until ``predicate`` holds."""

    def step() -> Any:
        webhooks_dispatch()
        return predicate()

    return wait_for(step, timeout=timeout, interval=0.3)


@pytest.mark.worker
def test_search_states_are_posted_signed_and_logged(
    celery_worker: Any, webhook: dict[str, Any], receiver: Receiver, tenant_a: Tenant
) -> None:
    search_id = _submit(tenant_a)

    def finished() -> bool:
        return any(
            e.get("search_id") == search_id and e["status"] == "awaiting_review"
            for e in receiver.events()
        )

    _dispatch_until(finished)
    mine = [r for r in receiver.received if json.loads(r.body)["search_id"] == search_id]
    statuses = [json.loads(r.body)["status"] for r in mine]
    assert statuses[:2] == ["submitted", "queued"]
    assert {"running", "awaiting_review"} <= set(statuses)
    for item in mine:
        assert item.headers["Probity-Event"] == "search.status_changed"
        assert item.headers["Content-Type"] == "application/json"
        assert signature_valid(
            secret=webhook["secret"],
            header=item.headers[SIGNATURE_HEADER],
            body=item.body,
            now=int(time.time()),
        )
        assert not signature_valid(
            secret="another secret",
            header=item.headers[SIGNATURE_HEADER],
            body=item.body,
            now=int(time.time()),
        )
        body = json.loads(item.body)
        assert body["agency"] == tenant_a.agency.id
        assert set(body) == {
            "id",
            "event",
            "agency",
            "search_id",
            "status",
            "previous_status",
            "occurred_at",
        }, "ids and states only: nothing biometric"
    log = (
        tenant_a.client("agency_admin")
        .get(f"/api/v1/webhooks/{webhook['id']}/deliveries?status=delivered")
        .json()["results"]
    )
    assert {d["payload"]["status"] for d in log if d["payload"]["search_id"] == search_id} >= {
        "submitted",
        "queued",
        "awaiting_review",
    }
    assert all(d["attempts"] == 1 and d["last_status_code"] == 204 for d in log)


@pytest.mark.worker
def test_failed_deliveries_are_retried_with_backoff(
    celery_worker: Any, webhook: dict[str, Any], receiver: Receiver, tenant_a: Tenant
) -> None:
    receiver.fail_first = 2
    search_id = _submit(tenant_a, purpose="protest_monitoring")

    def all_delivered() -> bool:
        done = [
            d for d in _deliveries(tenant_a, webhook["id"]) if d.payload["search_id"] == search_id
        ]
        return len(done) == 2 and all(d.status == DeliveryStatus.DELIVERED for d in done)

    _dispatch_until(all_delivered)
    for delivery in _deliveries(tenant_a, webhook["id"]):
        assert (delivery.attempts, delivery.failures) == (3, 2)
        times = [
            r.at for r in receiver.received if r.headers["Probity-Delivery"] == str(delivery.id)
        ]
        assert len(times) == 3
        # Backoff doubles from WEBHOOK_RETRY_BASE_SECONDS (0.2 s in the tests).
        assert times[1] - times[0] >= 0.2 * 0.9
        assert times[2] - times[1] >= 0.4 * 0.9


@pytest.mark.worker
def test_a_webhook_that_keeps_failing_is_disabled_and_audited(
    celery_worker: Any, webhook: dict[str, Any], receiver: Receiver, tenant_a: Tenant
) -> None:
    receiver.always_fail = True
    _submit(tenant_a, purpose="protest_monitoring")

    def disabled() -> bool:
        with agency_transaction(tenant_a.agency.id):
            return not Webhook.objects.get(id=webhook["id"]).active

    _dispatch_until(disabled)
    failed = [d for d in _deliveries(tenant_a, webhook["id"]) if d.status == DeliveryStatus.FAILED]
    assert len(failed) == 2 and all(d.attempts == 3 and d.failures == 3 for d in failed)
    assert all(d.last_status_code == 500 and d.last_error == "HTTP 500" for d in failed)
    with agency_transaction(tenant_a.agency.id):
        assert AuditEvent.objects.filter(
            agency_id=tenant_a.agency.id, object_id=webhook["id"], action="webhook.disabled"
        ).exists()
    sent = len(receiver.received)
    _submit(tenant_a, purpose="protest_monitoring")
    webhooks_dispatch()
    time.sleep(1)
    assert len(receiver.received) == sent, "a disabled webhook gets nothing"
    with override_settings(METRICS_TOKEN="t"):
        text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    failures = {
        s.labels["agency"]: s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "probity_webhook_delivery_failures_total"
    }
    assert failures[tenant_a.agency.id] >= 6
    enabled = tenant_a.client("agency_admin").post(f"/api/v1/webhooks/{webhook['id']}/enable")
    assert enabled.status_code == 200 and enabled.json()["active"] is True


@pytest.mark.django_db
def test_deliveries_are_written_with_the_change_and_only_for_its_agency(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    created = tenant_b.client("agency_admin").post(
        "/api/v1/webhooks",
        {"url": "https://cms.example.ca/hook", "events": ["search.status_changed"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    _submit(tenant_a, purpose="protest_monitoring")
    assert _deliveries(tenant_b, created.json()["id"]) == []
    search_id = _submit(
        tenant_b,
        purpose="protest_monitoring",
        probe_collected_in="CA-QC",
        probe_collected_municipality="Montréal",
    )
    mine = _deliveries(tenant_b, created.json()["id"])
    assert [(d.payload["search_id"], d.payload["status"]) for d in mine] == [
        (search_id, SearchStatus.SUBMITTED),
        (search_id, SearchStatus.DENIED),
    ]
    with agency_transaction(tenant_a.agency.id):
        assert not WebhookDelivery.objects.filter(id__in=[d.id for d in mine]).exists()
    listed = tenant_a.client("agency_admin").get("/api/v1/webhooks").json()["results"]
    assert created.json()["id"] not in [w["id"] for w in listed]
    other = tenant_a.client("agency_admin").get(
        f"/api/v1/webhooks/{created.json()['id']}/deliveries"
    )
    assert other.status_code == 404


@pytest.mark.django_db
def test_only_admins_register_webhooks_on_https(tenant_a: Tenant) -> None:
    body = {"url": "https://cms.example.ca/hook", "events": ["enrollment.status_changed"]}
    refused = tenant_a.client().post("/api/v1/webhooks", body, format="json")
    assert refused.status_code == 403
    with override_settings(WEBHOOK_ALLOW_HTTP=False):
        plain = tenant_a.client("agency_admin").post(
            "/api/v1/webhooks", {**body, "url": "http://cms.example.ca/hook"}, format="json"
        )
    assert plain.status_code == 400
    assert plain.json()["error"]["code"] == WEBHOOK_URL_REFUSED
    created = tenant_a.client("agency_admin").post("/api/v1/webhooks", body, format="json")
    assert created.status_code == 201
    assert len(created.json()["secret"]) >= 40
    listed = tenant_a.client("agency_admin").get("/api/v1/webhooks").json()["results"]
    assert all("secret" not in w for w in listed)


def test_signature_covers_the_body_and_the_time() -> None:
    body, secret, now = b'{"status":"queued"}', uuid.uuid4().hex, int(time.time())
    header = signature_header(secret=secret, timestamp=now, body=body)
    assert signature_valid(secret=secret, header=header, body=body, now=now)
    assert not signature_valid(secret=secret, header=header, body=body + b" ", now=now)
    assert not signature_valid(secret=secret, header=header, body=body, now=now + 301)
    assert not signature_valid(secret=secret, header="garbage", body=body, now=now)
