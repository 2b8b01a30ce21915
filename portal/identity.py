"""How people get in: accounts come from the agency's directory, never from self sign-up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Allauth adapter for agency staff: an agency admin creates accounts, nobody signs up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
