"""REST API for oversight grants and auditors' scoped reads."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from oversight import errors
from oversight.reads import (
    ReadWindow,
    oversight_audit_events,
    oversight_decisions,
    oversight_grants_in_force,
    oversight_grants_visible,
    oversight_searches,
)
from oversight.serializers import GrantCreateInput, GrantOutput, ReadWindowInput
from oversight.services import oversight_grant_create, oversight_grant_revoke
from tenants.errors import ApiError
from tenants.models import Agency, User
from tenants.parsers import FormParser, JsonParser


class GrantListApi(AgencyApi):
    """``GET``: the grants the user may see; ``POST``: a national administrator grants one."""

    parser_classes = [JsonParser, FormParser]

    def get(self, request: Request) -> Response:
        grants = oversight_grants_visible(user=self.acting_user(request))
        return Response({"results": GrantOutput(grants, many=True).data})

    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        form = GrantCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        auditor = User.objects.select_related("agency").filter(username=data["auditor"]).first()
        if auditor is None:
            raise ApiError(errors.NOT_AN_AUDITOR, "No such auditor.")
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

    def get(self, request: Request, agency_id: str) -> Response:
        window, action = _window(request)
        rows = oversight_audit_events(
            auditor=self.acting_user(request), agency_id=agency_id, window=window, action=action
        )
        return Response({"results": rows})


class SearchesApi(AgencyApi):
    """``GET``: the overseen agency's searches' metadata (no probe, no candidates)."""

    def get(self, request: Request, agency_id: str) -> Response:
        window, _ = _window(request)
        rows = oversight_searches(
            auditor=self.acting_user(request), agency_id=agency_id, window=window
        )
        return Response({"results": rows})


class DecisionsApi(AgencyApi):
    """``GET``: the overseen agency's policy decisions with their reasons."""

    def get(self, request: Request, agency_id: str) -> Response:
        window, _ = _window(request)
        rows = oversight_decisions(
            auditor=self.acting_user(request), agency_id=agency_id, window=window
        )
        return Response({"results": rows})
