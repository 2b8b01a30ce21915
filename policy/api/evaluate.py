"""``POST /api/v1/policy/evaluate``: the active bundle on an input, nothing searched."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from policy.services import policy_decide
from tenants import errors
from tenants.errors import ApiError
from tenants.models import Role
from tenants.parsers import JsonParser

DRY_RUN_ROLES = {Role.COMPLIANCE_OFFICER.value, Role.AUDITOR.value}
AGENCY_MISMATCH = "agency_mismatch"


class PolicyEvaluateApi(AgencyApi):
    """Evaluate a policy input for the caller's own agency; recorded and audited as a dry run."""

    parser_classes = [JsonParser]

    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        if not DRY_RUN_ROLES.intersection(user.roles):
            raise ApiError(errors.PERMISSION_DENIED,
                           "Only compliance officers and auditors may dry-run the policy.",
                           http_status=403)
        body: Any = request.data
        policy_input = body.get("input", body) if isinstance(body, dict) else None
        if not isinstance(policy_input, dict):
            raise ApiError(errors.MALFORMED_REQUEST, "Send a policy input as a JSON object.")
        agency = self.acting_agency(request)
        claimed = policy_input.get("agency")
        if not isinstance(claimed, dict) or claimed.get("id") != agency.id:
            raise ApiError(AGENCY_MISMATCH,
                           "The input's agency.id must be your own agency.", http_status=403)
        record = policy_decide(agency_id=agency.id, policy_input=policy_input, actor=user,
                               purpose="dry_run")
        return Response({
            "decision_id": str(record.id),
            "bundle_revision": record.bundle_revision,
            "engine": record.engine,
            "latency_ms": round(record.latency_ms, 3),
            "allow": record.allow,
            "reasons": [{k: r.get(k) for k in ("code", "message", "authority")}
                        for r in record.reasons],
            "obligations": record.obligations,
        })
