"""DRF throttles per user, per agency, per scope, and per source address on failed logins.

Counters live in the shared cache, so every web process of a deployment counts together. A
throttled request gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request


class UserRateThrottle(throttling.UserRateThrottle):
    """Every authenticated user's requests (scope ``user``)."""


class AgencyRateThrottle(throttling.SimpleRateThrottle):
    """All requests of one agency's users together (scope ``agency``)."""

    scope = "agency"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        agency_id = getattr(request.user, "agency_id", None)
        if not agency_id:
            return None
        return self.cache_format % {"scope": self.scope, "ident": agency_id}


class ScopedUserRateThrottle(throttling.ScopedRateThrottle):
    """A view's own budget per user (``throttle_scope``: ``search``, ``evaluate``), POST only."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class AuthFailureRateThrottle(throttling.SimpleRateThrottle):
    """Failed authentications per source address (scope ``auth_failure``).

    Only failures count, so authentication consults and feeds it (a throttle class runs after
    authentication, too late for a request that fails it).
    """

    scope = "auth_failure"

    def __init__(self) -> None:
        super().__init__()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request: Any) -> None:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - (self.duration or 0):
            self.history.pop()

    def retry_after(self, request: Any) -> float | None:
        """Return the seconds to wait when the source is over its budget, else None."""
        if self.rate is None:
            return None
        self._load(request)
        return self.wait() if len(self.history) >= (self.num_requests or 0) else None

    def failure_count(self, request: Any) -> None:
        """Count one failed authentication from the request's source."""
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def allow_request(self, request: Request, view: Any) -> bool:
        return True
