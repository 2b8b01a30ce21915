"""The lists staff work from: my searches, the agency's searches, and the follow-ups owed.

Each is paginated and filtered by the API's own list selectors (``matching.list_selectors``);
who may see which list is the role table's (``tenants.need_to_know``): a role without it gets
404, as on the other pages. A bad filter is answered 400 with the error beside its field and
no rows. Completing a follow-up is ``matching.follow_ups.follow_up_complete``'s and asks the
person to confirm who they are.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from matching.follow_ups import follow_up_complete
from matching.list_selectors import ListFilters
from portal.admin_views import ActionRequiredMixin
from portal.forms import FollowUpCompleteForm
from portal.labels import FOLLOW_UP_KIND_LABELS, PURPOSE_LABELS, STATUS_LABELS, label
from portal.list_forms import (
    AgencySearchFilterForm,
    FollowUpFilterForm,
    ListFilterForm,
    SearchFilterForm,
    filter_form,
)
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from portal.refusals import http_refusal, refusal_on_record
from portal.selectors import FollowUpRow, follow_up_get, follow_ups_page, searches_page
from tenants import errors
from tenants.errors import ApiError
from tenants.need_to_know import Scope, action_allowed, action_scope


def filtered(
    request: HttpRequest, form_class: type[ListFilterForm]
) -> tuple[ListFilterForm, ListFilters | None]:
    """Return the list's filter form and its filters (None: a filter is bad, show no rows)."""
    form = filter_form(form_class, request.GET)
    if not form.is_bound:
        return form, ListFilters()
    if not form.is_valid():
        form.errors_described()
        return form, None
    return form, form.list_filters()


class SearchListMixin:
    """A filtered, paginated page of searches in the scope the view gives."""

    template_name = "portal/home.html"
    form_class: type[ListFilterForm] = SearchFilterForm

    def list_page(self, request: HttpRequest, scope: Scope) -> HttpResponse:
        view: Any = self
        form, filters = filtered(request, self.form_class)
        page = (
            searches_page(
                agency=view.agency,
                user=view.user,
                scope=scope,
                filters=filters,
                page=request.GET.get("page"),
            )
            if filters is not None
            else None
        )
        rows = [
            {
                "row": row,
                "status_label": label(STATUS_LABELS, row.status),
                "purpose_label": label(PURPOSE_LABELS, row.purpose),
            }
            for row in (page.rows if page else [])
        ]
        context = {"page": page, "rows": rows, "form": form, "query": form.query()}
        return render(
            request, self.template_name, context, status=200 if filters is not None else 400
        )


class HomeView(SearchListMixin, StaffMixin, View):
    """The searches I requested, newest first, paginated and filtered."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.list_page(request, Scope.OWN)


class AgencySearchListView(SearchListMixin, StaffMixin, View):
    """Every search of the agency, for the roles that list them all (not only their own)."""

    template_name = "portal/agency_searches.html"
    form_class = AgencySearchFilterForm

    def get(self, request: HttpRequest) -> HttpResponse:
        if action_scope(user=self.user, action="searches.list") is not Scope.ALL:
            raise Http404
        return self.list_page(request, Scope.ALL)


def follow_up_item(row: FollowUpRow) -> dict[str, Any]:
    return {"row": row, "kind_label": label(FOLLOW_UP_KIND_LABELS, row.kind)}


class FollowUpListView(ActionRequiredMixin, StaffMixin, View):
    """The follow-ups the obligations of allowed searches created, earliest due first."""

    actions = ("follow_ups.list",)

    def get(self, request: HttpRequest) -> HttpResponse:
        form, filters = filtered(request, FollowUpFilterForm)
        page = (
            follow_ups_page(agency=self.agency, filters=filters, page=request.GET.get("page"))
            if filters is not None
            else None
        )
        context = {
            "page": page,
            "rows": [follow_up_item(r) for r in (page.rows if page else [])],
            "form": form,
            "query": form.query(),
        }
        return render(
            request, "portal/follow_ups.html", context, status=200 if filters is not None else 400
        )


class FollowUpDetailView(ActionRequiredMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """One follow-up and its search; ``POST note`` completes it (not the search's requester)."""

    actions = ("follow_ups.list",)

    def row(self, follow_up_id: uuid.UUID) -> FollowUpRow:
        found = follow_up_get(agency=self.agency, follow_up_id=follow_up_id)
        if found is None:
            raise Http404
        return found

    def get(self, request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
        return self.page(request, self.row(follow_up_id), FollowUpCompleteForm())

    def post(self, request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
        row = self.row(follow_up_id)
        form = FollowUpCompleteForm(request.POST)
        if not form.is_valid():
            form.errors_described()
            return self.page(request, row, form, status=400)
        try:
            follow_up_complete(
                user=self.user, follow_up_id=follow_up_id, note=form.cleaned_data["note"]
            )
        except ApiError as exc:
            if exc.status_code == 404 or exc.error_code == errors.PERMISSION_DENIED:
                raise http_refusal(request, self.user, exc) from None
            refusal_on_record(request, self.user, exc)
            messages.error(request, _("This follow-up is already complete."))
            return self.page(request, self.row(follow_up_id), None, status=exc.status_code)
        messages.success(request, _("The follow-up is complete."))
        return redirect("portal:follow_up", follow_up_id=follow_up_id)

    def page(
        self,
        request: HttpRequest,
        row: FollowUpRow,
        form: FollowUpCompleteForm | None,
        *,
        status: int = 200,
    ) -> HttpResponse:
        own_search = row.requested_by_id == self.user.pk
        may_complete = (
            row.completed_at is None
            and not own_search
            and action_allowed(user=self.user, action="follow_up.complete")
        )
        context = {
            **follow_up_item(row),
            "form": form if may_complete else None,
            "own_search": own_search and row.completed_at is None,
        }
        return render(request, "portal/follow_up.html", context, status=status)
