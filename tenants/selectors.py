"""Reads of the directory, always scoped by the acting agency."""

from __future__ import annotations

from tenants.context import agency_transaction
from tenants.directory import directory_user_facts
from tenants.models import Agency, ApiToken, User


def agency_get(*, agency_id: str) -> Agency | None:
    """Return the agency with ``agency_id``, if it exists."""
    return Agency.objects.filter(id=agency_id).first()


def user_directory_facts(*, username: str) -> dict[str, object] | None:
    """Return the directory facts the policy needs about an approver, wherever they work."""
    facts = directory_user_facts(username=username)
    if facts is None:
        return None
    return {"agency_id": facts[0], "roles": sorted(facts[1])}


def user_list(*, agency: Agency) -> list[User]:
    """Return the agency's users, by username."""
    with agency_transaction(agency.id):
        return list(User.objects.filter(agency_id=agency.id).order_by("username"))


def user_get(*, agency: Agency, user_id: int) -> User | None:
    """Return one of the agency's users."""
    with agency_transaction(agency.id):
        return User.objects.select_related("agency").filter(agency_id=agency.id, pk=user_id).first()


def token_list(*, agency: Agency, user_id: int | None = None) -> list[ApiToken]:
    """Return the agency's tokens (never their keys or digests), newest first."""
    with agency_transaction(agency.id):
        tokens = ApiToken.objects.select_related("user").filter(user__agency_id=agency.id)
        if user_id is not None:
            tokens = tokens.filter(user_id=user_id)
        return list(tokens.order_by("-created_at", "-id"))


def token_get(*, agency: Agency, token_id: int) -> ApiToken | None:
    """Return one of the agency's tokens."""
    with agency_transaction(agency.id):
        return (
            ApiToken.objects.select_related("user")
            .filter(user__agency_id=agency.id, pk=token_id)
            .first()
        )
