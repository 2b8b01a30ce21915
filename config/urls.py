"""Top-level URL map: health check, the versioned REST API, sign-in and the portal.

Errors on paths under ``/api/`` answer the API's JSON error shape (the handlers below).
"""

from django.urls import include, path

from config import api_docs
from config.metrics import metrics
from portal.oidc_views import oidc_callback, oidc_login
from tenants.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("policy.urls")),
    path("api/v1/", include("authorizations.urls")),
    path("api/v1/", include("oversight.urls")),
    path("api/v1/", include("tenants.urls")),
    path("api/v1/", include("notifications.urls")),
    *api_docs.urlpatterns,
    # An agency's OpenID Connect provider: allauth's views with the checks of portal.oidc_views
    # (before allauth's own routes, which they replace).
    path("accounts/oidc/<str:provider_id>/login/", oidc_login, name="openid_connect_login"),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        oidc_callback,
        name="openid_connect_callback",
    ),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("oversight/", include("oversight.portal_urls")),
    path("", include("portal.urls")),
]

handler400 = "tenants.error_views.bad_request"
handler403 = "tenants.error_views.permission_denied"
handler404 = "tenants.error_views.page_not_found"
handler500 = "tenants.error_views.server_error"
