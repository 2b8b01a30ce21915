"""The OpenAPI schema and its docs pages, generated from the code by drf-spectacular.

Swagger UI and Redoc are served from the drf-spectacular-sidecar package's static files (no
CDN); the schema and the pages are public: they describe the API, they hold no data.
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

SCHEMA_PATH = "api/v1/schema"

urlpatterns: list[URLPattern] = [
    path(SCHEMA_PATH, SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/redoc", SpectacularRedocView.as_view(
        url_name="api-schema", template_name="api_docs/redoc.html"), name="api-redoc"),
]
