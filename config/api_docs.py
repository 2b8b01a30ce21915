"""The OpenAPI schema and its docs pages, generated from the code by drf-spectacular.

Swagger UI and Redoc are served from the drf-spectacular-sidecar package's static files (no
CDN), under the service's content security policy; the schema and the pages are public:
they describe the API, they hold no data.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import URLPattern, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

SCHEMA_PATH = "api/v1/schema"

# Redoc styles itself from script and renders in a worker; only its page is allowed that.
_REDOC_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}

urlpatterns: list[URLPattern] = [
    path(SCHEMA_PATH, SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/docs",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api_docs/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path(
        "api/v1/redoc",
        csp_update(_REDOC_CSP)(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api_docs/redoc.html")
        ),
        name="api-redoc",
    ),
]
