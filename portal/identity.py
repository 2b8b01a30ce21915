"""How people get in: accounts come from the agency's directory, never from self sign-up.

Staff sign in with their username, password and a second factor, or through their agency's own
OpenID Connect provider where one is configured (``tenants.agency_oidc`` decides whom it
admits). allauth's social accounts are used for the provider protocol only: the providers are
the agencies' configuration, and a provider's sign-in never creates an account.
"""

from __future__ import annotations

from typing import Any, NoReturn

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.services import audit_record
from tenants.agency_oidc import (
    AgencyOidc,
    Refusal,
    agency_oidc_client_secret,
    agency_oidc_get,
    agency_oidc_list,
    oidc_link_record,
    oidc_mfa_attested,
    oidc_refusal_record,
    oidc_sign_in_resolve,
    oidc_verified_email,
)
from tenants.models import User

OIDC_PROVIDER = "openid_connect"
MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"
# Refused and failed provider sign-ins count against the same limits as wrong passwords (the
# address's count is shared with them), and a locked-out address is refused at the return.
FAILURE_ACTION = "login_failed"


def _failure_rates(*per: str) -> dict[str, str]:
    rates = str(settings.ACCOUNT_RATE_LIMITS.get(FAILURE_ACTION, "")).split(",")
    return {FAILURE_ACTION: ",".join(r.strip() for r in rates if r.strip().endswith(per))}


def sign_in_failures_allowed(request: HttpRequest) -> bool:
    """Return whether the address may still try (it is not locked out by failures)."""
    usage = ratelimit.consume(
        request,
        app="allauth.account",
        action=FAILURE_ACTION,
        config=_failure_rates("/ip"),
        dry_run=True,
        limit_get=True,
    )
    return usage is not None


def sign_in_failure_count(request: HttpRequest, *, key: str | None = None) -> None:
    """Count a failed provider sign-in against the address (and ``key``, when known)."""
    ratelimit.consume(
        request,
        app="allauth.account",
        action=FAILURE_ACTION,
        config=_failure_rates("/ip", "/key") if key else _failure_rates("/ip"),
        key=key,
        limit_get=True,
    )


class StaffAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Allauth adapter for agency staff: an agency admin creates accounts, nobody signs up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        stages: list[str] = super().get_login_stages()
        return [
            "portal.identity.ProviderAttestedAuthenticateStage" if s == MFA_STAGE else s
            for s in stages
        ]


def _claims(sociallogin: SocialLogin, part: str) -> dict[str, Any]:
    data = sociallogin.account.extra_data
    value = data.get(part) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


class ProviderAttestedAuthenticateStage(AuthenticateStage):  # type: ignore[misc]
    """allauth's second-factor step, passed when the agency's provider attests one.

    After a provider's sign-in whose ID token attests a second factor (``oidc_mfa_attested``),
    the step is recorded as done (method ``mfa``, type ``oidc``) and Probity's own code is not
    asked again; after any other sign-in, allauth's step runs as it is.
    """

    def handle(self) -> tuple[Any, bool]:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        user = self.login.user
        if isinstance(sociallogin, SocialLogin) and user is not None:
            agency_id = sociallogin.account.provider
            provider = agency_oidc_get(agency_id=agency_id)
            claims = _claims(sociallogin, "id_token")
            if (
                provider is not None
                and getattr(user, "agency_id", None) == agency_id
                and oidc_mfa_attested(claims=claims, mfa_acr_values=provider.mfa_acr_values)
            ):
                record_authentication(
                    self.request,
                    user,
                    "mfa",
                    type="oidc",
                    provider=agency_id,
                    amr=claims.get("amr"),
                    acr=claims.get("acr"),
                )
                return None, True
        result: tuple[Any, bool] = super().handle()
        return result


def _app(provider: AgencyOidc, *, with_secret: bool) -> SocialApp:
    secret = agency_oidc_client_secret(agency_id=provider.agency_id) if with_secret else ""
    return SocialApp(
        provider=OIDC_PROVIDER,
        provider_id=provider.agency_id,
        name=provider.name,
        client_id=provider.client_id,
        secret=secret or "",
        settings={
            "server_url": provider.issuer,
            "issuer": provider.issuer,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
            "email_authentication": False,
            "verified_email": False,
        },
    )


def oidc_refused(
    request: HttpRequest, *, agency_id: str, reason: str, subject: str, user: User | None = None
) -> HttpResponse:
    """Record a refused provider sign-in, count it as a failure and answer 403."""
    oidc_refusal_record(agency_id=agency_id, reason=reason, subject=subject, user=user)
    sign_in_failure_count(request, key=f"oidc:{agency_id}:{subject}")
    provider = agency_oidc_get(agency_id=agency_id)
    return render(
        request,
        "account/oidc_refused.html",
        {"provider_name": provider.name if provider else "", "reason": reason},
        status=403,
    )


class AgencySocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    """allauth's social-account adapter over the agencies' providers, with no sign-up."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        one = provider not in (None, OIDC_PROVIDER)
        apps = [
            _app(p, with_secret=one)
            for p in agency_oidc_list()
            if (not one or p.agency_id == provider) and (not client_id or p.client_id == client_id)
        ]
        return apps

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        agency_id = str(sociallogin.account.provider)
        subject = str(sociallogin.account.uid)

        def refuse(reason: str, user: User | None = None) -> NoReturn:
            raise ImmediateHttpResponse(
                oidc_refused(
                    request, agency_id=agency_id, reason=reason, subject=subject, user=user
                )
            )

        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            refuse(Refusal.CONNECT)
        id_token, userinfo = _claims(sociallogin, "id_token"), _claims(sociallogin, "userinfo")
        if id_token.get("sub") != subject or (userinfo and userinfo.get("sub") != subject):
            refuse(Refusal.SUBJECT_MISMATCH)
        linked = sociallogin.user if sociallogin.account.pk is not None else None
        outcome = oidc_sign_in_resolve(
            agency_id=agency_id,
            subject=subject,
            linked_user=linked,
            email=oidc_verified_email([id_token, userinfo]),
        )
        if outcome.user is None or outcome.refusal:
            refuse(outcome.refusal or Refusal.UNKNOWN_SUBJECT, outcome.user)
        user = outcome.user
        if outcome.linked:
            sociallogin.user = user
            sociallogin.account.user = user
            sociallogin.account.save()
            oidc_link_record(
                agency_id=agency_id,
                user=user,
                subject=subject,
                email=oidc_verified_email([id_token, userinfo]),
            )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        if error == AuthError.CANCELLED:
            return
        agency_id = str(getattr(getattr(provider, "app", None), "provider_id", "") or "")
        if agency_oidc_get(agency_id=agency_id) is not None:
            audit_record(
                agency_id=agency_id,
                actor="anonymous",
                action="sign_in.oidc_failed",
                data={
                    "error": str(error or AuthError.UNKNOWN),
                    "exception": type(exception).__name__ if exception is not None else "",
                },
            )
        sign_in_failure_count(request)
        raise ImmediateHttpResponse(
            render(
                request,
                "socialaccount/authentication_error.html",
                {"provider_name": getattr(provider, "name", "")},
                status=403,
            )
        )
