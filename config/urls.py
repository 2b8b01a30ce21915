"""Top-level URL map: health check, the versioned REST API, and JSON error handlers for it."""

from django.urls import include, path

from tenants.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("policy.urls")),
    path("api/v1/", include("authorizations.urls")),
]

handler400 = "tenants.error_views.bad_request"
handler403 = "tenants.error_views.permission_denied"
handler404 = "tenants.error_views.page_not_found"
handler500 = "tenants.error_views.server_error"
