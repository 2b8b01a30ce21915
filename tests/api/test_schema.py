"""The OpenAPI schema: built from the code without warnings, covering every endpoint, served."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from authorizations.models import InteragencyKind, WarrantKind
from config.openapi_settings import SPECTACULAR_SETTINGS
from matching.models import FollowUpKind

METHODS = ("get", "post", "put", "patch", "delete")
# Everything under the versioned API is in the schema but the schema's own pages; the
# operators' endpoints (/healthz, /metrics) and the portal's HTML pages are outside it.
API_PREFIX = "/api/v1/"
NOT_IN_SCHEMA = {"/api/v1/schema", "/api/v1/docs", "/api/v1/redoc"}


def _schema(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return dict(yaml.safe_load(out.read_text()))


def _routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    routes: list[tuple[str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(entry.pattern))
            routes.append(("/" + template, entry.callback))
    return routes


def test_schema_builds_and_validates_without_warnings(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    assert schema["openapi"].startswith("3.")
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["TokenAuth"]["description"],
    }
    assert "ErrorOutput" in schema["components"]["schemas"]


def test_every_endpoint_and_method_is_documented(tmp_path: Path) -> None:
    paths = _schema(tmp_path)["paths"]
    missing = []
    for template, callback in _routes(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if not template.startswith(API_PREFIX) or template in NOT_IN_SCHEMA:
            continue
        assert view is not None and issubclass(view, APIView), f"{template} is not an API view"
        for method in METHODS:
            if hasattr(view, method) and method not in paths.get(template, {}):
                missing.append(f"{method.upper()} {template}")
    assert not missing, f"undocumented: {missing}"


def test_every_operation_documents_its_errors_and_auth(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "401" in responses, f"{method} {path}"
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOutput"
            }
            assert operation.get("security"), f"{method} {path} names no auth scheme"


def test_enum_names_match_the_models() -> None:
    overrides = SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert overrides["WarrantKindEnum"] == WarrantKind.values
    assert overrides["InteragencyKindEnum"] == InteragencyKind.values
    assert overrides["FollowUpKindEnum"] == "matching.models.FollowUpKind"
    assert FollowUpKind.values


@pytest.mark.django_db
def test_schema_and_docs_pages_are_served_with_local_assets() -> None:
    client = APIClient()
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/searches" in schema.json()["paths"]
    for page in ("/api/v1/docs", "/api/v1/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', html.content.decode())
        local = [a for a in assets if a.startswith("/static/drf_spectacular_sidecar/")]
        assert local, f"{page} loads no local asset"
        assert not [a for a in assets if a.startswith(("http://", "https://", "//"))]
        for asset in local:
            assert client.get(asset).status_code == 200, asset
    swagger = client.get("/api/v1/docs").content.decode()
    assert "<style" not in swagger and "<script>" not in swagger, "the CSP allows neither"
    init = re.search(r'<script src="(/api/v1/docs\?[^"]+)"', swagger)
    assert (
        init
        and "SwaggerUIBundle" in client.get(init.group(1).replace("&amp;", "&")).content.decode()
    )
