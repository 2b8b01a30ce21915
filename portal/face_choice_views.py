"""The choice among a probe's faces: the probe with a box per face, and the chosen one sent on.

The picture is served by its own view (need-to-know, no-store, audited by the service); the
boxes are drawn over it by an SVG the page carries, placed in percent of the picture.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from matching.searches import search_face_choose
from matching.searches.probe_picture import search_probe_picture
from matching.selectors import search_get
from portal.face_choice import FACE_CHOICE_MESSAGES
from portal.mixins import StaffMixin
from portal.views import SearchDetailView
from tenants.errors import ApiError
from tenants.need_to_know import action_allowed
from tenants.second_factor import session_mfa_verified


class ProbePictureView(StaffMixin, View):
    """The probe of a search, upright and stripped of metadata; never cached, always audited."""

    def get(self, request: HttpRequest, search_id: uuid.UUID) -> HttpResponse:
        try:
            picture = search_probe_picture(user=self.user, search_id=search_id)
        except ApiError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(exc.message) from exc
            raise Http404(exc.message) from exc
        response = HttpResponse(picture.content, content_type="image/jpeg")
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = "inline"
        return response


class FaceChooseView(SearchDetailView):
    """``POST``: the face the person is searching for; the service asks the policy again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, search_id: uuid.UUID) -> HttpResponse:
        search = search_get(agency=self.agency, search_id=search_id)
        if search is None:
            raise Http404
        if not action_allowed(
            user=self.user, action="search.read", owner_id=search.requested_by_id
        ):
            raise PermissionDenied
        raw = request.POST.get("face", "")
        face = int(raw) if raw.isascii() and raw.isdigit() else -1
        try:
            search_face_choose(
                user=self.user,
                search_id=search.id,
                face=face,
                mfa_verified=session_mfa_verified(request),
            )
        except ApiError as exc:
            message = str(FACE_CHOICE_MESSAGES.get(exc.error_code, exc.message))
            search = search_get(agency=self.agency, search_id=search_id) or search
            context = self.search_context(search)
            if "face_choice" not in context:
                # The search has moved on (chosen by someone else, cancelled): say so on its page.
                messages.error(request, message)
                return redirect("portal:search", search_id=search.id)
            context["face_choice"].update(error=message, chosen=face if face >= 0 else None)
            status = exc.status_code if exc.status_code in (400, 403, 409) else 400
            return render(request, self.template_name, context, status=status)
        return redirect("portal:search", search_id=search.id)
