"""A gallery subject's legal record: legal events that purge it, legal holds, certificates,
and corrections of its display name.

The rules are ``matching.legal_events``'s (which roles, which kinds, when a subject is due, a
hold winning over a purge, an import applied whole or not at all); these views translate
between HTTP and them, and the services audit every change. Recording an event, placing or
lifting a hold and importing a file ask the person to confirm who they are; another agency's
gallery, subject, hold or certificate is not found.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View

from matching import legal_events as le
from matching.legal_events import (
    EventInput,
    deletion_certificate_get,
    legal_event_record,
    legal_events_import,
    legal_hold_lift,
    legal_hold_place,
)
from matching.models import Gallery
from matching.selectors import gallery_get
from matching.subject_corrections import SubjectCorrection, subject_correct
from portal.admin_forms import described
from portal.admin_selectors import SubjectRecord, subject_exists, subject_record
from portal.admin_views import ActionRequiredMixin
from portal.labels import LEGAL_EVENT_KIND_LABELS, LEGAL_EVENT_OUTCOME_LABELS, label
from portal.legal_forms import (
    SERVICE_MESSAGES,
    LegalEventForm,
    LegalEventsImportForm,
    LegalHoldForm,
    LegalHoldLiftForm,
    SubjectCorrectionForm,
)
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from portal.refusals import refusal_on_record
from tenants import errors
from tenants.errors import ApiError
from tenants.models import Agency, User
from tenants.need_to_know import action_allowed
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits


def _refused(exc: ApiError) -> Exception:
    """Return what Django answers a service's refusal of access with."""
    if exc.error_code == errors.PERMISSION_DENIED:
        return PermissionDenied(exc.message)
    return Http404(exc.message)


class AgencyGalleryFirstMixin:
    """Answer 404 to a gallery (and subject) of the URL that is not the person's agency's,
    before anything else: another agency's subject is never met with a request to confirm
    who one is. Put it first in the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if isinstance(user, User) and user.agency is not None:
            gallery = gallery_get(agency=user.agency, slug=kwargs["slug"])
            if gallery is None:
                raise Http404
            if "subject_id" in kwargs and not subject_exists(
                agency=user.agency, gallery=gallery, subject_id=kwargs["subject_id"]
            ):
                raise Http404
        response: HttpResponseBase = super().dispatch(  # type: ignore[misc]
            request, *args, **kwargs
        )
        return response


class GallerySubjectMixin(AgencyGalleryFirstMixin, ActionRequiredMixin):
    """Resolve the agency's gallery and one of its subjects from the URL."""

    agency: Agency
    user: User

    def gallery(self, slug: str) -> Gallery:
        gallery = gallery_get(agency=self.agency, slug=slug)
        if gallery is None:
            raise Http404
        return gallery

    def record(self, gallery: Gallery, subject_id: int) -> SubjectRecord:
        found = subject_record(agency=self.agency, gallery=gallery, subject_id=subject_id)
        if found is None:
            raise Http404
        return found

    def conflict(
        self, request: HttpRequest, gallery: Gallery, subject_id: int, exc: ApiError
    ) -> HttpResponse:
        """Say on the subject's page why its state refused the change (purged, held, lifted)."""
        refusal_on_record(request, self.user, exc)
        messages.error(request, str(SERVICE_MESSAGES.get(exc.error_code, exc.message)))
        return self.page(request, gallery, self.record(gallery, subject_id), status=409)

    def page(
        self,
        request: HttpRequest,
        gallery: Gallery,
        record: SubjectRecord,
        *,
        event_form: LegalEventForm | None = None,
        hold_form: LegalHoldForm | None = None,
        lift_form: LegalHoldLiftForm | None = None,
        correct_form: SubjectCorrectionForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        """The subject's page, with the forms the person's roles give them."""
        live = record.subject.purged_at is None
        hold = record.hold
        may_record = live and action_allowed(user=self.user, action="legal_event.record")
        may_correct = live and action_allowed(user=self.user, action="subject.correct")
        may_hold = live and action_allowed(user=self.user, action="legal_hold.manage")
        context: dict[str, Any] = {
            "gallery": gallery,
            "record": record,
            "subject": record.subject,
            "hold": hold,
            "events": [
                {"event": e, "kind_label": label(LEGAL_EVENT_KIND_LABELS, e.kind)}
                for e in record.events
            ],
            "event_form": (event_form or LegalEventForm()) if may_record else None,
            "hold_form": (hold_form or LegalHoldForm()) if may_hold and hold is None else None,
            "lift_form": (lift_form or LegalHoldLiftForm()) if may_hold and hold else None,
            "correct_form": (
                correct_form
                or SubjectCorrectionForm(initial={"display_name": record.subject.display_name})
            )
            if may_correct
            else None,
            "may_see_certificate": action_allowed(
                user=self.user, action="deletion_certificates.list"
            ),
        }
        return render(request, "portal/admin_subject.html", context, status=status)


class AdminSubjectView(GallerySubjectMixin, StaffMixin, View):
    """One subject of a gallery: its photos counted, legal events, holds and certificate."""

    actions = ("subjects.list",)

    def get(self, request: HttpRequest, slug: str, subject_id: int) -> HttpResponse:
        gallery = self.gallery(slug)
        return self.page(request, gallery, self.record(gallery, subject_id))


class AdminSubjectCorrectView(GallerySubjectMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST display_name, reason``: correct the subject's display name; audited."""

    actions = ("subject.correct",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str, subject_id: int) -> HttpResponse:
        gallery = self.gallery(slug)
        form = SubjectCorrectionForm(request.POST)
        if form.is_valid():
            try:
                subject_correct(
                    user=self.user,
                    gallery_slug=gallery.slug,
                    subject_id=subject_id,
                    correction=SubjectCorrection(
                        display_name=form.cleaned_data["display_name"],
                        reason=form.cleaned_data["reason"],
                    ),
                )
            except ApiError as exc:
                if exc.status_code in (403, 404):
                    raise _refused(exc) from None
                if exc.status_code == 409:
                    return self.conflict(request, gallery, subject_id, exc)
                refusal_on_record(request, self.user, exc)
                form.add_service_error(exc)
                status = exc.status_code
            else:
                messages.success(request, _("The subject's record is corrected."))
                return redirect("portal:admin_subject", slug=gallery.slug, subject_id=subject_id)
        else:
            described(form)
            status = 400
        record = self.record(gallery, subject_id)
        return self.page(request, gallery, record, correct_form=form, status=status)


class AdminLegalEventView(GallerySubjectMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST``: record a legal event; one due at once purges the subject unless it is held."""

    actions = ("legal_event.record",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str, subject_id: int) -> HttpResponse:
        gallery = self.gallery(slug)
        record = self.record(gallery, subject_id)
        form = LegalEventForm(request.POST)
        if not form.is_valid():
            described(form)
            return self.page(request, gallery, record, event_form=form, status=400)
        data = form.cleaned_data
        try:
            recorded = legal_event_record(
                user=self.user,
                data=EventInput(
                    subject_ref=record.subject.ref,
                    gallery=gallery.slug,
                    kind=data["kind"],
                    event_date=data["event_date"],
                    reference=data["reference"],
                    note=data["note"],
                ),
            )
        except ApiError as exc:
            if exc.status_code in (403, 404):
                raise _refused(exc) from None
            if exc.status_code == 409:
                return self.conflict(request, gallery, subject_id, exc)
            form.add_service_error(exc)
            record = self.record(gallery, subject_id)
            return self.page(request, gallery, record, event_form=form, status=exc.status_code)
        if recorded.outcome == le.PURGED and recorded.certificate is not None:
            messages.success(
                request,
                _("The event is recorded and %(ref)s is purged.") % {"ref": record.subject.ref},
            )
            return redirect("portal:admin_certificate", certificate_id=recorded.certificate.id)
        if recorded.outcome == le.HELD:
            messages.warning(
                request,
                _(
                    "The event is recorded, but %(ref)s is on legal hold: nothing was purged. "
                    "The subject is purged once the hold is lifted."
                )
                % {"ref": record.subject.ref},
            )
        elif recorded.event is not None:
            messages.success(
                request,
                _("The event is recorded: %(ref)s will be purged on %(date)s.")
                % {
                    "ref": record.subject.ref,
                    "date": formats.date_format(recorded.event.due_at, "DATE_FORMAT"),
                },
            )
        return redirect("portal:admin_subject", slug=gallery.slug, subject_id=subject_id)


class AdminLegalHoldView(GallerySubjectMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST``: place a legal hold on the subject's purge, with a reason."""

    actions = ("legal_hold.manage",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str, subject_id: int) -> HttpResponse:
        gallery = self.gallery(slug)
        record = self.record(gallery, subject_id)
        form = LegalHoldForm(request.POST)
        if form.is_valid():
            try:
                legal_hold_place(
                    user=self.user,
                    subject_ref=record.subject.ref,
                    gallery=gallery.slug,
                    reason=form.cleaned_data["reason"],
                )
            except ApiError as exc:
                if exc.status_code in (403, 404):
                    raise _refused(exc) from None
                if exc.status_code == 409:
                    return self.conflict(request, gallery, subject_id, exc)
                form.add_service_error(exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("%(ref)s is on legal hold: no legal event purges it until it is lifted.")
                    % {"ref": record.subject.ref},
                )
                return redirect("portal:admin_subject", slug=gallery.slug, subject_id=subject_id)
        else:
            described(form)
            status = 400
        record = self.record(gallery, subject_id)
        return self.page(request, gallery, record, hold_form=form, status=status)


class AdminLegalHoldLiftView(GallerySubjectMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST``: lift the subject's hold, with a reason; a purge it stopped follows."""

    actions = ("legal_hold.manage",)
    http_method_names = ["post"]

    def post(
        self, request: HttpRequest, slug: str, subject_id: int, hold_id: uuid.UUID
    ) -> HttpResponse:
        gallery = self.gallery(slug)
        record = self.record(gallery, subject_id)
        if not any(h.id == hold_id for h in record.holds):
            raise Http404
        form = LegalHoldLiftForm(request.POST)
        if form.is_valid():
            try:
                legal_hold_lift(user=self.user, hold_id=hold_id, reason=form.cleaned_data["reason"])
            except ApiError as exc:
                if exc.status_code in (403, 404):
                    raise _refused(exc) from None
                if exc.status_code == 409:
                    return self.conflict(request, gallery, subject_id, exc)
                form.add_service_error(exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _(
                        "The hold on %(ref)s is lifted: a legal event already recorded purges "
                        "it at the next periodic purge."
                    )
                    % {"ref": record.subject.ref},
                )
                return redirect("portal:admin_subject", slug=gallery.slug, subject_id=subject_id)
        else:
            described(form)
            status = 400
        record = self.record(gallery, subject_id)
        return self.page(request, gallery, record, lift_form=form, status=status)


class AdminCertificateView(ActionRequiredMixin, StaffMixin, View):
    """A deletion certificate: what a purge deleted, why, when, by whom, under which rule."""

    actions = ("deletion_certificates.list",)

    def get(self, request: HttpRequest, certificate_id: uuid.UUID) -> HttpResponse:
        certificate = deletion_certificate_get(user=self.user, certificate_id=certificate_id)
        if certificate is None:
            raise Http404
        gallery = gallery_get(agency=self.agency, slug=certificate.gallery_slug)
        return render(
            request,
            "portal/admin_certificate.html",
            {
                "certificate": certificate,
                "gallery": gallery,
                "kind_label": label(LEGAL_EVENT_KIND_LABELS, certificate.event_kind),
            },
        )


class AdminLegalEventsImportView(
    AgencyGalleryFirstMixin, ActionRequiredMixin, ReauthenticatedPostMixin, StaffMixin, View
):
    """A CSV file of legal events for a gallery's subjects: every row applied, or none.

    The page itself asks to confirm who one is (a request resumed after a confirmation would
    carry no file).
    """

    actions = ("legal_event.record",)
    confirm_to_read = True

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(
            total_bytes=le.IMPORT_MAX_BYTES + FORM_FIELDS_ALLOWANCE,
            files={"file": FileCap(le.IMPORT_MAX_BYTES)},
        )

    def gallery(self, slug: str) -> Gallery:
        gallery = gallery_get(agency=self.agency, slug=slug)
        if gallery is None:
            raise Http404
        return gallery

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self.page(request, self.gallery(slug), LegalEventsImportForm())

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        gallery = self.gallery(slug)
        form = LegalEventsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            described(form)
            return self.page(request, gallery, form, status=400)
        try:
            report = legal_events_import(
                agency_id=self.agency.id,
                content=form.cleaned_data["file"].read(),
                user=self.user,
                gallery=gallery.slug,
            )
        except ApiError as exc:
            if exc.status_code in (403, 404):
                raise _refused(exc) from None
            refusal_on_record(request, self.user, exc)
            form.add_service_error(exc)
            return self.page(request, gallery, form, detail=exc.message, status=exc.status_code)
        rows = [
            {
                **r,
                "status_label": label(LEGAL_EVENT_OUTCOME_LABELS, r["status"]),
                "error": str(SERVICE_MESSAGES.get(r.get("code", ""), r.get("message", "")))
                if r["status"] == "error"
                else "",
            }
            for r in report.rows
        ]
        if not report.applied:
            bad = sum(1 for r in rows if r["status"] == "error")
            refusal_on_record(
                request,
                self.user,
                ApiError(
                    le.LEGAL_EVENTS_ROWS_INVALID,
                    f"{bad} of {len(rows)} rows are bad: nothing was written.",
                ),
            )
        return self.page(
            request,
            gallery,
            LegalEventsImportForm(),
            report={"applied": report.applied, "rows": rows, "counts": _counts(rows)},
            status=200 if report.applied else 400,
        )

    def page(
        self,
        request: HttpRequest,
        gallery: Gallery,
        form: LegalEventsImportForm,
        *,
        report: dict[str, Any] | None = None,
        detail: str = "",
        status: int = 200,
    ) -> HttpResponse:
        return render(
            request,
            "portal/admin_legal_import.html",
            {
                "gallery": gallery,
                "form": form,
                "report": report,
                "detail": detail,
                "may_see_certificate": action_allowed(
                    user=self.user, action="deletion_certificates.list"
                ),
            },
            status=status,
        )


def _counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many rows of each status, in the order they first appear."""
    statuses = [r["status"] for r in rows]
    return [
        {"status": s, "label": label(LEGAL_EVENT_OUTCOME_LABELS, s), "count": statuses.count(s)}
        for s in dict.fromkeys(statuses)
    ]
