"""The portal's forms: labels from the vocabularies, the service's codes mapped to fields."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from matching.models import Gallery
from matching.searches import SearchRequest
from policy.vocabulary import PROBE_SOURCES, PURPOSES_PERMITTED, PURPOSES_PROHIBITED
from portal.labels import (
    DISPOSITION_LABELS,
    OFFENCE_CATEGORY_LABELS,
    PROBE_SOURCE_LABELS,
    PURPOSE_LABELS,
    REGION_LABELS,
)
from portal.record_selectors import AuthorityChoices
from tenants.models import JURISDICTIONS

YES_NO = [("false", _("No")), ("true", _("Yes"))]
# Where a service error code belongs on the form; anything else is shown above it.
ERROR_FIELDS = {
    "gallery_not_found": "gallery",
    "warrant_not_found": "warrant_id",
    "exigent_approval_not_found": "exigent_approval_id",
    "interagency_agreement_not_found": "interagency_agreement_id",
}

AUTHORITY_FIELDS = ("warrant_id", "exigent_approval_id", "interagency_agreement_id")
# Refusals of a chosen record that do not say which: shown beside it when only one was chosen.
AUTHORITY_CODES = {"authority_unverified", "authority_revoked"}

# The service's refusals in the reader's language (its own messages are English).
SERVICE_MESSAGES = {
    "image_missing": _("Attach the probe image."),
    "image_type_unsupported": _("The probe must be a JPEG or PNG image."),
    "image_too_large": _("The probe image is too large."),
    "image_corrupt": _("The probe image cannot be read."),
    "image_truncated": _("The probe image is incomplete."),
    "image_decompression_bomb": _("The probe image has too many pixels."),
    "gallery_not_found": _("No such gallery in your agency."),
    "warrant_not_found": _("No such warrant record in your agency."),
    "exigent_approval_not_found": _("No such exigent approval record in your agency."),
    "interagency_agreement_not_found": _("No such interagency agreement record in your agency."),
    "authority_unverified": _("The authority record has not been verified by a supervisor."),
    "authority_revoked": _("The authority record has been revoked."),
}


class DescribedForm(forms.Form):
    """A form whose invalid inputs name their error text (``_field.html`` renders it)."""

    def errors_described(self) -> None:
        """Point each invalid input at its error text, so screen readers announce it."""
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                ids = [f"id_{name}_helptext"] if field.help_text else []
                field.widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_errors"])


class SearchForm(DescribedForm):
    """A new search: what the requester claims, and the probe; the session says who they are."""

    probe = forms.FileField(label=_("Probe image (JPEG or PNG)"))
    case_number = forms.CharField(label=_("Case number"), max_length=100)
    purpose = forms.ChoiceField(label=_("Purpose"))
    offence_category = forms.ChoiceField(label=_("Offence"), required=False)
    offence_code = forms.CharField(
        label=_("Offence section"),
        max_length=100,
        required=False,
        help_text=_("For example CC 344 (robbery)."),
    )
    offence_indictable = forms.TypedChoiceField(
        label=_("Indictable or hybrid offence"),
        choices=YES_NO,
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
        initial="true",
    )
    gallery = forms.ChoiceField(label=_("Gallery"))
    justification = forms.CharField(
        label=_("Justification"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why facial recognition is necessary and proportionate for this search."),
    )
    probe_source = forms.ChoiceField(label=_("Source of the probe"))
    probe_collected_in = forms.ChoiceField(label=_("Province or territory where it was collected"))
    probe_collected_municipality = forms.CharField(
        label=_("Municipality where it was collected"), max_length=120, required=False
    )
    probe_captured_at = forms.DateTimeField(
        label=_("Captured at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    probe_subject_believed_minor = forms.TypedChoiceField(
        label=_("Is the person believed to be under 18?"),
        choices=YES_NO,
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    warrant_id = forms.TypedChoiceField(
        label=_("Warrant or production order"),
        required=False,
        coerce=uuid.UUID,
        empty_value=None,
        help_text=_("A verified, unexpired record of this case, if the search relies on one."),
    )
    exigent_approval_id = forms.TypedChoiceField(
        label=_("Exigent approval"), required=False, coerce=uuid.UUID, empty_value=None
    )
    interagency_agreement_id = forms.TypedChoiceField(
        label=_("Interagency agreement"), required=False, coerce=uuid.UUID, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        galleries: list[Gallery],
        authorities: AuthorityChoices,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.authority_choices(authorities)
        # The authority fields follow the case number as it is typed.
        self.fields["case_number"].widget.attrs.update(
            {
                "hx-get": reverse("portal:search_authorities"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "#authority-choices",
                "hx-sync": "this:replace",
            }
        )
        self._choice_field("purpose").choices = [
            ("", _("Choose a purpose")),
            *((code, PURPOSE_LABELS[code]) for code in PURPOSES_PERMITTED),
            (
                _("Prohibited purposes"),
                [(code, PURPOSE_LABELS[code]) for code in PURPOSES_PROHIBITED],
            ),
        ]
        self._choice_field("offence_category").choices = [
            ("", _("No offence (missing person, deceased)")),
            *OFFENCE_CATEGORY_LABELS.items(),
        ]
        self._choice_field("gallery").choices = [(g.slug, g.name) for g in galleries]
        self._choice_field("probe_source").choices = [
            ("", _("Choose a source")),
            *((c, PROBE_SOURCE_LABELS[c]) for c in PROBE_SOURCES),
        ]
        self._choice_field("probe_collected_in").choices = [
            (code, REGION_LABELS[code]) for code in JURISDICTIONS
        ]

    def authority_choices(self, authorities: AuthorityChoices) -> None:
        """Offer the case's verified, unexpired records; any other id is not a valid choice."""
        for name, options, none in (
            ("warrant_id", authorities.warrants, _("None: no warrant or production order")),
            ("exigent_approval_id", authorities.exigent_approvals, _("None: no exigent approval")),
            ("interagency_agreement_id", authorities.agreements, _("None: no agreement")),
        ):
            self._choice_field(name).choices = [("", none), *options]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        return field

    def clean_probe(self) -> Any:
        probe = self.cleaned_data["probe"]
        if probe.size is not None and probe.size > settings.PROBE_MAX_BYTES:
            raise forms.ValidationError(_("The probe image is too large."), code="image_too_large")
        return probe

    def search_request(self) -> SearchRequest:
        """Return the service's request built from the cleaned fields."""
        data = self.cleaned_data
        offence = None
        if data["offence_category"] or data["offence_code"]:
            offence = {
                "code": data["offence_code"],
                "category": data["offence_category"],
                "indictable": data["offence_indictable"],
            }
        return SearchRequest(
            gallery=data["gallery"],
            purpose=data["purpose"],
            case_number=data["case_number"],
            justification=data["justification"],
            offence=offence,
            warrant_id=data.get("warrant_id"),
            exigent_approval_id=data.get("exigent_approval_id"),
            agreement_id=data.get("interagency_agreement_id"),
            probe={
                "source": data["probe_source"],
                "collected_in": data["probe_collected_in"],
                "collected_municipality": data["probe_collected_municipality"],
                "subject_believed_minor": data["probe_subject_believed_minor"],
                "captured_at": data["probe_captured_at"].isoformat(timespec="seconds"),
            },
        )

    def add_service_error(self, code: str, message: str) -> None:
        """Show a service refusal beside the field it concerns (the probe's, for image codes)."""
        field = ERROR_FIELDS.get(code) or ("probe" if code.startswith("image_") else None)
        if code in AUTHORITY_CODES:
            chosen = [name for name in AUTHORITY_FIELDS if self.cleaned_data.get(name)]
            field = chosen[0] if len(chosen) == 1 else None
        text = SERVICE_MESSAGES.get(code, message)
        self.add_error(field, forms.ValidationError(text, code=code))


class TokenIssueForm(forms.Form):
    label = forms.CharField(label=_("What the token is for"), max_length=100)


# A reviewer's refusals in the reader's language; the service's own message is the fallback.
REVIEW_MESSAGES = {
    "requester_cannot_confirm": _("The requester cannot give a candidate's second review."),
    "second_reviewer_must_be_supervisor": _("A candidate's second review is a supervisor's."),
    "already_reviewed_by_you": _("You have already reviewed this candidate."),
    "candidate_already_decided": _("This candidate's review is already complete."),
    "training_required": _("Current facial recognition training is required to review."),
    "mfa_required": _("Sign in with a second factor to review candidates."),
    "permission_denied": _("Your role does not review the candidates of this search."),
    "search_state_conflict": _("This search is no longer awaiting review."),
}


class CandidateReviewForm(DescribedForm):
    """One person's disposition of one candidate, with what they compared."""

    disposition = forms.ChoiceField(
        label=_("Your disposition"),
        choices=[
            (code, DISPOSITION_LABELS[code])
            for code in ("possible_match", "not_a_match", "inconclusive")
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What you compared"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The features you examined and why they agree or differ."),
    )

    def add_service_error(self, code: str, message: str) -> None:
        """Show the service's refusal above the form, in the reader's language."""
        self.add_error(None, forms.ValidationError(REVIEW_MESSAGES.get(code, message), code=code))


class FollowUpCompleteForm(DescribedForm):
    """What the person did about a follow-up, which closes it."""

    note = forms.CharField(
        label=_("What was done"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: the review held with the officer, or the court's order."),
    )
