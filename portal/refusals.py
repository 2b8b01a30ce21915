"""A service's refusal of a portal request: on the agency's record, and answered as Django does."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from tenants.errors import ApiError
from tenants.models import User
from tenants.refusals import refusal_record


def refusal_on_record(request: HttpRequest, user: User, exc: ApiError) -> None:
    """Write a service's refusal of this request to the agency's audit chain."""
    assert user.agency is not None  # noqa: S101
    refusal_record(
        agency_id=user.agency.id,
        actor=user,
        action="request.refused",
        object_type="request",
        object_id=request.path[:80],
        data={
            "status": exc.status_code,
            "code": exc.error_code,
            "method": request.method,
            "path": request.path,
        },
    )


def http_refusal(request: HttpRequest, user: User, exc: ApiError) -> Exception:
    """Record a refusal and return the exception Django answers it with (403 or 404)."""
    refusal_on_record(request, user, exc)
    return PermissionDenied(exc.message) if exc.status_code == 403 else Http404(exc.message)
