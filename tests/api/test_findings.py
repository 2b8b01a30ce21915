"""The problems a new integrator met, reproduced over HTTP: each must stay fixed."""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from rest_framework.test import APIClient

from matching.models import Search
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_served() -> None:
    response = APIClient().get("/api/v1/schema?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_get_searches_is_a_list_not_405(tenant_a: Tenant) -> None:
    response = tenant_a.client("supervisor").get("/api/v1/searches")
    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}


def test_two_posts_with_one_idempotency_key_make_one_search(tenant_a: Tenant) -> None:
    key, case = str(uuid.uuid4()), f"FINDING-{uuid.uuid4().hex[:8]}"
    ids = []
    for _ in range(2):
        upload = io.BytesIO(photo("obama3.jpg"))
        upload.name = "probe.jpg"
        response = tenant_a.client().post(
            "/api/v1/searches",
            {**search_fields(purpose="protest_monitoring", case_number=case), "probe": upload},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        ids.append(response.json()["id"])
    assert ids[0] == ids[1]
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.filter(agency=tenant_a.agency, case_number=case).count() == 1


def test_a_request_id_is_returned(tenant_a: Tenant) -> None:
    response = tenant_a.client().get("/api/v1/galleries", HTTP_X_REQUEST_ID="rms-42")
    assert response["X-Request-ID"] == "rms-42"


def test_the_search_endpoint_takes_json(tenant_a: Tenant) -> None:
    body = {
        **search_fields(purpose="protest_monitoring"),
        "offence": {"code": "CC 344", "category": "robbery", "indictable": True},
        "probe_subject_believed_minor": False,
        "probe": base64.b64encode(photo("obama3.jpg")).decode(),
    }
    response = tenant_a.client().post("/api/v1/searches", body, format="json")
    assert response.status_code == 201, response.content
