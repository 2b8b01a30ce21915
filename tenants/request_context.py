"""What the current unit of work is: its request id, agency and user, for logs and audit.

The web process binds them per request (``config.request_ids``), the authentication binds
agency and user once the token is resolved, and a Celery task gets them back from the headers
of the message its request published. Context variables keep one thread's (or task's) values
from leaking into another's.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_request_id: ContextVar[str] = ContextVar("probity_request_id", default="")
_agency_id: ContextVar[str] = ContextVar("probity_agency_id", default="")
_username: ContextVar[str] = ContextVar("probity_username", default="")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    agency_id: str
    username: str


def request_context() -> RequestContext:
    """Return the current request id, agency and user ('' for each one unknown)."""
    return RequestContext(_request_id.get(), _agency_id.get(), _username.get())


def request_id_current() -> str:
    """Return the current request id, or '' outside any request or task."""
    return _request_id.get()


def request_context_bind(*, request_id: str = "", agency_id: str = "", username: str = "") -> None:
    """Set the context for the unit of work starting now (everything else is cleared)."""
    _request_id.set(request_id)
    _agency_id.set(agency_id)
    _username.set(username)


def request_user_bind(user: Any) -> None:
    """Record the authenticated user and their agency for the rest of the request."""
    _agency_id.set(str(getattr(user, "agency_id", "") or ""))
    _username.set(str(getattr(user, "username", "") or ""))
