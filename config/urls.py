"""Top-level URL map: health check, the versioned REST API, sign-in and the portal."""

from django.urls import include, path

from config import api_docs
from config.metrics import metrics
from tenants.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("policy.urls")),
    path("api/v1/", include("authorizations.urls")),
    path("api/v1/", include("notifications.urls")),
    *api_docs.urlpatterns,
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
]

handler404 = "config.http_errors.not_found"
handler500 = "config.http_errors.server_error"
