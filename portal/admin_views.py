"""The agency admin's pages: users, their training and tokens, galleries, subjects, batches.

Every change goes through the tenants services, which audit it. Each page answers 404 to a
role without its action, as the new-search page does; disabling or enabling a user and
revoking a token ask the person to confirm who they are again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from matching.enrollment import UploadItem, enrollment_batch_create
from matching.held_photos import (
    HELD_FACE_OUT_OF_RANGE,
    HELD_PHOTO_RESOLVED,
    HeldPhotoError,
    held_photo_discard,
    held_photo_get,
    held_photo_image,
    held_photo_list,
    held_photo_resolve,
)
from matching.models import Gallery, HeldPhoto, HeldPhotoStatus
from matching.searches.probe_picture import FaceBox
from matching.selectors import gallery_get
from portal.admin_forms import (
    SubjectEnrollForm,
    TrainingRecordForm,
    UserCreateForm,
    described,
)
from portal.admin_selectors import (
    batch_get,
    gallery_batches,
    gallery_rows,
    gallery_subjects_page,
    training_records_of,
    user_history,
)
from portal.labels import ROLE_LABELS, label
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from tenants.models import User
from tenants.need_to_know import action_allowed
from tenants.selectors import token_get, token_list, user_get, user_list
from tenants.services import (
    token_revoke,
    training_record_add,
    training_status,
    user_active_set,
    user_create,
)

BATCH_STATUS_LABELS: dict[str, Promise] = {
    "queued": pgettext_lazy("enrollment batch status", "Queued"),
    "running": pgettext_lazy("enrollment batch status", "Running"),
    "done": pgettext_lazy("enrollment batch status", "Done"),
    "failed": pgettext_lazy("enrollment batch status", "Failed"),
}


class ActionRequiredMixin:
    """Answer 404 to a signed-in person whose roles give none of ``actions``.

    Put it first in the bases: a refused person is never asked to confirm who they are.
    """

    actions: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if isinstance(user, User) and not any(
            action_allowed(user=user, action=a) for a in self.actions
        ):
            raise Http404
        response: HttpResponseBase = super().dispatch(  # type: ignore[misc]
            request, *args, **kwargs
        )
        return response


def _user_row(user: User) -> dict[str, Any]:
    completed, expires_at = training_status(user=user)
    return {
        "user": user,
        "roles": [label(ROLE_LABELS, r) for r in user.roles],
        "trained_until": expires_at if completed else None,
    }


class AdminUserListView(ActionRequiredMixin, StaffMixin, View):
    """The agency's users; ``POST`` creates one with its roles."""

    actions = ("users.manage",)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, UserCreateForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = user_create(
                    agency=self.agency,
                    username=data["username"],
                    roles=data["roles"],
                    email=data["email"],
                    password=data["password"] or None,
                    actor=self.user,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("User %(name)s created.") % {"name": created.username})
                return redirect("portal:admin_user", user_id=created.pk)
        described(form)
        return self.page(request, form, status=400)

    def page(self, request: HttpRequest, form: UserCreateForm, status: int = 200) -> HttpResponse:
        rows = [_user_row(u) for u in user_list(agency=self.agency)]
        return render(
            request, "portal/admin_users.html", {"form": form, "rows": rows}, status=status
        )


class AdminUserMixin(ActionRequiredMixin):
    """Resolve the agency's user from the URL; another agency's user is not found."""

    actions = ("users.manage",)
    agency: Any

    def subject_user(self, user_id: int) -> User:
        found = user_get(agency=self.agency, user_id=user_id)
        if found is None:
            raise Http404
        return found


class AdminUserDetailView(AdminUserMixin, StaffMixin, View):
    """One user: roles, state, training records (``POST`` adds one), tokens and history."""

    def get(self, request: HttpRequest, user_id: int) -> HttpResponse:
        return self.page(request, self.subject_user(user_id), TrainingRecordForm())

    def post(self, request: HttpRequest, user_id: int) -> HttpResponse:
        person = self.subject_user(user_id)
        form = TrainingRecordForm(request.POST)
        if form.is_valid():
            completed, expires = form.moments()
            try:
                training_record_add(
                    user=person,
                    course=form.cleaned_data["course"],
                    completed_at=completed,
                    expires_at=expires,
                    actor=self.user,
                )
            except ValidationError as exc:
                for name, texts in exc.message_dict.items():
                    field = {"expires_at": "expires_on"}.get(name)
                    for text in texts:
                        form.add_error(field, text)
            else:
                messages.success(request, _("Training record added."))
                return redirect("portal:admin_user", user_id=person.pk)
        described(form)
        return self.page(request, person, form, status=400)

    def page(
        self, request: HttpRequest, person: User, form: TrainingRecordForm, status: int = 200
    ) -> HttpResponse:
        row = _user_row(person)
        context = {
            "person": person,
            "roles": row["roles"],
            "trained_until": row["trained_until"],
            "form": form,
            "records": training_records_of(agency=self.agency, user=person),
            "tokens": token_list(agency=self.agency, user_id=person.pk),
            "history": user_history(agency=self.agency, user=person),
            "is_self": person.pk == self.user.pk,
        }
        return render(request, "portal/admin_user.html", context, status=status)


class AdminUserActiveView(AdminUserMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST active=false|true``: disable a user (their tokens stop at once) or enable again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, user_id: int) -> HttpResponse:
        person = self.subject_user(user_id)
        active = request.POST.get("active") == "true"
        if not active and person.pk == self.user.pk:
            messages.error(request, _("You cannot disable your own account."))
            return redirect("portal:admin_user", user_id=person.pk)
        changed = user_active_set(
            agency=self.agency, user_id=person.pk, active=active, actor=self.user
        )
        if changed is None:
            raise Http404
        text = (
            _("%(name)s is enabled again.")
            if active
            else _(
                "%(name)s is disabled: their tokens stopped working and their searches in "
                "progress were stopped."
            )
        )
        messages.success(request, text % {"name": changed.username})
        return redirect("portal:admin_user", user_id=person.pk)


class AdminTokenListView(ActionRequiredMixin, StaffMixin, View):
    """Every API token of the agency's users, newest first."""

    actions = ("users.manage",)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "portal/admin_tokens.html", {"tokens": token_list(agency=self.agency)}
        )


class AdminTokenRevokeView(ActionRequiredMixin, ReauthenticatedPostMixin, StaffMixin, View):
    """``POST``: revoke one of the agency's tokens at once."""

    actions = ("users.manage",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, token_id: int) -> HttpResponse:
        token = token_get(agency=self.agency, token_id=token_id)
        if token is None:
            raise Http404
        if token_revoke(agency=self.agency, token_id=token.pk, actor=self.user):
            messages.success(request, _("Token %(prefix)s revoked.") % {"prefix": token.prefix})
        else:
            messages.error(
                request, _("Token %(prefix)s was already revoked.") % {"prefix": token.prefix}
            )
        back = request.POST.get("back", "")
        if back.isdigit() and user_get(agency=self.agency, user_id=int(back)) is not None:
            return redirect("portal:admin_user", user_id=int(back))
        return redirect("portal:admin_tokens")


GALLERY_ACTIONS: tuple[str, ...] = ("subjects.list", "enrollment_batches.list")


class AdminGalleryListView(ActionRequiredMixin, StaffMixin, View):
    """The agency's galleries, with their subjects and enrollment batches counted."""

    actions = GALLERY_ACTIONS

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "portal/admin_galleries.html", {"rows": gallery_rows(agency=self.agency)}
        )


class AdminGalleryDetailView(ActionRequiredMixin, StaffMixin, View):
    """One gallery: its enrollment batches, its subjects a page at a time, and, for agency
    admins, a form to enroll a subject's photos."""

    actions = GALLERY_ACTIONS

    def gallery(self, slug: str) -> Gallery:
        gallery = gallery_get(agency=self.agency, slug=slug)
        if gallery is None:
            raise Http404
        return gallery

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self.page(request, self.gallery(slug), SubjectEnrollForm())

    def page(
        self, request: HttpRequest, gallery: Gallery, form: SubjectEnrollForm, status: int = 200
    ) -> HttpResponse:
        context: dict[str, Any] = {
            "gallery": gallery,
            "subjects": None,
            "batches": None,
            "form": None,
            "may_import": action_allowed(user=self.user, action="legal_event.record"),
        }
        if action_allowed(user=self.user, action="subjects.list"):
            context["subjects"] = gallery_subjects_page(
                agency=self.agency, gallery=gallery, page=request.GET.get("page")
            )
        if action_allowed(user=self.user, action="enrollment_batches.list"):
            context["batches"] = [
                {"batch": b, "status_label": label(BATCH_STATUS_LABELS, b.status)}
                for b in gallery_batches(agency=self.agency, gallery=gallery)
            ]
        if action_allowed(user=self.user, action="subject.enroll"):
            context["form"] = form
        return render(request, "portal/admin_gallery.html", context, status=status)


class AdminEnrollView(AdminGalleryDetailView):
    """``POST``: one subject's photos; a worker enrolls them and the batch's page follows it."""

    actions = ("subject.enroll",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        gallery = self.gallery(slug)
        form = SubjectEnrollForm(request.POST, request.FILES)
        if not form.is_valid():
            described(form)
            return self.page(request, gallery, form, status=400)
        data = form.cleaned_data
        items = [
            UploadItem(
                subject_ref=data["ref"],
                filename=image.name or "upload",
                content=image.read(),
                display_name=data["display_name"],
            )
            for image in data["images"]
        ]
        batch = enrollment_batch_create(
            gallery=gallery,
            items=items,
            created_by=self.user,
            actor=self.user,
            several_faces=data["several_faces"],
        )
        return redirect("portal:admin_batch", batch_id=batch.id)


RESULT_LABELS: dict[str, Promise] = {
    "enrolled": pgettext_lazy("enrollment file", "Enrolled"),
    "rejected": pgettext_lazy("enrollment file", "Rejected"),
    "skipped": pgettext_lazy("enrollment file", "Skipped"),
    "held": pgettext_lazy("enrollment file", "Held for a face choice"),
}


class AdminBatchDetailView(ActionRequiredMixin, StaffMixin, View):
    """One enrollment batch: its progress and the outcome of every file."""

    actions = ("enrollment_batches.list",)

    def get(self, request: HttpRequest, batch_id: uuid.UUID) -> HttpResponse:
        batch = batch_get(agency=self.agency, batch_id=batch_id)
        if batch is None:
            raise Http404
        results = [
            {**r, "status_label": label(RESULT_LABELS, str(r.get("status", "")))}
            for r in batch.results
        ]
        return render(
            request,
            "portal/admin_batch.html",
            {
                "batch": batch,
                "status_label": label(BATCH_STATUS_LABELS, batch.status),
                "results": results,
                "live": batch.status in ("queued", "running"),
                "held": [h for h in held_photo_list(agency=self.agency) if h.batch_id == batch.id]
                if action_allowed(user=self.user, action="held_photo.resolve")
                else [],
            },
        )


def _held_boxes(held: HeldPhoto) -> list[FaceBox]:
    """Place a held photo's faces (``[top, right, bottom, left]``) in percent, left to right."""

    def share(value: float, whole: int) -> float:
        return round(min(max(value / whole, 0.0), 1.0) * 100, 3)

    boxes = [
        FaceBox(
            index=i,
            left=share(left, held.width),
            top=share(top, held.height),
            width=share(right - left, held.width),
            height=share(bottom - top, held.height),
        )
        for i, (top, right, bottom, left) in enumerate(held.boxes)
    ]
    return sorted(boxes, key=lambda b: b.left)


HELD_MESSAGES: dict[str, Promise] = {
    HELD_FACE_OUT_OF_RANGE: gettext_lazy("Choose one of the outlined faces."),
    HELD_PHOTO_RESOLVED: gettext_lazy("This photo has already been resolved."),
}


class AdminHeldPhotoView(ActionRequiredMixin, StaffMixin, View):
    """A photo held at enrollment: pick the subject's face to enroll it, or discard the photo."""

    actions = ("held_photo.resolve",)

    def held(self, held_id: uuid.UUID) -> HeldPhoto:
        held = held_photo_get(agency=self.agency, held_id=held_id)
        if held is None:
            raise Http404
        return held

    def get(self, request: HttpRequest, held_id: uuid.UUID) -> HttpResponse:
        return self.page(request, self.held(held_id))

    def post(self, request: HttpRequest, held_id: uuid.UUID) -> HttpResponse:
        held = self.held(held_id)
        raw = request.POST.get("face", "")
        face = int(raw) if raw.isascii() and raw.isdigit() else -1
        try:
            if request.POST.get("action") == "discard":
                held_photo_discard(user=self.user, held_id=held.id)
                messages.success(request, _("Photo %(file)s discarded.") % {"file": held.filename})
            else:
                held_photo_resolve(user=self.user, held_id=held.id, face=face)
                messages.success(
                    request, _("Face enrolled for %(ref)s.") % {"ref": held.subject_ref}
                )
        except HeldPhotoError as exc:
            if exc.http_status == 404:
                raise Http404 from exc
            error = str(HELD_MESSAGES.get(exc.code, exc.message))
            return self.page(
                request,
                self.held(held_id),
                error=error,
                chosen=face if face >= 0 else None,
                status=exc.http_status,
            )
        if held.batch_id is not None:
            return redirect("portal:admin_batch", batch_id=held.batch_id)
        return redirect("portal:admin_gallery", slug=held.gallery.slug)

    def page(
        self,
        request: HttpRequest,
        held: HeldPhoto,
        *,
        error: str = "",
        chosen: int | None = None,
        status: int = 200,
    ) -> HttpResponse:
        pending = held.status == HeldPhotoStatus.PENDING
        return render(
            request,
            "portal/admin_held_photo.html",
            {
                "held": held,
                "pending": pending,
                "boxes": _held_boxes(held) if pending else [],
                "total": len(held.boxes),
                "error": error,
                "chosen": chosen,
            },
            status=status,
        )


class AdminHeldPhotoPictureView(ActionRequiredMixin, StaffMixin, View):
    """A pending held photo's picture; never cached, each viewing audited by the service."""

    actions = ("held_photo.resolve",)

    def get(self, request: HttpRequest, held_id: uuid.UUID) -> HttpResponse:
        try:
            content = held_photo_image(user=self.user, held_id=held_id)
        except HeldPhotoError as exc:
            raise Http404(exc.message) from exc
        response = HttpResponse(content, content_type="image/jpeg")
        response["Cache-Control"] = "no-store"
        return response
