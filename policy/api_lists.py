"""``GET /api/v1/policy/decisions``: the agency's recorded decisions, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from matching.models import Search
from policy.models import PolicyDecision
from policy.outputs import DecisionSummaryOutput
from tenants.api_schema import error_responses
from tenants.context import agency_transaction
from tenants.models import Agency, User
from tenants.need_to_know import Scope, list_scope
from tenants.pagination import (
    NEWEST_FIRST,
    PAGING,
    OrderedCursorPagination,
    ordering_parameter,
    page_serializer,
)


class DecisionListFilter(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["allow", "deny"], required=False)
    reason = serializers.CharField(
        required=False, max_length=100, help_text="Decisions that gave this reason code."
    )
    search_id = serializers.UUIDField(required=False)
    case_number = serializers.CharField(
        required=False, max_length=100, help_text="Decisions on searches of this case."
    )
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


def decision_list(
    *, agency: Agency, user: User, scope: Scope, filters: dict[str, Any]
) -> QuerySet[PolicyDecision]:
    """Return the agency's decisions the caller may list (lazy: run it in the agency's
    transaction); ``OWN`` means decisions on the caller's own searches."""
    decisions = PolicyDecision.objects.filter(agency=agency)
    searches = Search.objects.filter(agency=agency)
    if scope is Scope.OWN:
        searches = searches.filter(requested_by=user)
        decisions = decisions.filter(search_id__in=searches.values("id"))
    if "case_number" in filters:
        decisions = decisions.filter(
            search_id__in=searches.filter(case_number=filters["case_number"]).values("id")
        )
    if "outcome" in filters:
        decisions = decisions.filter(allow=filters["outcome"] == "allow")
    if "reason" in filters:
        decisions = decisions.filter(reasons__contains=[{"code": filters["reason"]}])
    if "search_id" in filters:
        decisions = decisions.filter(search_id=filters["search_id"])
    if "created_after" in filters:
        decisions = decisions.filter(created_at__gte=filters["created_after"])
    if "created_before" in filters:
        decisions = decisions.filter(created_at__lt=filters["created_before"])
    return decisions


class DecisionListApi(AgencyApi):
    """List the agency's policy decisions (investigators and analysts: on their searches)."""

    @extend_schema(
        operation_id="policy_decision_list",
        tags=["policy"],
        summary="The agency's recorded policy decisions",
        parameters=[DecisionListFilter, *PAGING, ordering_parameter(NEWEST_FIRST)],
        responses={
            200: page_serializer("DecisionPage", DecisionSummaryOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        user = self.acting_user(request)
        agency = self.acting_agency(request)
        scope = list_scope(user=user, entity="decisions")
        form = DecisionListFilter(data=request.query_params)
        form.is_valid(raise_exception=True)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(agency.id):
            rows = pages.page_rows(
                decision_list(agency=agency, user=user, scope=scope, filters=form.validated_data),
                request,
            )
            return pages.response(DecisionSummaryOutput(rows, many=True).data)
