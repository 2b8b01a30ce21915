"""Reads of the directory, always scoped by the acting agency."""

from __future__ import annotations

from tenants.models import Agency, User


def agency_get(*, agency_id: str) -> Agency | None:
    """Return the agency with ``agency_id``, if it exists."""
    return Agency.objects.filter(id=agency_id).first()


def user_directory_facts(*, username: str) -> dict[str, object] | None:
    """Return the directory facts the policy needs about an approver, wherever they work."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or user.agency_id is None:
        return None
    return {"agency_id": user.agency_id, "roles": sorted(user.roles)}
