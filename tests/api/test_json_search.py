"""A search as one JSON document: the probe as base64, offence and face hint as objects."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import override_settings

from matching.models import Search, SearchStatus
from tenants import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, wait_for


def json_body(image: bytes, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = search_fields()
    body["offence"] = json.loads(body["offence"])
    body["probe_subject_believed_minor"] = False
    body["probe"] = base64.b64encode(image).decode()
    body.update(overrides)
    return body


def post(tenant: Tenant, body: dict[str, Any]) -> Any:
    return tenant.client().post("/api/v1/searches", body, format="json")


@pytest.mark.worker
def test_json_search_runs_like_a_multipart_one(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    response = post(tenant_a, json_body(photo("obama3.jpg")))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == SearchStatus.QUEUED

    def done() -> dict[str, Any] | None:
        body = tenant_a.client().get(f"/api/v1/searches/{response.json()['id']}").json()
        return body if body["status"] not in ("queued", "running") else None

    body = wait_for(done)
    assert body["status"] == SearchStatus.AWAITING_REVIEW, body["error"]
    assert body["candidates"][0]["subject_ref"] == "obama"


@pytest.mark.django_db
def test_json_denied_search_gives_reasons(tenant_a: Tenant) -> None:
    response = post(tenant_a, json_body(photo("obama3.jpg"), purpose="protest_monitoring"))
    assert response.status_code == 201
    assert response.json()["status"] == SearchStatus.DENIED
    assert "purpose_prohibited" in [r["code"] for r in response.json()["decision"]["reasons"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"probe": "not base64!"}, 400, errors.INVALID_REQUEST, "probe"),
        ({"probe": 12}, 400, errors.INVALID_REQUEST, "probe"),
        ({"probe": ""}, 400, errors.IMAGE_MISSING, None),
        (
            {"probe": base64.b64encode(b"%PDF-1.4 not an image").decode()},
            415,
            errors.IMAGE_TYPE_UNSUPPORTED,
            None,
        ),
        (
            {"offence": {"code": "CC 344", "category": "robbery"}},
            400,
            errors.INVALID_REQUEST,
            "offence",
        ),
        ({"offence": "robbery"}, 400, errors.INVALID_REQUEST, "offence"),
        (
            {"face_hint": {"x": -1, "y": 0, "w": 10, "h": 10}},
            400,
            errors.INVALID_REQUEST,
            "face_hint",
        ),
        ({"warrant": {"number": "inline"}}, 400, errors.INVALID_REQUEST, "warrant"),
    ],
)
def test_json_search_is_validated_like_multipart(
    tenant_a: Tenant, change: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    response = post(tenant_a, json_body(photo("obama3.jpg"), **change))
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert field in error["fields"]


@pytest.mark.django_db
def test_json_probe_over_the_limit_is_413_before_decoding(tenant_a: Tenant) -> None:
    image = photo("obama3.jpg")
    with override_settings(PROBE_MAX_BYTES=len(image) - 100):
        response = post(tenant_a, json_body(image))
    assert response.status_code == 413
    assert response.json()["error"]["code"] in (errors.IMAGE_TOO_LARGE, errors.PAYLOAD_TOO_LARGE)


@pytest.mark.django_db
def test_json_face_hint_is_kept_as_an_object(tenant_a: Tenant) -> None:
    hint = {"x": 10, "y": 20, "w": 200, "h": 220}
    response = post(
        tenant_a, json_body(photo("obama3.jpg"), face_hint=hint, purpose="protest_monitoring")
    )
    assert response.status_code == 201
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.get(id=response.json()["id"]).face_hint == hint
