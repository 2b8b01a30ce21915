"""What every portal page requires of the person: signed in, of an agency, with a second factor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from tenants.models import Agency, User
from tenants.second_factor import user_has_second_factor

View = Callable[[HttpRequest], HttpResponseBase]


class StaffMixin(LoginRequiredMixin):
    """Resolve the acting user and agency once; send staff without a second factor to enrol one."""

    request: HttpRequest
    user: User
    agency: Agency

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
        if user.agency is None:
            raise PermissionDenied("This account does not belong to an agency.")
        if not user_has_second_factor(user=user):
            return redirect("mfa_activate_totp")
        self.user, self.agency = user, user.agency
        return super().dispatch(request, *args, **kwargs)


class ReauthenticatedPostMixin:
    """Ask the person to confirm who they are again before a sensitive change (any POST).

    Reading the page needs no confirmation unless ``confirm_to_read`` is set (a page whose
    form sends a file: a request resumed after the confirmation carries no file); a
    confirmation lasts ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds. Put it before
    ``StaffMixin`` in the bases.
    """

    confirm_to_read = False

    def confirmation_wanted(self, request: HttpRequest, **kwargs: Any) -> bool:
        """Return whether this request is one that asks for the confirmation (by default all).

        A view whose POSTs are only sometimes sensitive says which; it is asked before the
        person is checked, so it must treat an anonymous request as wanting it.
        """
        return True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        parent = super().dispatch  # type: ignore[misc]

        def view(request: HttpRequest) -> HttpResponseBase:
            response: HttpResponseBase = parent(request, *args, **kwargs)
            return response

        guard: Callable[[View], View] = reauthentication_required(
            allow_get=not self.confirm_to_read,
            enabled=lambda request: self.confirmation_wanted(request, **kwargs),
        )
        result: HttpResponseBase = guard(view)(request)
        return result
