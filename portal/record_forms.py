"""The authority-record forms: enter a warrant, an exigent approval or an agreement; revoke one.

The fields are the portal's; the rules are the API's input serializers (``authorizations
.serializers``), which each form runs on its cleaned data, so a rule holds the same way in both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    InteragencyKind,
    Warrant,
    WarrantKind,
)
from authorizations.serializers import AgreementInput, ExigentInput, RevokeInput, WarrantInput
from authorizations.services import DOCUMENT_MAX_BYTES
from policy.vocabulary import PURPOSES_PERMITTED
from portal.forms import DescribedForm
from portal.labels import AGREEMENT_KIND_LABELS, PURPOSE_LABELS, REGION_LABELS, WARRANT_KIND_LABELS
from tenants.models import JURISDICTIONS

# The service's refusals in the reader's language, and the field each belongs to.
RECORD_ERRORS: dict[str, tuple[str | None, Promise]] = {
    "document_missing": ("document", _("Attach the signed document.")),
    "document_type_unsupported": ("document", _("Attach the document as PDF, JPEG or PNG.")),
    "payload_too_large": ("document", _("The document is too large.")),
    "exigent_grantee_invalid": ("granted_to", _("No such investigator or analyst in your agency.")),
}
# The input serializers' own rules, in the reader's language.
RULE_MESSAGES = {"Must be after issued_at.": _("The expiry must be after the issue date.")}


def _moment_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


def _rfc3339(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _regions() -> list[tuple[str, Promise]]:
    return [(code, REGION_LABELS[code]) for code in JURISDICTIONS]


class RecordForm(DescribedForm):
    """A record with its document; subclasses name the model and the API's input serializer."""

    model: ClassVar[type[AuthorizationRecord]]
    rules: ClassVar[type[serializers.Serializer[Any]]]
    document_required: ClassVar[bool] = True

    document = forms.FileField(
        label=_("Signed document (PDF, JPEG or PNG)"),
        help_text=_("The copy of the authorization; its content decides its type."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].required = self.document_required
        self.validated: dict[str, Any] = {}

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        size = getattr(document, "size", None)
        if size is not None and size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(_("The document is too large."))
        return document

    def rule_input(self) -> dict[str, Any]:
        """Return the cleaned fields as the input serializer reads them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "document"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        checked = self.rules(data=self.rule_input())
        if checked.is_valid():
            self.validated = dict(checked.validated_data)
            return cleaned
        for name, texts in checked.errors.items():
            field = name if name in self.fields else None
            for text in texts:
                self.add_error(field, str(RULE_MESSAGES.get(str(text), str(text))))
        return cleaned

    def add_service_error(self, code: str, message: str) -> None:
        """Show the service's refusal beside its field, in the reader's language."""
        field, text = RECORD_ERRORS.get(code, (None, message))
        self.add_error(field, forms.ValidationError(str(text), code=code))


class WarrantForm(RecordForm):
    """A search warrant, general warrant or production order of one case."""

    model = Warrant
    rules = WarrantInput

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k, WARRANT_KIND_LABELS[k]) for k in WarrantKind.values]
    )
    number = forms.CharField(label=_("Number on the order"), max_length=100)
    case_number = forms.CharField(label=_("Case number"), max_length=100)
    authorized_case_number = forms.CharField(
        label=_("Case number the order names"),
        max_length=100,
        help_text=_("As written on the order; searches of another case are denied."),
    )
    issuing_court = forms.CharField(label=_("Issuing court"), max_length=200)
    issuing_jurisdiction = forms.ChoiceField(label=_("Court's province or territory"))
    issued_at = _moment_field(_("Issued at"))
    expires_at = _moment_field(_("Expires at"))
    authorized_purposes = forms.MultipleChoiceField(
        label=_("Purposes the order authorizes"),
        choices=[(p, PURPOSE_LABELS[p]) for p in PURPOSES_PERMITTED],
        widget=forms.CheckboxSelectMultiple,
    )
    endorsed_jurisdictions = forms.MultipleChoiceField(
        label=_("Provinces or territories where it is endorsed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    applicant_agency_id = forms.CharField(
        label=_("Applicant agency (identifier)"), max_length=40, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("issuing_jurisdiction", "endorsed_jurisdictions"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = _regions()

    def rule_input(self) -> dict[str, Any]:
        data = super().rule_input()
        data["issued_at"] = _rfc3339(data["issued_at"])
        data["expires_at"] = _rfc3339(data["expires_at"])
        return data


class ExigentForm(RecordForm):
    """A supervisor's approval, asked for one case, one officer and one purpose."""

    model = ExigentApproval
    rules = ExigentInput
    document_required = False

    case_number = forms.CharField(label=_("Case number"), max_length=100)
    granted_to = forms.CharField(
        label=_("Officer who may rely on it (username)"),
        max_length=150,
        help_text=_("An investigator or analyst of your agency."),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=[(p, PURPOSE_LABELS[p]) for p in PURPOSES_PERMITTED]
    )
    category = forms.CharField(
        label=_("Circumstances"),
        max_length=80,
        help_text=_("For example imminent threat to life."),
    )
    reason = forms.CharField(
        label=_("Why a warrant cannot be obtained in time"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AgreementForm(RecordForm):
    """A cooperation agreement with another police service or country."""

    model = InteragencyAgreement
    rules = AgreementInput

    reference = forms.CharField(label=_("Agreement reference"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k, AGREEMENT_KIND_LABELS[k]) for k in InteragencyKind.values]
    )
    partner_agency_id = forms.CharField(
        label=_("Partner agency (identifier)"), max_length=40, required=False
    )
    partner_jurisdiction = forms.CharField(
        label=_("Partner's jurisdiction"),
        max_length=10,
        help_text=_("A region code, for example CA-QC or US-NY."),
    )
    expires_at = _moment_field(_("Expires at"))

    def rule_input(self) -> dict[str, Any]:
        data = super().rule_input()
        data["expires_at"] = _rfc3339(data["expires_at"])
        return data


RECORD_FORMS: dict[str, type[RecordForm]] = {
    "warrants": WarrantForm,
    "exigent-approvals": ExigentForm,
    "interagency-agreements": AgreementForm,
}


class RevokeForm(DescribedForm):
    """Why a record is revoked (kept on the record and its audit event)."""

    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not RevokeInput(data=cleaned).is_valid():
            self.add_error("reason", _("Say why the record is revoked."))
        return cleaned
