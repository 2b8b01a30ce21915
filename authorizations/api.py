"""REST API for warrants, exigent approvals and interagency agreements."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from authorizations.outputs import (
    AgreementOutput,
    ExigentOutput,
    RecordOutput,
    RevocationEffectOutput,
    WarrantOutput,
)
from authorizations.selectors import record_list
from authorizations.serializers import AgreementInput, ExigentInput, RevokeInput, WarrantInput
from authorizations.services import (
    DOCUMENT_MAX_BYTES,
    Document,
    exigent_grantee,
    record_enter,
    record_read_record,
    record_revoke,
    record_verify,
)
from matching.api import AgencyApi
from tenants.api_schema import error_responses, path_uuid
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.idempotency import idempotent
from tenants.models import Agency, User
from tenants.need_to_know import list_scope
from tenants.pagination import (
    NEWEST_FIRST,
    PAGING,
    OrderedCursorPagination,
    ordering_parameter,
    page_serializer,
)
from tenants.parsers import FormParser, JsonParser
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

KINDS: dict[str, tuple[type[AuthorizationRecord], Any]] = {
    "warrants": (Warrant, WarrantInput),
    "exigent-approvals": (ExigentApproval, ExigentInput),
    "interagency-agreements": (InteragencyAgreement, AgreementInput),
}
RECORD_NOT_FOUND = "record_not_found"
OUTPUTS: dict[type[AuthorizationRecord], type[RecordOutput]] = {
    Warrant: WarrantOutput,
    ExigentApproval: ExigentOutput,
    InteragencyAgreement: AgreementOutput,
}


def record_output(record: AuthorizationRecord) -> dict[str, Any]:
    """Return the API representation of a record (the document itself is fetched apart)."""
    return dict(OUTPUTS[type(record)](record).data)


def _related(model: type[AuthorizationRecord]) -> tuple[str, ...]:
    """Return the users a record's output names, to fetch with it."""
    return ("entered_by", "verified_by", *(("granted_to",) if model is ExigentApproval else ()))


def _record_new(
    user: User, model: type[AuthorizationRecord], fields: dict[str, Any]
) -> AuthorizationRecord:
    """Return the unsaved record of the entered fields; an officer's username becomes its user."""
    if model is ExigentApproval:
        fields = {**fields, "granted_to": exigent_grantee(user=user, username=fields["granted_to"])}
    return model(**fields)


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
        record = (
            model._default_manager.select_related(*_related(model))
            .filter(agency=agency, id=pk)
            .first()
        )
    if record is None:
        raise ApiError(RECORD_NOT_FOUND, "No such record.", http_status=404)
    return record


def _output(agency: Agency, record: AuthorizationRecord) -> dict[str, Any]:
    with agency_transaction(agency.id):
        fresh = (
            type(record)._default_manager.select_related(*_related(type(record))).get(pk=record.pk)
        )
        return record_output(fresh)


class RecordCreateApi(AgencyApi):
    """``POST /api/v1/{kind}``: enter a record with its document; it awaits verification."""

    parser_classes = [MultiPartParser, FormParser, JsonParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(
            total_bytes=DOCUMENT_MAX_BYTES + FORM_FIELDS_ALLOWANCE,
            files={"document": FileCap(DOCUMENT_MAX_BYTES)},
        )

    def post(self, request: Request, kind: str) -> Response:
        model, form_class = _kind(kind)
        user = self.acting_user(request)

        def create() -> Response:
            form = form_class(data=request.data)
            form.is_valid(raise_exception=True)
            upload = request.FILES.get("document")
            document = (
                Document(name=upload.name or "document", content=upload.read()) if upload else None
            )
            record = record_enter(
                user=user, record=_record_new(user, model, form.validated_data), document=document
            )
            response = Response(_output(user.agency, record), status=status.HTTP_201_CREATED)  # type: ignore[arg-type]
            response["Location"] = reverse(f"{kind}-detail", kwargs={"record_id": str(record.id)})
            return response

        return idempotent(request, user=user, create=create)


class RecordDetailApi(AgencyApi):
    """``GET /api/v1/{kind}/{id}``."""

    def get(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        record = _record(agency, kind, record_id)
        record_read_record(user=self.acting_user(request), record=record, document=False)
        return Response(_output(agency, record))


class RecordDocumentApi(AgencyApi):
    """``GET /api/v1/{kind}/{id}/document``: the attached document, as uploaded."""

    def get(self, request: Request, kind: str, record_id: str) -> HttpResponse:
        agency = self.acting_agency(request)
        record = _record(agency, kind, record_id)
        if record.document is None:
            raise ApiError(RECORD_NOT_FOUND, "The record has no document.", http_status=404)
        record_read_record(user=self.acting_user(request), record=record, document=True)
        response = HttpResponse(bytes(record.document), content_type=record.document_type)
        response["Content-Disposition"] = f'attachment; filename="{record.id}"'
        response["X-Content-SHA256"] = record.document_sha256
        return response


class RecordVerifyApi(AgencyApi):
    """``POST /api/v1/{kind}/{id}/verify``: a supervisor other than the author verifies it."""

    def post(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        record = record_verify(
            user=self.acting_user(request), record=_record(agency, kind, record_id)
        )
        return Response(_output(agency, record))


class RecordRevokeApi(AgencyApi):
    """``POST /api/v1/{kind}/{id}/revoke``: revoke; dependent searches stop or are quarantined."""

    parser_classes = [JsonParser, FormParser, MultiPartParser]

    def post(self, request: Request, kind: str, record_id: str) -> Response:
        agency = self.acting_agency(request)
        form = RevokeInput(data=request.data)
        form.is_valid(raise_exception=True)
        record, affected = record_revoke(
            user=self.acting_user(request),
            record=_record(agency, kind, record_id),
            reason=form.validated_data["reason"],
        )
        return Response({**_output(agency, record), **affected})


class RecordListFilter(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=RecordStatus.choices, required=False)
    case_number = serializers.CharField(
        required=False, max_length=100, help_text="Warrants and exigent approvals."
    )
    requested_by = serializers.CharField(
        required=False, max_length=150, help_text="The username of who entered it."
    )
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class RecordCollectionApi(RecordCreateApi):
    """``/api/v1/authorities/{kind}``: list (GET) or enter (POST)."""

    def get(self, request: Request, kind: str) -> Response:
        model, _ = _kind(kind)
        user = self.acting_user(request)
        agency = self.acting_agency(request)
        scope = list_scope(user=user, entity="authority_records")
        form = RecordListFilter(data=request.query_params)
        form.is_valid(raise_exception=True)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(agency.id):
            records = record_list(
                model=model, agency=agency, user=user, scope=scope, filters=form.validated_data
            )
            rows = pages.page_rows(records, request)
            return pages.response(OUTPUTS[model](rows, many=True).data)


def _kind_views(kind: str) -> dict[str, type[AgencyApi]]:
    """Return the views of one kind of record, each documented with that kind's shapes."""
    model, form = KINDS[kind]
    output = OUTPUTS[model]
    name = output.__name__.removesuffix("Output")
    tag = ["authorities"]
    record_id = path_uuid("record_id", "The record's id.")
    multipart = {
        "multipart/form-data": inline_serializer(
            name=f"{name}Form",
            fields={
                **form().get_fields(),
                "document": serializers.FileField(
                    required=model is not ExigentApproval,
                    help_text="The signed document: PDF, JPEG or PNG.",
                ),
            },
        )
    }
    revoked = type(f"{name}RevokedOutput", (output, RevocationEffectOutput), {})
    views: dict[str, type[AgencyApi]] = {
        "collection": extend_schema_view(
            get=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_list",
                tags=tag,
                summary=f"The agency's {kind.replace('-', ' ')} (investigators: their own)",
                parameters=[RecordListFilter, *PAGING, ordering_parameter(NEWEST_FIRST)],
                responses={
                    200: page_serializer(f"{name}Page", output(many=True)),
                    **error_responses(400, 403),
                },
            ),
            post=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_create",
                tags=tag,
                summary=f"Enter a record ({kind.replace('-', ' ')}); it is pending until "
                "verified. Send `Idempotency-Key` to make retries safe.",
                request={**multipart, "application/json": form},
                responses={201: output, **error_responses(400, 403, 413, 415)},
            ),
        )(type(f"{name}CollectionApi", (RecordCollectionApi,), {})),
        "detail": extend_schema_view(
            get=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_get",
                tags=tag,
                parameters=[record_id],
                responses={200: output, **error_responses(404)},
            ),
        )(type(f"{name}DetailApi", (RecordDetailApi,), {})),
        "document": extend_schema_view(
            get=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_document",
                tags=tag,
                parameters=[record_id],
                summary="The attached document, as uploaded",
                responses={
                    (200, "application/octet-stream"): OpenApiTypes.BINARY,
                    **error_responses(404),
                },
            ),
        )(type(f"{name}DocumentApi", (RecordDocumentApi,), {})),
        "verify": extend_schema_view(
            post=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_verify",
                tags=tag,
                parameters=[record_id],
                summary="Verify the record (a supervisor other than its author)",
                request=None,
                responses={200: output, **error_responses(403, 404, 409)},
            ),
        )(type(f"{name}VerifyApi", (RecordVerifyApi,), {})),
        "revoke": extend_schema_view(
            post=extend_schema(
                operation_id=f"{kind.replace('-', '_')}_revoke",
                tags=tag,
                parameters=[record_id],
                summary="Revoke: dependent searches are cancelled or quarantined",
                request=RevokeInput,
                responses={200: revoked, **error_responses(400, 403, 404, 409)},
            ),
        )(type(f"{name}RevokeApi", (RecordRevokeApi,), {})),
    }
    return views


KIND_VIEWS = {kind: _kind_views(kind) for kind in KINDS}
