"""Candidate review: a candidate beside the probe, the reviewer's disposition, and the queue.

The rules are the services' (``matching.reviews``, ``matching.review_images``); these views
translate between HTTP and them. A refusal by a service is on the agency's record, as the API's
are, and answers with the service's status.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from matching.lead_outcomes import lead_outcome_history, lead_outcome_record
from matching.models import Disposition
from matching.review_images import (
    ReviewImage,
    candidate_photo_view,
    probe_image_view,
    probe_kept,
)
from matching.review_reads import CandidateUnderReview, candidate_under_review, review_queue
from matching.reviews import candidate_review, candidate_reviewed_before
from portal.admin_forms import described
from portal.forms import CandidateReviewForm
from portal.labels import DISPOSITION_LABELS, LEAD_OUTCOME_LABELS, label
from portal.legal_forms import SERVICE_MESSAGES, LeadOutcomeForm
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from portal.refusals import http_refusal, refusal_on_record
from tenants import errors
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed
from tenants.second_factor import session_mfa_verified


class CandidateReviewView(ReauthenticatedPostMixin, StaffMixin, View):
    """One candidate beside the probe; the reviewer's disposition first, then the others'.

    A second review decides the candidate, so it asks the reviewer to confirm who they are.
    """

    def confirmation_wanted(self, request: HttpRequest, **kwargs: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or user.agency is None:
            return True
        return candidate_reviewed_before(
            agency_id=user.agency.id, search_id=kwargs["search_id"], rank=kwargs["rank"]
        )

    def get(self, request: HttpRequest, search_id: uuid.UUID, rank: int) -> HttpResponse:
        under = self.under_review(request, search_id, rank)
        return self.page(request, under, CandidateReviewForm() if under.owed else None)

    def post(self, request: HttpRequest, search_id: uuid.UUID, rank: int) -> HttpResponse:
        form = CandidateReviewForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                candidate_review(
                    user=self.user,
                    search_id=search_id,
                    rank=rank,
                    disposition=form.cleaned_data["disposition"],
                    note=form.cleaned_data["note"],
                    mfa_verified=session_mfa_verified(request),
                )
            except ApiError as exc:
                if exc.status_code == 404 or exc.error_code == errors.PERMISSION_DENIED:
                    raise http_refusal(request, self.user, exc) from None
                refusal_on_record(request, self.user, exc)
                form.add_service_error(exc.error_code, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("Your review is recorded."))
                return redirect("portal:candidate", search_id=search_id, rank=rank)
        under = self.under_review(request, search_id, rank)
        form.errors_described()
        return self.page(request, under, form, status=status)

    def under_review(
        self, request: HttpRequest, search_id: uuid.UUID, rank: int
    ) -> CandidateUnderReview:
        try:
            return candidate_under_review(user=self.user, search_id=search_id, rank=rank)
        except ApiError as exc:
            raise http_refusal(request, self.user, exc) from None

    def page(
        self,
        request: HttpRequest,
        under: CandidateUnderReview,
        form: CandidateReviewForm | None,
        *,
        outcome_form: LeadOutcomeForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        search, candidate = under.search, under.candidate
        lead = candidate.disposition == Disposition.POSSIBLE_MATCH
        may_record = lead and action_allowed(
            user=self.user, action="lead.outcome_record", owner_id=search.requested_by_id
        )
        reviewed_by_me = any(r.reviewer_id == self.user.pk for r in under.reviews)
        context = {
            "search": search,
            "candidate": candidate,
            "subject": candidate.subject,
            "total": under.candidates_total,
            "previous_rank": candidate.rank - 1 if candidate.rank > 1 else None,
            "next_rank": candidate.rank + 1 if candidate.rank < under.candidates_total else None,
            "blind": under.owed,
            "second": bool(under.reviews),
            "form": form,
            "reviewed_by_me": reviewed_by_me,
            "disposition_label": label(DISPOSITION_LABELS, candidate.disposition),
            "reviews": [
                {"review": r, "disposition_label": label(DISPOSITION_LABELS, r.disposition)}
                for r in under.reviews
            ],
            "probe_kept": probe_kept(user=self.user, search_id=search.id),
            "lead": lead,
            "outcome_label": label(LEAD_OUTCOME_LABELS, candidate.outcome),
            "outcome_form": (outcome_form or LeadOutcomeForm()) if may_record else None,
            "outcomes": [
                {
                    "entry": e,
                    "label": label(LEAD_OUTCOME_LABELS, e.outcome),
                    "previous_label": label(LEAD_OUTCOME_LABELS, e.previous) if e.previous else "",
                }
                for e in lead_outcome_history(
                    user=self.user, search_id=search.id, rank=candidate.rank
                )
            ]
            if lead
            else [],
        }
        return render(request, "portal/candidate_review.html", context, status=status)


class LeadOutcomeView(CandidateReviewView):
    """``POST``: what became of a possible match (confirmed, excluded, charged); audited.

    Recording it asks no confirmation: it decides nothing about the candidate, whose review is
    complete, and needs the second factor like a review.
    """

    http_method_names = ["post"]

    def confirmation_wanted(self, request: HttpRequest, **kwargs: Any) -> bool:
        return False

    def post(self, request: HttpRequest, search_id: uuid.UUID, rank: int) -> HttpResponse:
        form = LeadOutcomeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                lead_outcome_record(
                    user=self.user,
                    search_id=search_id,
                    rank=rank,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    mfa_verified=session_mfa_verified(request),
                )
            except ApiError as exc:
                if exc.status_code == 404 or exc.error_code == errors.PERMISSION_DENIED:
                    raise http_refusal(request, self.user, exc) from None
                refusal_on_record(request, self.user, exc)
                if exc.status_code == 409:  # no lead (yet): the page shows no form to mark
                    messages.error(request, str(SERVICE_MESSAGES.get(exc.error_code, exc.message)))
                else:
                    form.add_service_error(exc)
                status = exc.status_code
            else:
                messages.success(request, _("The lead's outcome is recorded."))
                return redirect("portal:candidate", search_id=search_id, rank=rank)
        else:
            described(form)
        under = self.under_review(request, search_id, rank)
        return self.page(request, under, None, outcome_form=form, status=status)


def image_response(image: ReviewImage) -> HttpResponse:
    """Answer an image that no cache may keep and no browser may take for something else."""
    response = HttpResponse(image.content, content_type=image.content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ProbeImageView(StaffMixin, View):
    """The search's probe, for the person comparing it with a candidate."""

    def get(self, request: HttpRequest, search_id: uuid.UUID) -> HttpResponse:
        try:
            image = probe_image_view(
                user=self.user, search_id=search_id, face=request.GET.get("part") == "face"
            )
        except ApiError as exc:
            if exc.status_code == 410:
                return HttpResponse(
                    _("The probe is no longer kept."),
                    status=410,
                    content_type="text/plain; charset=utf-8",
                )
            raise http_refusal(request, self.user, exc) from None
        return image_response(image)


class CandidatePhotoView(StaffMixin, View):
    """The enrolled photo holding a candidate's face."""

    def get(self, request: HttpRequest, search_id: uuid.UUID, rank: int) -> HttpResponse:
        try:
            image = candidate_photo_view(
                user=self.user,
                search_id=search_id,
                rank=rank,
                face=request.GET.get("part") == "face",
            )
        except ApiError as exc:
            raise http_refusal(request, self.user, exc) from None
        return image_response(image)


class ReviewQueueView(StaffMixin, View):
    """The candidates awaiting my review: first reviews of mine, second reviews of others'."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not action_allowed(user=self.user, action="candidate.review"):
            raise Http404
        page = review_queue(user=self.user, page=request.GET.get("page"))
        return render(request, "portal/review_queue.html", {"page": page})
