"""What the base layout shows on every page: the agency, the person and their navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.labels import ROLE_LABELS, label
from tenants.agency_oidc import agency_oidc_list
from tenants.models import User
from tenants.need_to_know import Scope, action_allowed, action_scope

OVERSEEING_ROLES = {"supervisor", "compliance_officer", "auditor", "agency_admin"}


def portal_context(request: HttpRequest) -> dict[str, Any]:
    """Return the layout's agency name, role labels and which navigation entries to show."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        match = getattr(request, "resolver_match", None)
        on_sign_in = match is not None and match.url_name == "account_login"
        return {
            "portal_languages": settings.LANGUAGES,
            # The sign-in page offers each agency's own provider, where one is configured.
            "portal_identity_providers": agency_oidc_list() if on_sign_in else [],
        }
    roles = list(getattr(user, "roles", []))
    agency = getattr(user, "agency", None)
    return {
        "portal_languages": settings.LANGUAGES,
        "portal_agency_name": agency.name if agency is not None else "",
        "portal_roles": [label(ROLE_LABELS, r) for r in roles],
        "portal_can_search": isinstance(user, User)
        and action_allowed(user=user, action="search.submit"),
        # Statistics and exports: an oversight body's auditors, or an agency's leadership.
        "portal_can_oversee": bool(OVERSEEING_ROLES & set(roles)),
        # The agency's searches: the roles that list them all, not only their own.
        "portal_can_list_searches": isinstance(user, User)
        and action_scope(user=user, action="searches.list") is Scope.ALL,
        "portal_can_see_follow_ups": isinstance(user, User)
        and action_allowed(user=user, action="follow_ups.list"),
        "portal_can_review": isinstance(user, User)
        and action_allowed(user=user, action="candidate.review"),
        "portal_can_see_records": isinstance(user, User)
        and action_allowed(user=user, action="authority_records.list"),
        "portal_can_author": isinstance(user, User)
        and action_allowed(user=user, action="policy.author"),
        "portal_can_manage_users": isinstance(user, User)
        and action_allowed(user=user, action="users.manage"),
        "portal_can_see_galleries": isinstance(user, User)
        and any(
            action_allowed(user=user, action=a)
            for a in ("subjects.list", "enrollment_batches.list")
        ),
    }
