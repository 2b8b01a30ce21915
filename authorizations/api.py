"""REST API for warrants, exigent approvals and interagency agreements."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    Warrant,
)
from authorizations.serializers import AgreementInput, ExigentInput, RevokeInput, WarrantInput
from authorizations.services import (
    DOCUMENT_MAX_BYTES,
    Document,
    record_enter,
    record_revoke,
    record_verify,
)
from matching.api import AgencyApi
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Agency
from tenants.parsers import FormParser, JsonParser
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

KINDS: dict[str, tuple[type[AuthorizationRecord], Any]] = {
    "warrants": (Warrant, WarrantInput),
    "exigent-approvals": (ExigentApproval, ExigentInput),
    "interagency-agreements": (InteragencyAgreement, AgreementInput),
}
RECORD_NOT_FOUND = "record_not_found"
DATA_FIELDS = {
    Warrant: ["case_number", "kind", "number", "issuing_court", "issuing_jurisdiction",
              "issued_at", "expires_at", "authorized_purposes", "authorized_case_number",
              "endorsed_jurisdictions", "applicant_agency_id"],
    ExigentApproval: ["case_number", "category", "reason"],
    InteragencyAgreement: ["reference", "kind", "partner_agency_id", "partner_jurisdiction",
                           "expires_at"],
}


def record_output(record: AuthorizationRecord) -> dict[str, Any]:
    """Return the API representation of a record (the document itself is fetched apart)."""
    body: dict[str, Any] = {
        "id": str(record.id),
        "status": record.status,
        "entered_by": record.entered_by.username,
        "verified_by": record.verified_by.username if record.verified_by else None,
        "verified_at": record.verified_at.isoformat() if record.verified_at else None,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "revocation_reason": record.revocation_reason or None,
        "document": {"name": record.document_name, "type": record.document_type,
                     "sha256": record.document_sha256} if record.document_sha256 else None,
    }
    for name in DATA_FIELDS[type(record)]:
        value = getattr(record, name)
        body[name] = value.isoformat() if hasattr(value, "isoformat") else value
    expires_at = getattr(record, "expires_at", None)
    if expires_at is not None:
        body["expired"] = timezone.now() >= expires_at
    return body


def _kind(kind: str) -> tuple[type[AuthorizationRecord], Any]:
    if kind not in KINDS:
        raise ApiError(RECORD_NOT_FOUND, "Not found.", http_status=404)
    return KINDS[kind]


def _record(agency: Agency, kind: str, record_id: str) -> AuthorizationRecord:
    model, _ = _kind(kind)
    try:
        pk = uuid.UUID(record_id)
    except ValueError as exc:
        raise ApiError(RECORD_NOT_FOUND, "No such record.", http_status=404) from exc
    with agency_transaction(agency.id):
        record = model._default_manager.select_related("entered_by", "verified_by").filter(
            agency=agency, id=pk).first()
    if record is None:
        raise ApiError(RECORD_NOT_FOUND, "No such record.", http_status=404)
    return record


def _output(agency: Agency, record: AuthorizationRecord) -> dict[str, Any]:
    with agency_transaction(agency.id):
        fresh = type(record)._default_manager.select_related("entered_by", "verified_by").get(
            pk=record.pk
        )
        return record_output(fresh)


class RecordCreateApi(AgencyApi):
    """``POST /api/v1/{kind}``: enter a record with its document; it awaits verification."""

    parser_classes = [MultiPartParser, FormParser, JsonParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(total_bytes=DOCUMENT_MAX_BYTES + FORM_FIELDS_ALLOWANCE,
                            files={"document": FileCap(DOCUMENT_MAX_BYTES)})

    def post(self, request: Request, kind: str) -> Response:
        model, form_class = _kind(kind)
        user = self.acting_user(request)
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        upload = request.FILES.get("document")
        document = Document(name=upload.name or "document", content=upload.read()) if upload \
            else None
        record = record_enter(user=user, record=model(**form.validated_data), document=document)
        response = Response(_output(user.agency, record), status=status.HTTP_201_CREATED)  # type: ignore[arg-type]
        response["Location"] = f"/api/v1/{kind}/{record.id}"
        return response


class RecordDetailApi(AgencyApi):
    """``GET /api/v1/{kind}/{id}``."""

    def get(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        return Response(_output(agency, _record(agency, kind, record_id)))


class RecordDocumentApi(AgencyApi):
    """``GET /api/v1/{kind}/{id}/document``: the attached document, as uploaded."""

    def get(self, request: Request, kind: str, record_id: str) -> HttpResponse:
        agency = self.acting_agency(request)
        record = _record(agency, kind, record_id)
        if record.document is None:
            raise ApiError(RECORD_NOT_FOUND, "The record has no document.", http_status=404)
        response = HttpResponse(bytes(record.document), content_type=record.document_type)
        response["Content-Disposition"] = f'attachment; filename="{record.id}"'
        response["X-Content-SHA256"] = record.document_sha256
        return response


class RecordVerifyApi(AgencyApi):
    """``POST /api/v1/{kind}/{id}/verify``: a supervisor other than the author verifies it."""

    def post(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        record = record_verify(user=self.acting_user(request),
                               record=_record(agency, kind, record_id))
        return Response(_output(agency, record))


class RecordRevokeApi(AgencyApi):
    """``POST /api/v1/{kind}/{id}/revoke``: revoke; dependent searches stop or are quarantined."""

    parser_classes = [JsonParser, FormParser, MultiPartParser]

    def post(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        form = RevokeInput(data=request.data)
        form.is_valid(raise_exception=True)
        record, affected = record_revoke(user=self.acting_user(request),
                                         record=_record(agency, kind, record_id),
                                         reason=form.validated_data["reason"])
        return Response({**_output(agency, record), **affected})
