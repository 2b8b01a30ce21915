"""REST API for webhooks (agency admins): register, list, enable again, read the delivery log."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from notifications.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from notifications.services import (
    WEBHOOK_NOT_FOUND,
    webhook_admin_require,
    webhook_create,
    webhook_enable,
)
from notifications.signing import SIGNATURE_HEADER
from tenants.api_schema import error_responses, path_uuid
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.idempotency import idempotent
from tenants.pagination import (
    NEWEST_FIRST,
    PAGING,
    OrderedCursorPagination,
    ordering_parameter,
    page_serializer,
)

WEBHOOK_ID = path_uuid("webhook_id", "The webhook's id.")


class WebhookInput(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.values),
    )
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )


class WebhookOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    description = serializers.CharField()
    active = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(
        help_text=f"The HMAC-SHA256 key of the `{SIGNATURE_HEADER}` header; shown only once."
    )


class DeliveryOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    payload = serializers.DictField(child=serializers.JSONField())
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    failures = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookCollectionApi(AgencyApi):
    """``/api/v1/webhooks``: the agency's webhooks (GET) or a new one (POST)."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhook_list",
        tags=["webhooks"],
        summary="The agency's webhooks",
        parameters=[*PAGING, ordering_parameter(NEWEST_FIRST)],
        responses={
            200: page_serializer("WebhookPage", WebhookOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        user = self.acting_user(request)
        webhook_admin_require(user)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(user.agency_id or ""):
            rows = pages.page_rows(Webhook.objects.filter(agency_id=user.agency_id), request)
            return pages.response(WebhookOutput(rows, many=True).data)

    @extend_schema(
        operation_id="webhook_create",
        tags=["webhooks"],
        summary="Register a webhook (agency admins); the response holds its secret, once",
        description="Every delivery is a JSON POST signed with `Probity-Signature: "
        't=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Send `Idempotency-Key` '
        "to make retries safe.",
        request=WebhookInput,
        responses={201: WebhookCreatedOutput, **error_responses(400, 403, 409, 415)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        webhook_admin_require(user)

        def create() -> Response:
            form = WebhookInput(data=request.data)
            form.is_valid(raise_exception=True)
            webhook, secret = webhook_create(user=user, **form.validated_data)
            body = {**WebhookOutput(webhook).data, "secret": secret}
            response = Response(body, status=status.HTTP_201_CREATED)
            response["Location"] = f"/api/v1/webhooks/{webhook.id}/deliveries"
            return response

        return idempotent(request, user=user, create=create)


def _webhook_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(WEBHOOK_NOT_FOUND, "No such webhook.", http_status=404) from exc


class WebhookEnableApi(AgencyApi):
    """``POST /api/v1/webhooks/{id}/enable``."""

    @extend_schema(
        operation_id="webhook_enable",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        summary="Enable a webhook again after it was disabled for failing",
        request=None,
        responses={200: WebhookOutput, **error_responses(403, 404)},
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        webhook = webhook_enable(user=self.acting_user(request), webhook_id=_webhook_id(webhook_id))
        return Response(WebhookOutput(webhook).data)


class DeliveryListFilter(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class WebhookDeliveryListApi(AgencyApi):
    """``GET /api/v1/webhooks/{id}/deliveries``: the delivery log."""

    @extend_schema(
        operation_id="webhook_delivery_list",
        tags=["webhooks"],
        summary="A webhook's delivery log: every event, its attempts and outcome",
        parameters=[WEBHOOK_ID, DeliveryListFilter, *PAGING, ordering_parameter(NEWEST_FIRST)],
        responses={
            200: page_serializer("DeliveryPage", DeliveryOutput(many=True)),
            **error_responses(400, 403, 404),
        },
    )
    def get(self, request: Request, webhook_id: str) -> Response:
        user = self.acting_user(request)
        webhook_admin_require(user)
        wid = _webhook_id(webhook_id)
        form = DeliveryListFilter(data=request.query_params)
        form.is_valid(raise_exception=True)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(user.agency_id or ""):
            if not Webhook.objects.filter(agency_id=user.agency_id, id=wid).exists():
                raise ApiError(WEBHOOK_NOT_FOUND, "No such webhook.", http_status=404)
            deliveries = WebhookDelivery.objects.filter(agency_id=user.agency_id, webhook_id=wid)
            if "status" in form.validated_data:
                deliveries = deliveries.filter(status=form.validated_data["status"])
            rows = pages.page_rows(deliveries, request)
            return pages.response(DeliveryOutput(rows, many=True).data)
