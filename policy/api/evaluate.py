"""``POST /api/v1/policy/evaluate``: the active bundle on an input, nothing searched."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from policy.outputs import DryRunOutput
from policy.services import policy_decide
from tenants import errors
from tenants.api_schema import error_responses
from tenants.errors import ApiError
from tenants.need_to_know import action_allowed
from tenants.parsers import JsonParser

AGENCY_MISMATCH = "agency_mismatch"


class PolicyEvaluateApi(AgencyApi):
    """Evaluate a policy input for the caller's own agency; recorded and audited as a dry run."""

    parser_classes = [JsonParser]
    throttle_scope = "evaluate"

    @extend_schema(
        operation_id="policy_evaluate",
        tags=["policy"],
        summary="Dry-run the active policy on an input (compliance officers, auditors)",
        description="Send a policy input for your own agency, either as the body or as "
        '`{"input": …}`. Nothing is searched; the decision is recorded and '
        "audited as a dry run.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: DryRunOutput, **error_responses(400, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        if not action_allowed(user=user, action="policy.evaluate"):
            raise ApiError(
                errors.PERMISSION_DENIED,
                "Only compliance officers and auditors may dry-run the policy.",
                http_status=403,
            )
        body: Any = request.data
        policy_input = body.get("input", body) if isinstance(body, dict) else None
        if not isinstance(policy_input, dict):
            raise ApiError(errors.MALFORMED_REQUEST, "Send a policy input as a JSON object.")
        agency = self.acting_agency(request)
        claimed = policy_input.get("agency")
        if not isinstance(claimed, dict) or claimed.get("id") != agency.id:
            raise ApiError(
                AGENCY_MISMATCH, "The input's agency.id must be your own agency.", http_status=403
            )
        record = policy_decide(
            agency_id=agency.id, policy_input=policy_input, actor=user, purpose="dry_run"
        )
        return Response(DryRunOutput(record).data)
