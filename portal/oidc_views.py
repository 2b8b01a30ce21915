"""The start and the return of a sign-in through an agency's OpenID Connect provider.

allauth's views with an adapter that checks more than allauth does by itself:

- the discovery document must name the issuer the agency configured;
- the ID token's signature is always verified against the provider's JWKS, with an asymmetric
  algorithm only (allauth skips the signature of a token fetched from the token endpoint, which
  OpenID Connect permits over TLS; the key is checked here all the same);
- its issuer, audience, expiry and replay are checked by allauth (``jwtkit``).

The return is refused with 429 while the address is locked out by failed sign-ins, and a link
whose user is not of the provider's agency is refused like an unknown one.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from jwt import PyJWTError, get_unverified_header
from requests import RequestException

from portal.identity import oidc_refused, sign_in_failures_allowed
from tenants.agency_oidc import Refusal
from tenants.models import User

SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)


class VerifyingOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):  # type: ignore[misc]
    """allauth's OpenID Connect adapter, with the checks of the module added."""

    @property
    def openid_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().openid_config
        expected = self.get_provider().app.settings.get("issuer")
        if not expected or config.get("issuer") != expected:
            raise OAuth2Error("the discovery document names another issuer")
        return config

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        try:
            algorithm = get_unverified_header(id_token).get("alg")
        except PyJWTError as exc:
            raise OAuth2Error("Invalid id_token") from exc
        if algorithm not in SIGNING_ALGORITHMS:
            raise OAuth2Error(f"id_token signed with {algorithm!r}")
        claims: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        return claims


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "socialaccount/authentication_error.html", status=502)


@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Send the browser to the agency's provider (a POST from the sign-in page)."""
    view = OAuth2LoginView.adapter_view(VerifyingOpenIDConnectAdapter(request, provider_id))
    try:
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (OAuth2Error, RequestException, ValueError, KeyError):
        return _unavailable(request)
    return response


@require_http_methods(["GET"])
def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Take the provider's answer: check it, then sign in whom ``tenants.agency_oidc`` admits."""
    if not sign_in_failures_allowed(request):
        refused: HttpResponse = ratelimit.respond_429(request)
        return refused
    adapter = VerifyingOpenIDConnectAdapter(request, provider_id)
    view = OAuth2CallbackView.adapter_view(adapter)
    try:
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (OAuth2Error, RequestException) as exc:
        # Raised before allauth's own handling (the discovery document is read for the client).
        failed: HttpResponse = render_authentication_error(
            request, adapter.get_provider(), exception=exc
        )
        return failed
    except User.DoesNotExist:
        # The subject is linked to a user outside this agency's rows: not one of its staff.
        return oidc_refused(
            request, agency_id=provider_id, reason=Refusal.OTHER_AGENCY, subject="(linked)"
        )
    return response
