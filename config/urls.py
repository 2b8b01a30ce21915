"""Top-level URL map: health check, the versioned REST API, sign-in and the portal."""

from django.urls import include, path

from tenants.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("policy.urls")),
    path("api/v1/", include("authorizations.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
]
