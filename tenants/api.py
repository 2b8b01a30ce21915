"""Credential API for agency admins: ``/api/v1/tokens…`` and ``/api/v1/users…``.

Everything acts on the admin's own agency; another agency's token or user answers exactly like
a missing one (404). Keys are shown once, when issued or rotated.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import errors
from tenants.api_schema import error_responses
from tenants.errors import ApiError
from tenants.models import Agency, User
from tenants.need_to_know import action_allowed
from tenants.parsers import FormParser, JsonParser
from tenants.selectors import token_get, token_list, user_get, user_list
from tenants.serializers import (
    TokenIssuedOutput,
    TokenIssueInput,
    TokenListOutput,
    TokenOutput,
    TokenRotateInput,
    UserCreateInput,
    UserListOutput,
    UserOutput,
    token_output,
    token_status,
    user_output,
)
from tenants.services import token_issue, token_revoke, token_rotate, user_active_set, user_create

TOKEN_NOT_FOUND = "token_not_found"  # noqa: S105 - an error code, not a secret
USER_NOT_FOUND = "user_not_found"
TOKEN_NOT_ACTIVE = "token_not_active"  # noqa: S105 - an error code


def _id_or_404(value: Any, code: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(code, "Not found.", http_status=404) from exc


def _invalid(exc: ValidationError) -> ApiError:
    fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return ApiError(errors.INVALID_REQUEST, "Some fields are missing or invalid.", fields=fields)


class AgencyAdminApi(APIView):
    """Base: the acting user must be an agency admin of an agency."""

    parser_classes = [JsonParser, FormParser]

    def admin(self, request: Request) -> tuple[User, Agency]:
        user = request.user
        if not isinstance(user, User) or user.agency is None:
            raise ApiError(
                errors.NOT_AUTHENTICATED, "Authenticate with an agency account.", http_status=401
            )
        if not action_allowed(user=user, action="users.manage"):
            raise ApiError(
                errors.ROLE_REQUIRED, "Only agency admins manage credentials.", http_status=403
            )
        return user, user.agency

    def token(self, agency: Agency, token_id: Any) -> Any:
        token = token_get(agency=agency, token_id=_id_or_404(token_id, TOKEN_NOT_FOUND))
        if token is None:
            raise ApiError(TOKEN_NOT_FOUND, "No such token.", http_status=404)
        return token

    def user(self, agency: Agency, user_id: Any) -> User:
        user = user_get(agency=agency, user_id=_id_or_404(user_id, USER_NOT_FOUND))
        if user is None:
            raise ApiError(USER_NOT_FOUND, "No such user.", http_status=404)
        return user


def _issued(token: Any, key: str) -> Response:
    response = Response({"key": key, "token": token_output(token)}, status=status.HTTP_201_CREATED)
    response["Location"] = reverse("token-detail", kwargs={"token_id": token.pk})
    return response


class TokenListApi(AgencyAdminApi):
    """``GET /api/v1/tokens[?user=id]``; ``POST`` issues a token for one of the agency's users."""

    @extend_schema(
        operation_id="tokens_list",
        tags=["credentials"],
        summary="List the agency's API tokens (agency admins)",
        parameters=[
            OpenApiParameter(
                "user",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="only this user's tokens",
            )
        ],
        responses={200: TokenListOutput, **error_responses(403, 404)},
    )
    def get(self, request: Request) -> Response:
        _, agency = self.admin(request)
        user_id = request.query_params.get("user")
        user = None if user_id is None else _id_or_404(user_id, USER_NOT_FOUND)
        tokens = token_list(agency=agency, user_id=user)
        return Response({"tokens": [token_output(t) for t in tokens]})

    @extend_schema(
        operation_id="tokens_issue",
        tags=["credentials"],
        summary="Issue an API token for one of the agency's users (agency admins)",
        request=TokenIssueInput,
        responses={201: TokenIssuedOutput, **error_responses(400, 403, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        admin, agency = self.admin(request)
        form = TokenIssueInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = self.user(agency, data["user"])
        try:
            key = token_issue(
                user=user,
                issued_via=data["issued_via"],
                label=data["label"],
                expires_in_days=data.get("expires_in_days"),
                actor=admin,
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        token = next(t for t in token_list(agency=agency, user_id=user.pk) if t.prefix == key[:12])
        return _issued(token, key)


class TokenDetailApi(AgencyAdminApi):
    """``GET /api/v1/tokens/{id}``."""

    @extend_schema(
        operation_id="tokens_retrieve",
        tags=["credentials"],
        summary="Show one of the agency's API tokens (agency admins)",
        parameters=[OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: TokenOutput, **error_responses(403, 404)},
    )
    def get(self, request: Request, token_id: str) -> Response:
        _, agency = self.admin(request)
        return Response(token_output(self.token(agency, token_id)))


class TokenRevokeApi(AgencyAdminApi):
    """``POST /api/v1/tokens/{id}/revoke``: the key stops working at once."""

    @extend_schema(
        operation_id="tokens_revoke",
        tags=["credentials"],
        summary="Revoke an API token at once (agency admins)",
        request=None,
        parameters=[OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: TokenOutput, **error_responses(403, 404, 409)},
    )
    def post(self, request: Request, token_id: str) -> Response:
        admin, agency = self.admin(request)
        token = self.token(agency, token_id)
        if not token_revoke(agency=agency, token_id=token.pk, actor=admin):
            raise ApiError(TOKEN_NOT_ACTIVE, "The token is already revoked.", http_status=409)
        return Response(token_output(self.token(agency, token.pk)))


class TokenRotateApi(AgencyAdminApi):
    """``POST /api/v1/tokens/{id}/rotate``: a new key replaces a live token's, shown once."""

    @extend_schema(
        operation_id="tokens_rotate",
        tags=["credentials"],
        summary="Replace an active token by a new key (agency admins)",
        request=TokenRotateInput,
        parameters=[OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={201: TokenIssuedOutput, **error_responses(400, 403, 404, 409, 415)},
    )
    def post(self, request: Request, token_id: str) -> Response:
        admin, agency = self.admin(request)
        token = self.token(agency, token_id)
        form = TokenRotateInput(data=request.data)
        form.is_valid(raise_exception=True)
        if token_status(token) != "active":
            raise ApiError(
                TOKEN_NOT_ACTIVE, "Only an active token can be rotated.", http_status=409
            )
        try:
            rotated = token_rotate(
                agency=agency,
                token_id=token.pk,
                actor=admin,
                expires_in_days=form.validated_data.get("expires_in_days"),
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        if rotated is None:
            raise ApiError(
                TOKEN_NOT_ACTIVE, "Only an active token can be rotated.", http_status=409
            )
        return _issued(*rotated)


class UserListApi(AgencyAdminApi):
    """``GET /api/v1/users``; ``POST`` creates a user of the agency (no password: tokens)."""

    @extend_schema(
        operation_id="users_list",
        tags=["credentials"],
        summary="List the agency's users (agency admins)",
        responses={200: UserListOutput, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        _, agency = self.admin(request)
        return Response({"users": [user_output(u) for u in user_list(agency=agency)]})

    @extend_schema(
        operation_id="users_create",
        tags=["credentials"],
        summary="Create a user of the agency (agency admins)",
        request=UserCreateInput,
        responses={201: UserOutput, **error_responses(400, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        admin, agency = self.admin(request)
        form = UserCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            user = user_create(
                agency=agency,
                username=data["username"],
                roles=data["roles"],
                email=data["email"],
                actor=admin,
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        response = Response(user_output(user), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("user-detail", kwargs={"user_id": user.pk})
        return response


class UserDetailApi(AgencyAdminApi):
    """``GET /api/v1/users/{id}``."""

    @extend_schema(
        operation_id="users_retrieve",
        tags=["credentials"],
        summary="Show one of the agency's users (agency admins)",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: UserOutput, **error_responses(403, 404)},
    )
    def get(self, request: Request, user_id: str) -> Response:
        _, agency = self.admin(request)
        return Response(user_output(self.user(agency, user_id)))


class UserActiveApi(AgencyAdminApi):
    """``POST /api/v1/users/{id}/disable`` and ``…/enable``."""

    active = False

    @extend_schema(
        tags=["credentials"],
        summary="Disable or enable a user of the agency (agency admins)",
        request=None,
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: UserOutput, **error_responses(403, 404)},
    )
    def post(self, request: Request, user_id: str) -> Response:
        admin, agency = self.admin(request)
        user = self.user(agency, user_id)
        changed = user_active_set(agency=agency, user_id=user.pk, active=self.active, actor=admin)
        if changed is None:
            raise ApiError(USER_NOT_FOUND, "No such user.", http_status=404)
        return Response(user_output(changed))
