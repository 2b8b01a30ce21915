"""The portal's pages: a new search, a search's page and personal access tokens.

Views only translate between HTTP and the services/selectors; every read takes the agency.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from authorizations.selectors import records_usable
from matching.models import Search
from matching.review_reads import review_owed
from matching.searches import (
    ACTIVE_STATES,
    search_candidates_view,
    search_candidates_visible,
    search_submit,
)
from matching.selectors import gallery_list, search_get
from portal.face_choice import face_choice_context
from portal.forms import SearchForm, TokenIssueForm
from portal.labels import DISPOSITION_LABELS, PURPOSE_LABELS, STATUS_LABELS, label
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from portal.reasons import reason_message
from portal.record_selectors import AuthorityChoices, authority_choices
from portal.selectors import api_tokens_of
from tenants.errors import ApiError
from tenants.models import TokenIssuer, User
from tenants.need_to_know import action_allowed
from tenants.second_factor import session_mfa_verified
from tenants.services import token_issue


class SearchNewView(StaffMixin, View):
    """Ask for a search: the policy decides at once, then the search's page shows the outcome."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if isinstance(user, User) and not action_allowed(user=user, action="search.submit"):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        case_number = request.GET.get("case_number", "")[:100]
        form = SearchForm(
            galleries=gallery_list(agency=self.agency),
            authorities=self.authorities(case_number),
            initial={
                "case_number": case_number,
                "probe_collected_in": self.agency.jurisdiction,
                "probe_collected_municipality": self.agency.municipality,
            },
        )
        return render(request, "portal/search_new.html", {"form": form})

    def authorities(self, case_number: str) -> AuthorityChoices:
        """Return the records of the case the person may rely on, as the form offers them."""
        usable = records_usable(
            agency=self.agency, user=self.user, case_number=case_number, now=timezone.now()
        )
        return authority_choices(usable)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SearchForm(
            request.POST,
            request.FILES,
            galleries=gallery_list(agency=self.agency),
            authorities=self.authorities(request.POST.get("case_number", "")[:100]),
        )
        if form.is_valid():
            probe = form.cleaned_data["probe"]
            try:
                search = search_submit(
                    user=self.user,
                    mfa_verified=session_mfa_verified(request),
                    request=form.search_request(),
                    probe_bytes=probe.read(),
                    probe_content_type=probe.content_type or "",
                )
            except ApiError as exc:
                form.add_service_error(exc.error_code, exc.message)
            else:
                return redirect("portal:search", search_id=search.id)
        form.errors_described()
        return render(request, "portal/search_new.html", {"form": form}, status=400)


class SearchAuthoritiesView(SearchNewView):
    """The new-search form's authority fields for the case number typed (an htmx fragment)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        case_number = request.GET.get("case_number", "")[:100]
        form = SearchForm(
            galleries=[],
            authorities=self.authorities(case_number),
            initial={"case_number": case_number},
        )
        return render(request, "portal/_authority_choices.html", {"form": form})


class SearchDetailView(StaffMixin, View):
    """A search: status, the policy's reasons in plain words, and its candidates once finished."""

    template_name = "portal/search_detail.html"

    def get(self, request: HttpRequest, search_id: uuid.UUID) -> HttpResponse:
        search = search_get(agency=self.agency, search_id=search_id)
        if search is None:
            raise Http404
        if not action_allowed(
            user=self.user, action="search.read", owner_id=search.requested_by_id
        ):
            raise PermissionDenied
        return render(request, self.template_name, self.search_context(search))

    def search_context(self, search: Search) -> dict[str, Any]:
        candidates = search_candidates_view(user=self.user, search=search)
        withheld = not search_candidates_visible(user=self.user, search=search)
        decision = search.decision
        agreement = str(search.agreement_record_id or "")
        reasons = [
            {
                "code": r.get("code", ""),
                "kind": r.get("kind", ""),
                "message": reason_message(r, agreement_id=agreement),
                "authority": r.get("authority", ""),
            }
            for r in (decision.reasons if decision else [])
        ]
        return {
            "search": search,
            "status_label": label(STATUS_LABELS, search.status),
            "purpose_label": label(PURPOSE_LABELS, search.purpose),
            "live": search.status in ACTIVE_STATES,
            "denials": [r for r in reasons if r["kind"] == "deny"],
            "notes": [r for r in reasons if r["kind"] != "deny"],
            # Whoever still owes a candidate a review sees its rank, not its similarity.
            "candidates": [
                {
                    "candidate": c,
                    "disposition_label": label(DISPOSITION_LABELS, c.disposition),
                    "blind": review_owed(
                        user=self.user, search=search, candidate=c, reviews=list(c.reviews.all())
                    ),
                }
                for c in candidates
            ],
            "candidates_withheld": withheld,
            **face_choice_context(user=self.user, search=search),
        }


class SearchLiveView(SearchDetailView):
    """The part of a search's page that changes while it runs (polled by htmx)."""

    template_name = "portal/_search_live.html"


class TokenListView(ReauthenticatedPostMixin, StaffMixin, View):
    """My personal access tokens for the API; issuing one requires signing in again."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, TokenIssueForm(), issued="")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TokenIssueForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, issued="", status=400)
        key = token_issue(
            user=self.user,
            label=form.cleaned_data["label"],
            issued_via=TokenIssuer.MFA_SESSION
            if session_mfa_verified(request)
            else TokenIssuer.PORTAL,
            actor=self.user.username,
        )
        return self.page(request, TokenIssueForm(), issued=key)

    def page(
        self, request: HttpRequest, form: TokenIssueForm, *, issued: str, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "portal/tokens.html",
            {"form": form, "issued": issued, "tokens": api_tokens_of(user=self.user)},
            status=status,
        )
