"""Top-level URL map: health check and the versioned REST API."""

from django.urls import include, path

from tenants.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("policy.urls")),
    path("api/v1/", include("authorizations.urls")),
    path("api/v1/", include("tenants.urls")),
]
