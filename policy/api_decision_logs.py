"""``POST /api/v1/policy/decision-logs``: OPA servers upload their decision logs here."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi_settings import OPA_SERVICE_SCHEME
from policy.api_bundle import FirstRendererNegotiation
from policy.decision_logs import DecisionLogRejectedError, decision_logs_ingest, decision_logs_parse
from policy.opa_service_auth import opa_decision_log_agencies
from policy.outputs import DecisionLogReportOutput
from tenants.api_schema import error_responses
from tenants.errors import MALFORMED_REQUEST, error_body


class DecisionLogsApi(APIView):
    """Accept a batch from an OPA server holding a token for the agencies it decides for."""

    authentication_classes = []
    permission_classes = []
    parser_classes = []
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="policy_decision_logs_upload",
        tags=["policy (OPA servers)"],
        summary="Upload a batch of OPA decision logs (OPA servers; bearer service token)",
        auth=[{OPA_SERVICE_SCHEME: []}],  # type: ignore[list-item]  # a security requirement
        request={"application/json": OpenApiTypes.OBJECT, "application/gzip": OpenApiTypes.BINARY},
        responses={200: DecisionLogReportOutput, **error_responses(400, 404, 413)},
    )
    def post(self, request: Request) -> Response:
        represented = opa_decision_log_agencies(request)
        if isinstance(represented, Response):
            return represented
        # Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2 MiB) with a 413; OPA sends
        # batches of 32 KiB by default (upload_size_limit_bytes).
        body = bytes(request.body)
        gzipped = (
            request.headers.get("Content-Encoding", "").lower() == "gzip" or body[:2] == b"\x1f\x8b"
        )
        try:
            events = decision_logs_parse(body, gzipped=gzipped)
        except DecisionLogRejectedError as exc:
            return Response(
                error_body(MALFORMED_REQUEST, f"Rejected: {exc}."),
                status=status.HTTP_400_BAD_REQUEST,
            )
        report = decision_logs_ingest(events, represented=represented)
        return Response(DecisionLogReportOutput(report).data)
