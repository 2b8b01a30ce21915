"""The agency admin's forms: a new user with roles, a training record."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matching.enrollment import ENROLL_MAX_BYTES
from matching.models import SeveralFaces
from portal.labels import ROLE_LABELS
from tenants.models import AGENCY_ROLES

# The directory's refusals in the reader's language, by field.
USER_ERRORS = {
    "username": _("A user with this username already exists."),
    "roles": _("Choose roles of an agency."),
}


def described(form: forms.Form) -> None:
    """Point each invalid input at its error text, so screen readers announce it."""
    for name in form.errors:
        if name in form.fields:
            field = form.fields[name]
            ids = [f"id_{name}_helptext"] if field.help_text else []
            field.widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_errors"])


class UserCreateForm(forms.Form):
    """A user of the agency: who they are, their roles and, to sign in, a first password."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(r, ROLE_LABELS[r]) for r in AGENCY_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(
        label=_("First password"),
        required=False,
        min_length=12,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Leave empty for an account that uses API tokens "
            "only. The person enrols a second factor at first sign-in."
        ),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if password:
            validate_password(password)
        return password

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show the directory's refusal beside the field it concerns."""
        for name, messages in exc.message_dict.items():
            field = name if name in self.fields else None
            text = USER_ERRORS.get(name) if field else None
            for message in messages:
                self.add_error(field, text or message)


class TrainingRecordForm(forms.Form):
    """A completed facial recognition course and the day it lapses."""

    course = forms.CharField(label=_("Course"), max_length=200)
    completed_on = forms.DateField(
        label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    expires_on = forms.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        completed, expires = data.get("completed_on"), data.get("expires_on")
        if completed and expires and expires <= completed:
            self.add_error("expires_on", _("The expiry must come after the completion."))
        return data

    def moments(self) -> tuple[datetime, datetime]:
        """Return the completion (start of its day) and the expiry (end of its day)."""
        zone = timezone.get_current_timezone()
        completed = datetime.combine(self.cleaned_data["completed_on"], time.min, zone)
        expires = datetime.combine(self.cleaned_data["expires_on"], time.max, zone)
        return completed, expires


class ImagesInput(forms.FileInput):
    """A file input that takes several photos at once."""

    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """One or more uploaded photos, each checked like a single file."""

    widget = ImagesInput(attrs={"accept": "image/jpeg,image/png"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = list(data) if isinstance(data, list | tuple) else [data]
        if not files:
            files = [None]  # none sent: the field's own "required" refusal
        return [super(ImagesField, self).clean(f, initial) for f in files]


class SubjectEnrollForm(forms.Form):
    """One subject's photos for a gallery: enrolled by a worker, batch by batch."""

    ref = forms.CharField(
        label=_("Record reference"),
        max_length=120,
        help_text=_("The agency's own reference for this person (a booking or file number)."),
    )
    display_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    images = ImagesField(label=_("Photos (JPEG or PNG)"))
    several_faces = forms.ChoiceField(
        label=_("A photo that shows several faces"),
        choices=[
            (SeveralFaces.HOLD, _("Hold it until an administrator picks the face")),
            (SeveralFaces.REFUSE, _("Reject it")),
            (SeveralFaces.LARGEST, _("Enroll the largest face")),
        ],
        initial=SeveralFaces.HOLD,
        widget=forms.RadioSelect,
    )

    def clean_images(self) -> list[Any]:
        images: list[Any] = self.cleaned_data["images"]
        for image in images:
            if image.size is not None and image.size > ENROLL_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(file)s is too large.") % {"file": image.name}, code="image_too_large"
                )
        return images
