"""Every error under ``/api/`` answers the JSON error shape, never one of Django's HTML pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenants import errors
from tests.conftest import Tenant


def json_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nowhere",
        "/api/v2/searches",
        "/api/",
        "/api/v1/searches/x/y/z",
        "/api/v1/policy/bundles/other.tar.gz",
    ],
)
def test_an_unknown_route_is_a_json_404(db: None, tenant_a: Tenant, path: str) -> None:
    json_error(tenant_a.client().get(path), 404, errors.NOT_FOUND)


def test_an_unknown_route_is_a_json_404_without_a_token_too(db: None) -> None:
    json_error(Client().post("/api/v1/nowhere", {"a": "b"}), 404, errors.NOT_FOUND)


def test_a_method_the_endpoint_lacks_is_a_json_405(db: None, tenant_a: Tenant) -> None:
    json_error(tenant_a.client().delete("/api/v1/galleries"), 405, errors.METHOD_NOT_ALLOWED)


def test_a_host_not_allowed_is_a_json_400(db: None) -> None:
    response = Client().get("/api/v1/galleries", HTTP_HOST="attacker.example")
    json_error(response, 400, errors.MALFORMED_REQUEST)


@pytest.mark.urls("tests.error_urls")
def test_an_unexpected_error_is_a_json_500_without_details(db: None, tenant_a: Tenant) -> None:
    client = tenant_a.client()
    client.raise_request_exception = False
    error = json_error(client.get("/api/v1/raise"), 500, errors.INTERNAL_ERROR)
    assert "secret detail" not in str(error)


@pytest.mark.urls("tests.error_urls")
def test_an_unexpected_error_outside_a_drf_view_is_a_json_500(db: None) -> None:
    client = Client(raise_request_exception=False)
    json_error(client.get("/api/v1/raise-plain"), 500, errors.INTERNAL_ERROR)


def test_pages_outside_the_api_keep_django_pages(db: None) -> None:
    response = Client().get("/nowhere")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
