"""Request ids end to end: HTTP header → log line → audit events → the worker's task."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from audit.models import AuditEvent
from config.log_format import JsonFormatter
from matching.models import SearchStatus
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, wait_for


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Capture what the JSON formatter writes for the service's loggers."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("probity")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def _post_search(tenant: Tenant, request_id: str | None, **overrides: Any) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    headers: dict[str, Any] = {"HTTP_X_REQUEST_ID": request_id} if request_id is not None else {}
    return tenant.client().post(
        "/api/v1/searches",
        {**search_fields(**overrides), "probe": upload},
        format="multipart",
        **headers,
    )


def _audit(tenant: Tenant, search_id: str) -> list[AuditEvent]:
    with agency_transaction(tenant.agency.id):
        return list(
            AuditEvent.objects.filter(agency_id=tenant.agency.id, object_id=search_id).order_by(
                "seq"
            )
        )


@pytest.mark.worker
def test_request_id_reaches_log_audit_and_the_worker(
    committed: None, celery_worker: Any, tenant_a: Tenant, log_lines: io.StringIO
) -> None:
    rid = f"rms-{uuid.uuid4().hex[:12]}"
    response = _post_search(tenant_a, rid)
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == rid
    search_id = response.json()["id"]

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == rid and line["message"] == "request"]
    assert mine and mine[0]["status"] == 201 and mine[0]["path"] == "/api/v1/searches"
    assert mine[0]["agency"] == tenant_a.agency.id
    assert mine[0]["user"] == tenant_a.users["investigator"].username

    def worker_done() -> list[AuditEvent] | None:
        events = _audit(tenant_a, search_id)
        return events if any(e.action == "search.completed" for e in events) else None

    events = wait_for(worker_done)
    by_action = {e.action: e for e in events}
    assert by_action["search.submitted"].data["request_id"] == rid
    # Written by the worker, in the task: the id came through the message headers.
    assert by_action["search.started"].actor == "worker"
    assert by_action["search.started"].data["request_id"] == rid
    assert by_action["search.completed"].data["request_id"] == rid
    status = tenant_a.client().get(f"/api/v1/searches/{search_id}").json()["status"]
    assert status == SearchStatus.AWAITING_REVIEW


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "two words", "x" * 129, "a\nb"])
def test_a_missing_or_unsafe_request_id_is_replaced(tenant_a: Tenant, sent: str | None) -> None:
    headers: dict[str, Any] = {"HTTP_X_REQUEST_ID": sent} if sent is not None else {}
    response = tenant_a.client().get("/api/v1/galleries", **headers)
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response["X-Request-ID"] != sent


@pytest.mark.django_db
def test_a_denied_search_is_audited_with_its_request_id(tenant_a: Tenant) -> None:
    rid = uuid.uuid4().hex
    response = _post_search(tenant_a, rid, purpose="protest_monitoring")
    assert response.json()["status"] == SearchStatus.DENIED
    events = _audit(tenant_a, response.json()["id"])
    assert events and all(e.data.get("request_id") == rid for e in events)


def test_log_lines_never_carry_bytes_or_arrays(log_lines: io.StringIO) -> None:
    logging.getLogger("probity.test").info(
        "probe received",
        extra={
            "probe": b"\xff\xd8\xff\xe0 jpeg bytes",
            "embedding": np.zeros(128),
            "nested": {"raw": bytearray(4)},
            "size": 1234,
        },
    )
    line = json.loads(log_lines.getvalue().splitlines()[-1])
    assert line["probe"] == line["embedding"] == "[omitted]"
    assert line["nested"] == {"raw": "[omitted]"}
    assert line["size"] == 1234
    assert "jpeg bytes" not in log_lines.getvalue()
