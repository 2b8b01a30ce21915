"""Response headers the portal's pages need."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from tenants.agency_oidc import agency_oidc_list


class NoStoreMiddleware:
    """Forbid caching of every dynamic response: pages carry personal and biometric data.

    Static files are answered by WhiteNoise before this middleware and keep their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response


# The pages whose forms send the browser on to an agency's provider (a redirect after a form
# submission must satisfy the page's form-action).
PROVIDER_FORM_PAGES = frozenset({"account_login", "openid_connect_login"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ProviderFormActionMiddleware:
    """Let the sign-in page's forms lead to the configured providers' origins, and no other."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PROVIDER_FORM_PAGES:
            origins = sorted({_origin(p.issuer) for p in agency_oidc_list()})
            if origins:
                response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response
