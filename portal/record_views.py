"""Authority records in the browser: the agency's list, a record, its document, entering one,
and a supervisor's verification or revocation.

The rules are ``authorizations.services``'s (who enters, a different supervisor verifies, who
revokes, what a document may be) and who reads what is the role table's; these views translate
between HTTP and them. Another agency's record is never found (404); a refusal is on record.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from authorizations.selectors import record_get
from authorizations.services import (
    DOCUMENT_MAX_BYTES,
    Document,
    exigent_grantee,
    record_enter,
    record_read_record,
    record_revoke,
    record_verify,
)
from portal.admin_views import ActionRequiredMixin
from portal.labels import (
    PURPOSE_LABELS,
    RECORD_STATE_LABELS,
    RECORD_TYPE_LABELS,
    REGION_LABELS,
    label,
)
from portal.mixins import ReauthenticatedPostMixin, StaffMixin
from portal.record_forms import RECORD_FORMS, RecordForm, RevokeForm
from portal.record_selectors import (
    RECORD_KINDS,
    moment_text,
    record_issuer,
    record_kind_label,
    record_state,
    records_page,
)
from portal.refusals import http_refusal, refusal_on_record
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.need_to_know import action_allowed, list_scope
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
# The services' refusals of a verification or revocation, in the reader's language.
ACTION_MESSAGES: dict[str, Promise] = {
    "self_verification_refused": gettext_lazy(
        "You entered this record (or it is granted to you): another supervisor verifies it."
    ),
    "record_state_conflict": gettext_lazy("The record is no longer in a state that allows this."),
    "permission_denied": gettext_lazy("Your role may not do this with authority records."),
}


class RecordListView(ActionRequiredMixin, StaffMixin, View):
    """The agency's authority records the person may read, newest first, by case if asked."""

    actions = ("authority_records.list",)

    def get(self, request: HttpRequest) -> HttpResponse:
        case_number = request.GET.get("case_number", "").strip()[:100]
        can_verify = action_allowed(user=self.user, action="authority_record.verify")
        awaiting_me = can_verify and request.GET.get("awaiting") == "me"
        page = records_page(
            agency=self.agency,
            user=self.user,
            scope=list_scope(user=self.user, entity="authority_records"),
            case_number=case_number,
            page=request.GET.get("page"),
            awaiting_me=awaiting_me,
        )
        query = urlencode(
            [("case_number", case_number)] * bool(case_number) + [("awaiting", "me")] * awaiting_me
        )
        context = {
            "page": page,
            "case_number": case_number,
            "can_verify": can_verify,
            "awaiting_me": awaiting_me,
            "query": query,
            "can_enter": action_allowed(user=self.user, action="authority_record.enter"),
        }
        return render(request, "portal/records.html", context)


class RecordMixin:
    """Resolve the agency's record from the URL and put its reading on the audit chain."""

    request: HttpRequest
    user: Any
    agency: Any

    def record(self, kind: str, record_id: uuid.UUID, *, document: bool) -> AuthorizationRecord:
        model = RECORD_KINDS.get(kind)
        record = (
            None
            if model is None
            else record_get(model=model, agency=self.agency, record_id=record_id)
        )
        if record is None:
            raise Http404
        try:
            record_read_record(user=self.user, record=record, document=document)
        except ApiError as exc:
            raise http_refusal(self.request, self.user, exc) from None
        return record

    def record_page(
        self,
        request: HttpRequest,
        kind: str,
        record: AuthorizationRecord,
        *,
        revoke_form: RevokeForm | None = None,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        state = record_state(record)
        context = {
            "record": record,
            "kind": kind,
            "type_label": label(RECORD_TYPE_LABELS, kind),
            "kind_label": record_kind_label(record),
            "state": state,
            "state_label": label(RECORD_STATE_LABELS, state),
            "facts": _facts(record),
            "people": _people(record),
            "can_verify": record.status == RecordStatus.PENDING
            and action_allowed(user=self.user, action="authority_record.verify"),
            "can_revoke": record.status != RecordStatus.REVOKED
            and action_allowed(user=self.user, action="authority_record.revoke"),
            "revoke_form": revoke_form or RevokeForm(),
            "error": error,
        }
        return render(request, "portal/record_detail.html", context, status=status)


def _moment(value: Any) -> str:
    return moment_text(value) if value is not None else "—"


def _facts(record: AuthorizationRecord) -> list[tuple[str, str]]:
    """Return what the record says, labelled, in the order a reader checks it."""
    if isinstance(record, Warrant):
        return [
            (_("Kind"), record_kind_label(record)),
            (_("Number on the order"), record.number),
            (_("Case number"), record.case_number),
            (_("Case number the order names"), record.authorized_case_number),
            (_("Issuing court"), record.issuing_court),
            (_("Court's province or territory"), label(REGION_LABELS, record.issuing_jurisdiction)),
            (_("Issued at"), _moment(record.issued_at)),
            (_("Expires at"), _moment(record.expires_at)),
            (
                _("Purposes the order authorizes"),
                ", ".join(label(PURPOSE_LABELS, p) for p in record.authorized_purposes),
            ),
            (
                _("Provinces or territories where it is endorsed"),
                ", ".join(label(REGION_LABELS, r) for r in record.endorsed_jurisdictions) or "—",
            ),
            (_("Applicant agency (identifier)"), record.applicant_agency_id or "—"),
        ]
    if isinstance(record, InteragencyAgreement):
        return [
            (_("Agreement reference"), record.reference),
            (_("Kind"), record_kind_label(record)),
            (_("Partner"), record_issuer(record)),
            (_("Partner's jurisdiction"), label(REGION_LABELS, record.partner_jurisdiction)),
            (_("Expires at"), _moment(record.expires_at)),
        ]
    assert isinstance(record, ExigentApproval)  # noqa: S101 - the three kinds
    return [
        (_("Case number"), record.case_number),
        (_("Granted to"), record.granted_to.username),
        (_("Purpose"), label(PURPOSE_LABELS, record.purpose)),
        (_("Circumstances"), record.category),
        (_("Why a warrant cannot be obtained in time"), record.reason),
    ]


def _people(record: AuthorizationRecord) -> list[tuple[str, str]]:
    """Return who entered, verified and revoked the record, and when."""
    people = [(_("Entered by"), f"{record.entered_by.username}, {_moment(record.created_at)}")]
    if record.verified_by is not None:
        people.append(
            (_("Verified by"), f"{record.verified_by.username}, {_moment(record.verified_at)}")
        )
    if record.revoked_by is not None:
        people.append(
            (_("Revoked by"), f"{record.revoked_by.username}, {_moment(record.revoked_at)}")
        )
        people.append((_("Reason for revoking"), record.revocation_reason))
    return people


class RecordDetailView(ActionRequiredMixin, RecordMixin, StaffMixin, View):
    """One record: its facts, its people, its document and, for supervisors, what they may do."""

    actions = ("authority_records.list",)

    def get(self, request: HttpRequest, kind: str, record_id: uuid.UUID) -> HttpResponse:
        return self.record_page(request, kind, self.record(kind, record_id, document=False))


class RecordDocumentView(ActionRequiredMixin, RecordMixin, StaffMixin, View):
    """The record's document as uploaded, for those who may read the record; never cached."""

    actions = ("authority_records.list",)

    def get(self, request: HttpRequest, kind: str, record_id: uuid.UUID) -> HttpResponse:
        # The opening is audited in the transaction that reads the bytes.
        with agency_transaction(self.agency.id):
            record = self.record(kind, record_id, document=True)
            content = bytes(record.document) if record.document is not None else b""
        if not content:
            raise Http404
        kind_type = record.document_type
        response = HttpResponse(
            content,
            content_type=kind_type if kind_type in DOCUMENT_TYPES else "application/octet-stream",
        )
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Content-SHA256"] = record.document_sha256
        return response


class RecordNewView(ActionRequiredMixin, StaffMixin, View):
    """Enter a record with its document; it waits for a supervisor other than its author."""

    actions = ("authority_record.enter",)

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(
            total_bytes=DOCUMENT_MAX_BYTES + FORM_FIELDS_ALLOWANCE,
            files={"document": FileCap(DOCUMENT_MAX_BYTES)},
        )

    def form_class(self, kind: str) -> type[RecordForm]:
        if kind not in RECORD_FORMS:
            raise Http404
        return RECORD_FORMS[kind]

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        case_number = request.GET.get("case_number", "")[:100]
        initial = {
            "case_number": case_number,
            "authorized_case_number": case_number,
            "granted_to": self.user.username,
        }
        return self.page(request, kind, self.form_class(kind)(initial=initial))

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        form = self.form_class(kind)(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            fields = dict(form.validated)
            upload = form.cleaned_data.get("document")
            document = (
                Document(name=upload.name or "document", content=upload.read()) if upload else None
            )
            try:
                if form.model is ExigentApproval:
                    fields["granted_to"] = exigent_grantee(
                        user=self.user, username=fields["granted_to"]
                    )
                record = record_enter(
                    user=self.user, record=form.model(**fields), document=document
                )
            except ApiError as exc:
                refusal_on_record(request, self.user, exc)
                form.add_service_error(exc.error_code, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request, _("Record entered: a supervisor other than you verifies it next.")
                )
                return redirect("portal:record", kind=kind, record_id=record.id)
        form.errors_described()
        return self.page(request, kind, form, status=status)

    def page(
        self, request: HttpRequest, kind: str, form: RecordForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "form": form,
            "kind": kind,
            "type_label": label(RECORD_TYPE_LABELS, kind),
            "kinds": [(k, label(RECORD_TYPE_LABELS, k)) for k in RECORD_FORMS],
            "case_number": request.GET.get("case_number", "")[:100],
        }
        return render(request, "portal/record_new.html", context, status=status)


class RecordVerifyView(
    ActionRequiredMixin, RecordMixin, ReauthenticatedPostMixin, StaffMixin, View
):
    """``POST``: verify (or approve) the record, as a supervisor other than its author."""

    actions = ("authority_record.verify",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, kind: str, record_id: uuid.UUID) -> HttpResponse:
        record = self.record(kind, record_id, document=False)
        try:
            record_verify(user=self.user, record=record)
        except ApiError as exc:
            refusal_on_record(request, self.user, exc)
            error = str(ACTION_MESSAGES.get(exc.error_code, exc.message))
            return self.record_page(request, kind, record, error=error, status=exc.status_code)
        messages.success(request, _("The record is verified: searches of its case may rely on it."))
        return redirect("portal:record", kind=kind, record_id=record.id)


class RecordRevokeView(
    ActionRequiredMixin, RecordMixin, ReauthenticatedPostMixin, StaffMixin, View
):
    """``POST reason``: revoke the record; searches relying on it stop or are quarantined."""

    actions = ("authority_record.revoke",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, kind: str, record_id: uuid.UUID) -> HttpResponse:
        record = self.record(kind, record_id, document=False)
        form = RevokeForm(request.POST)
        if not form.is_valid():
            form.errors_described()
            return self.record_page(request, kind, record, revoke_form=form, status=400)
        try:
            _revoked, affected = record_revoke(
                user=self.user, record=record, reason=form.cleaned_data["reason"]
            )
        except ApiError as exc:
            refusal_on_record(request, self.user, exc)
            error = str(ACTION_MESSAGES.get(exc.error_code, exc.message))
            return self.record_page(request, kind, record, error=error, status=exc.status_code)
        messages.success(
            request,
            _(
                "The record is revoked: %(cancelled)d search(es) relying on it cancelled, "
                "%(quarantined)d finished one(s) quarantined."
            )
            % {
                "cancelled": affected.get("searches_cancelled", 0),
                "quarantined": affected.get("searches_quarantined", 0),
            },
        )
        return redirect("portal:record", kind=kind, record_id=record.id)
