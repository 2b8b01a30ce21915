"""REST API for oversight grants and auditors' scoped reads."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from audit.keys import checkpoint_public_key, public_key_id, public_key_pem
from matching.api import AgencyApi
from oversight import errors
from oversight.exports import (
    audit_export_downloaded,
    audit_export_get,
    audit_export_list,
    audit_export_request,
    export_zip_path,
)
from oversight.models import AuditExport
from oversight.reads import (
    ReadWindow,
    oversight_audit_events,
    oversight_decisions,
    oversight_deletion_certificates,
    oversight_grants_in_force,
    oversight_grants_visible,
    oversight_searches,
)
from oversight.report_render import report_pdf_response
from oversight.serializers import (
    AuditEventRowOutput,
    CertificateRowOutput,
    DecisionRowOutput,
    ExportCreateInput,
    ExportOutput,
    ExportStateOutput,
    GrantCreateInput,
    GrantOutput,
    ReadWindowInput,
    SearchRowOutput,
    TransparencyInput,
    TransparencyReportOutput,
)
from oversight.services import oversight_grant_create, oversight_grant_revoke
from oversight.transparency import Period, TransparencyReport, transparency_report_build
from tenants.api_schema import error_responses, path_str, path_uuid
from tenants.context import agency_transaction
from tenants.directory import directory_user_facts
from tenants.errors import ApiError
from tenants.models import Agency, User
from tenants.parsers import FormParser, JsonParser

TAGS = ["oversight"]
EXPORT_TAGS = ["audit exports"]
AGENCY_PARAM = path_str("agency_id", "The overseen agency's id.")


def _results(name: str, row: Any) -> Any:
    return inline_serializer(name=name, fields={"results": row(many=True)})


def _auditor_named(username: str) -> User:
    """Load the grantee, a user of another agency, in that agency (the directory hides it)."""
    facts = directory_user_facts(username=username)
    auditor = None
    if facts is not None:
        with agency_transaction(facts[0]):
            auditor = User.objects.select_related("agency").filter(username=username).first()
    if auditor is None:
        raise ApiError(errors.NOT_AN_AUDITOR, "No such auditor.")
    return auditor


class GrantListApi(AgencyApi):
    """``GET``: the grants the user may see; ``POST``: a national administrator grants one."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="oversight_grants_list",
        tags=TAGS,
        summary="Grants the user may see",
        responses={200: _results("GrantPage", GrantOutput), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        grants = oversight_grants_visible(user=self.acting_user(request))
        return Response({"results": GrantOutput(grants, many=True).data})

    @extend_schema(
        operation_id="oversight_grants_create",
        tags=TAGS,
        summary="A national administrator grants an auditor read scope",
        request=GrantCreateInput,
        responses={201: GrantOutput, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        form = GrantCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        auditor = _auditor_named(data["auditor"])
        agency = Agency.objects.filter(id=data["agency"]).first()
        if agency is None:
            raise ApiError(errors.AGENCY_NOT_OVERSEEABLE, "No such agency.")
        grant = oversight_grant_create(
            granted_by=user,
            auditor=auditor,
            agency=agency,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
        )
        return Response(GrantOutput(grant).data, status=status.HTTP_201_CREATED)


class GrantRevokeApi(AgencyApi):
    """``POST``: a national administrator ends a grant now."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="oversight_grants_revoke",
        tags=TAGS,
        request=None,
        parameters=[path_uuid("grant_id", "The grant's id.")],
        responses={200: GrantOutput, **error_responses(403, 404, 409)},
    )
    def post(self, request: Request, grant_id: str) -> Response:
        try:
            parsed = uuid.UUID(grant_id)
        except ValueError:
            raise ApiError(
                errors.GRANT_NOT_FOUND, "No such oversight grant.", http_status=404
            ) from None
        grant = oversight_grant_revoke(revoked_by=self.acting_user(request), grant_id=parsed)
        return Response(GrantOutput(grant).data)


class ScopeApi(AgencyApi):
    """``GET``: the agencies the auditor may read now, and until when."""

    @extend_schema(
        operation_id="oversight_scope",
        tags=TAGS,
        summary="The auditor's grants in force now",
        responses={200: _results("ScopePage", GrantOutput), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        grants = oversight_grants_in_force(auditor=self.acting_user(request))
        return Response({"results": GrantOutput(grants, many=True).data})


def _window(request: Request) -> tuple[ReadWindow, str]:
    form = ReadWindowInput(data=request.query_params)
    form.is_valid(raise_exception=True)
    data: dict[str, Any] = form.validated_data
    window = ReadWindow(since=data.get("since"), until=data.get("until"), limit=data["limit"])
    return window, data["action"]


class AuditEventsApi(AgencyApi):
    """``GET``: the overseen agency's audit trail (recorded in that agency's chain)."""

    @extend_schema(
        operation_id="oversight_audit_events",
        tags=TAGS,
        parameters=[AGENCY_PARAM, ReadWindowInput],
        responses={
            200: _results("OversightEventPage", AuditEventRowOutput),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, agency_id: str) -> Response:
        window, action = _window(request)
        rows = oversight_audit_events(
            auditor=self.acting_user(request), agency_id=agency_id, window=window, action=action
        )
        return Response({"results": rows})


class SearchesApi(AgencyApi):
    """``GET``: the overseen agency's searches' metadata (no probe, no candidates)."""

    @extend_schema(
        operation_id="oversight_searches",
        tags=TAGS,
        parameters=[AGENCY_PARAM, ReadWindowInput],
        responses={
            200: _results("OversightSearchPage", SearchRowOutput),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, agency_id: str) -> Response:
        window, _ = _window(request)
        rows = oversight_searches(
            auditor=self.acting_user(request), agency_id=agency_id, window=window
        )
        return Response({"results": rows})


class DecisionsApi(AgencyApi):
    """``GET``: the overseen agency's policy decisions with their reasons."""

    @extend_schema(
        operation_id="oversight_decisions",
        tags=TAGS,
        parameters=[AGENCY_PARAM, ReadWindowInput],
        responses={
            200: _results("OversightDecisionPage", DecisionRowOutput),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, agency_id: str) -> Response:
        window, _ = _window(request)
        rows = oversight_decisions(
            auditor=self.acting_user(request), agency_id=agency_id, window=window
        )
        return Response({"results": rows})


class DeletionCertificatesApi(AgencyApi):
    """``GET``: the overseen agency's deletion certificates (the subject's reference withheld)."""

    @extend_schema(
        operation_id="oversight_deletion_certificates",
        tags=TAGS,
        parameters=[AGENCY_PARAM, ReadWindowInput],
        responses={
            200: _results("OversightCertificatePage", CertificateRowOutput),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, agency_id: str) -> Response:
        window, _ = _window(request)
        rows = oversight_deletion_certificates(
            auditor=self.acting_user(request), agency_id=agency_id, window=window
        )
        return Response({"results": rows})


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _transparency_report(request: Request, user: User, agency_id: str, output: str) -> Any:
    form = TransparencyInput(data=request.query_params)
    form.is_valid(raise_exception=True)
    data: dict[str, Any] = form.validated_data
    period = Period.of_days(_midnight(data.get("since")), _midnight(data.get("until")))
    return transparency_report_build(user=user, agency_id=agency_id, period=period, output=output)


class TransparencyReportApi(AgencyApi):
    """``GET``: the agency's transparency report for a period (recorded in the agency's chain)."""

    @extend_schema(
        operation_id="oversight_transparency_report",
        tags=TAGS,
        summary="An agency's transparency report: figures, policy in force, chain verification",
        parameters=[AGENCY_PARAM, TransparencyInput],
        responses={200: TransparencyReportOutput, **error_responses(400, 404)},
    )
    def get(self, request: Request, agency_id: str) -> Response:
        report: TransparencyReport = _transparency_report(
            request, self.acting_user(request), agency_id, "json"
        )
        return Response(report.as_json())


class TransparencyReportPdfApi(AgencyApi):
    """``GET``: the same report printed to PDF."""

    @extend_schema(
        operation_id="oversight_transparency_report_pdf",
        tags=TAGS,
        summary="An agency's transparency report as a PDF",
        parameters=[AGENCY_PARAM, TransparencyInput],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **error_responses(400, 404)},
    )
    def get(self, request: Request, agency_id: str) -> HttpResponse:
        report: TransparencyReport = _transparency_report(
            request, self.acting_user(request), agency_id, "pdf"
        )
        return report_pdf_response(report, request._request)


def _export_output(export: AuditExport) -> dict[str, Any]:
    data = dict(ExportOutput(export).data)
    data["download"] = (
        f"/api/v1/audit/exports/{export.id}/download" if export.status == "done" else None
    )
    return data


def _export_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(errors.EXPORT_NOT_FOUND, "No such export.", http_status=404) from None


class ExportListApi(AgencyApi):
    """``POST``: request a signed export of a scope; ``GET``: the agency's exports."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="audit_exports_list",
        tags=EXPORT_TAGS,
        responses={200: _results("ExportPage", ExportStateOutput), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        exports = audit_export_list(user=self.acting_user(request))
        return Response({"results": [_export_output(e) for e in exports]})

    @extend_schema(
        operation_id="audit_exports_create",
        tags=EXPORT_TAGS,
        summary="Request a signed export of a scope; a task builds it",
        request=ExportCreateInput,
        responses={202: ExportStateOutput, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = ExportCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        export = audit_export_request(
            user=self.acting_user(request),
            agencies=data["agencies"],
            since=data["since"],
            until=data["until"],
            event_types=data["event_types"],
        )
        response = Response(_export_output(export), status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/audit/exports/{export.id}"
        return response


class ExportDetailApi(AgencyApi):
    """``GET``: one export's state and progress."""

    @extend_schema(
        operation_id="audit_exports_get",
        tags=EXPORT_TAGS,
        parameters=[path_uuid("export_id", "The export's id.")],
        responses={200: ExportStateOutput, **error_responses(404)},
    )
    def get(self, request: Request, export_id: str) -> Response:
        export = audit_export_get(user=self.acting_user(request), export_id=_export_id(export_id))
        return Response(_export_output(export))


class ExportDownloadApi(AgencyApi):
    """``GET``: the export as a .zip (manifest, signature, JSON Lines, CSV)."""

    @extend_schema(
        operation_id="audit_exports_download",
        tags=EXPORT_TAGS,
        parameters=[path_uuid("export_id", "The export's id.")],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **error_responses(404, 409)},
    )
    def get(self, request: Request, export_id: str) -> FileResponse:
        user = self.acting_user(request)
        export = audit_export_get(user=user, export_id=_export_id(export_id))
        if export.status != "done":
            raise ApiError(errors.EXPORT_NOT_READY, "The export is not finished.", http_status=409)
        audit_export_downloaded(user=user, export=export)
        path = export_zip_path(export)
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
        )


class PublicKeyApi(AgencyApi):
    """``GET``: the Ed25519 public key exports and checkpoints verify against (PEM)."""

    @extend_schema(
        operation_id="audit_public_key",
        tags=EXPORT_TAGS,
        responses={(200, "application/x-pem-file"): OpenApiTypes.STR, **error_responses()},
    )
    def get(self, request: Request) -> HttpResponse:
        self.acting_user(request)
        key = checkpoint_public_key()
        response = HttpResponse(public_key_pem(key), content_type="application/x-pem-file")
        response["X-Key-Id"] = public_key_id(key)
        return response
