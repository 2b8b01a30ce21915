"""The forms of legal events, legal holds, their CSV import and lead outcomes.

The fields are the services' (``matching.legal_events``, ``matching.lead_outcomes``); a refusal
by a service is shown beside the field it names, in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from matching import legal_events as le
from matching import subject_corrections as sc
from matching.lead_outcomes import NOT_A_LEAD, TRAINING_REQUIRED
from matching.models import LeadOutcome, LegalEventKind
from portal.admin_forms import described
from portal.labels import LEAD_OUTCOME_LABELS, LEGAL_EVENT_KIND_LABELS
from tenants.errors import ApiError

NOTE_MAX = 2000

SERVICE_MESSAGES: dict[str, Promise] = {
    le.LEGAL_EVENT_DATE_FUTURE: _("An event of this kind cannot be dated in the future."),
    le.LEGAL_EVENT_FIELD_MISSING: _("This field is required."),
    le.LEGAL_EVENT_FIELD_TOO_LONG: _("This is too long."),
    le.LEGAL_EVENT_KIND_UNKNOWN: _("Choose one of the kinds of event."),
    le.SUBJECT_PURGED: _("This subject has already been purged."),
    le.LEGAL_HOLD_EXISTS: _("This subject is already on legal hold."),
    le.LEGAL_HOLD_LIFTED: _("This hold has already been lifted."),
    le.LEGAL_EVENT_DATE_INVALID: _("The date must be written YYYY-MM-DD."),
    le.LEGAL_EVENT_DUPLICATE_ROW: _("The same event appears on an earlier row."),
    le.SUBJECT_NOT_FOUND: _("No subject of the agency has this reference."),
    le.SUBJECT_AMBIGUOUS: _("Several galleries hold this reference: name the gallery."),
    le.LEGAL_EVENTS_FILE_INVALID: _("The file cannot be read as the CSV file described below."),
    sc.CORRECTION_FIELD_INVALID: _("Too long, or not on one line."),
    sc.CORRECTION_REASON_MISSING: _("Say why the record is corrected."),
    sc.SUBJECT_UNCHANGED: _("This is already the subject's name."),
    NOT_A_LEAD: _("Only a confirmed possible match is a lead."),
    TRAINING_REQUIRED: _("Current facial recognition training is required."),
    "mfa_required": _("Sign in with a second factor to record an outcome."),
}

# A service's field names, as the portal's forms name them.
FIELD_NAMES = {"event_date": "event_date", "kind": "kind", "reference": "reference"}


class ServiceErrorsForm(forms.Form):
    """A form that shows a service's refusal beside the field it concerns, or above the form
    (beside ``default_field`` when the form names one)."""

    default_field: str | None = None

    def add_service_error(self, exc: ApiError) -> None:
        text = SERVICE_MESSAGES.get(exc.error_code)
        named = [n for n in exc.fields if FIELD_NAMES.get(n, n) in self.fields]
        if named:
            for name in named:
                self.add_error(FIELD_NAMES.get(name, name), str(text or exc.message))
        else:
            self.add_error(self.default_field, str(text or exc.message))
        described(self)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LegalEventForm(ServiceErrorsForm):
    """A legal event in a subject's criminal record, from the court or the records system."""

    kind = forms.ChoiceField(
        label=_("Event"),
        choices=[("", "—"), *((k, LEGAL_EVENT_KIND_LABELS[k]) for k in LegalEventKind.values)],
    )
    event_date = forms.DateField(label=_("Date of the event"), widget=_date_input())
    reference = forms.CharField(
        label=_("Reference"),
        max_length=le.REFERENCE_MAX,
        help_text=_("The court docket or records-system reference."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LegalHoldForm(ServiceErrorsForm):
    """Why the subject's purge must wait (litigation, an appeal, a stay the Crown may end)."""

    reason = forms.CharField(
        label=_("Reason for the hold"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LegalHoldLiftForm(ServiceErrorsForm):
    """Why the hold ends."""

    reason = forms.CharField(
        label=_("Reason for lifting the hold"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LegalEventsImportForm(ServiceErrorsForm):
    """A CSV file of legal events exported from a records system."""

    default_field = "file"

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "Columns subject_ref, kind, event_date (YYYY-MM-DD) and reference; note and "
            "gallery are optional. Every row is checked first: one bad row and nothing is "
            "written."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > le.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."), code="file_too_large")
        return upload


class LeadOutcomeForm(ServiceErrorsForm):
    """What the investigation made of a possible match."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(o, LEAD_OUTCOME_LABELS[o]) for o in LeadOutcome.values],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The evidence that confirmed or excluded the person, or the charge laid."),
    )


class SubjectCorrectionForm(ServiceErrorsForm):
    """A subject's corrected display name and why (the service checks both)."""

    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": sc.DISPLAY_NAME_MAX}),
        help_text=_("As the agency's records write it; leave empty to show none."),
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": sc.REASON_MAX}),
    )
