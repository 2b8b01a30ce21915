"""Run each portal request in the agency of the person it is about.

Users are row-level secured by agency, so code that looks a user up (allauth's sign-in stages,
the session's user, the portal's pages) must run in that user's agency. Once a session has a
user, or a sign-in in progress has identified one, the whole request runs inside
``agency_transaction`` for that user's agency; a response of 500 or more rolls it back. The
return from an agency's OpenID Connect provider runs in that provider's agency, whoever is
signed in: only that agency's users can be found through it. The REST API resolves its own
context per call and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from tenants.context import agency_transaction
from tenants.directory import directory_user_agency
from tenants.identity_provider_models import AgencyIdentityProvider

SKIPPED_PREFIXES = ("/api/", "/static/", "/healthz")
PENDING_SIGN_IN = "account_login"  # allauth's session key for a sign-in in progress
OIDC_CALLBACK = re.compile(r"^/accounts/oidc/(?P<agency>[a-z][a-z0-9_]{1,39})/login/callback/$")


def _pending_user(request: HttpRequest) -> int | None:
    from allauth.account.utils import url_str_to_user_pk

    session = getattr(request, "session", None)
    pending: Any = session.get(PENDING_SIGN_IN) if session is not None else None
    if not isinstance(pending, dict) or not pending.get("user_pk"):
        return None
    try:
        return int(url_str_to_user_pk(pending["user_pk"]))
    except (TypeError, ValueError):
        return None


def request_agency(request: HttpRequest) -> str | None:
    """Return the agency of the signed-in user, or of the user a sign-in has identified."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated  # loads the user in its own agency
    callback = OIDC_CALLBACK.match(request.path)
    if callback and AgencyIdentityProvider.objects.filter(agency_id=callback["agency"]).exists():
        return callback["agency"]
    if signed_in:
        agency_id = getattr(user, "agency_id", None)
        return str(agency_id) if agency_id else None
    pending = _pending_user(request)
    return directory_user_agency(user_id=pending) if pending is not None else None


class AgencyRequestMiddleware:
    """Wrap a portal request in its user's agency transaction."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        agency_id = request_agency(request)
        if agency_id is None:
            return self.get_response(request)
        with agency_transaction(agency_id):
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
