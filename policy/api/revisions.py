"""REST endpoints of policy authoring: revisions, their checks, replays and four-eyes steps.

The same services as the portal, the same rules: only the scope's compliance officers see
drafts or act on them, another agency's revision answers 404, self-approval is refused.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from policy.revisions.errors import RevisionError
from policy.revisions.models import PolicyReplay, PolicyRevision, RevisionScope
from policy.revisions.replay import MAX_DAYS, replay_request
from policy.revisions.selectors import revision_as_json
from policy.revisions.services import (
    officer_may_author,
    revision_activate,
    revision_draft_create,
    revision_draft_update,
    revision_review,
    revision_rollback,
    revision_submit,
)
from tenants import errors
from tenants.api_schema import error_responses, path_uuid
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed

REVISION_NOT_FOUND = "revision_not_found"
REPLAY_NOT_FOUND = "replay_not_found"


class FindingOutput(serializers.Serializer[Any]):
    check = serializers.CharField()
    message = serializers.CharField()
    path = serializers.CharField()
    line = serializers.IntegerField()
    column = serializers.IntegerField()


class RevisionOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    scope = serializers.ChoiceField(choices=RevisionScope.choices)
    agency_id = serializers.CharField(allow_null=True)
    number = serializers.IntegerField()
    status = serializers.CharField()
    digest = serializers.CharField()
    parent_id = serializers.UUIDField(allow_null=True)
    rollback_of_id = serializers.UUIDField(allow_null=True)
    change_note = serializers.CharField(allow_blank=True)
    justification = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewer = serializers.CharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_comment = serializers.CharField(allow_blank=True)
    activated_by = serializers.CharField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)
    checks = serializers.DictField(help_text="passed, findings, tests (per engine), counts.")
    checks_current = serializers.BooleanField()
    modules = serializers.DictField(child=serializers.CharField(), required=False)
    data_document = serializers.DictField(source="data", required=False)


class RevisionListOutput(serializers.Serializer[Any]):
    revisions = RevisionOutput(many=True)


class RevisionCreateInput(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=RevisionScope.choices)
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RevisionUpdateInput(serializers.Serializer[Any]):
    modules = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False)
    )
    data_document = serializers.DictField()
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RevisionSubmitInput(serializers.Serializer[Any]):
    justification = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RevisionReviewInput(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(max_length=5000)


class RevisionRollbackInput(serializers.Serializer[Any]):
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReplayInput(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS)


class ReplayOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    revision_id = serializers.UUIDField()
    days = serializers.IntegerField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    totals = serializers.DictField(child=serializers.IntegerField())
    by_reason = serializers.DictField()
    changes = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(allow_blank=True)


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    form = serializer_class(data=data)
    if not form.is_valid():
        raise ApiError(
            errors.INVALID_REQUEST, "The request has invalid fields.", fields=dict(form.errors)
        )
    return dict(form.validated_data)


def _service_error(exc: RevisionError) -> ApiError:
    return ApiError(exc.code, exc.message, http_status=exc.http_status)


def _chain(user: User) -> str:
    return str(user.agency_id)


def revision_visible(*, user: User, revision_id: str) -> PolicyRevision:
    """Return a revision the officer may see; anything else is a 404, never a 403."""
    try:
        pk = uuid.UUID(revision_id)
    except ValueError as exc:
        raise ApiError(REVISION_NOT_FOUND, "Not found.", http_status=404) from exc
    with agency_transaction(_chain(user)):
        revision = (
            PolicyRevision.objects.select_related("author", "reviewer", "activated_by")
            .filter(id=pk)
            .first()
        )
    if revision is None or not officer_may_author(
        user=user, scope=revision.scope, agency_id=revision.agency_id
    ):
        raise ApiError(REVISION_NOT_FOUND, "Not found.", http_status=404)
    return revision


def _shown(revision: PolicyRevision, *, with_text: bool = True) -> dict[str, Any]:
    fresh = (
        (
            PolicyRevision.objects.select_related("author", "reviewer", "activated_by").get(
                id=revision.id
            )
        )
        if revision.agency_id is None
        else revision
    )
    return RevisionOutput(revision_as_json(fresh, with_text=with_text)).data


class _OfficerApi(AgencyApi):
    parser_classes = [JSONParser]

    def officer(self, request: Request) -> User:
        user = self.acting_user(request)
        if not action_allowed(user=user, action="policy.author"):
            raise ApiError(
                errors.PERMISSION_DENIED, "Only compliance officers author policy.", http_status=403
            )
        return user


class RevisionListApi(_OfficerApi):
    """List the revisions the officer may author, or start a draft."""

    @extend_schema(
        operation_id="policy_revision_list",
        tags=["policy authoring"],
        summary="List the revisions the compliance officer may author",
        request=None,
        responses={200: RevisionListOutput, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        user = self.officer(request)
        with agency_transaction(_chain(user)):
            rows = list(
                PolicyRevision.objects.select_related(
                    "author", "reviewer", "activated_by"
                ).order_by("scope", "-number")
            )
        shown = [
            revision_as_json(r)
            for r in rows
            if officer_may_author(user=user, scope=r.scope, agency_id=r.agency_id)
        ]
        return Response(RevisionListOutput({"revisions": shown}).data)

    @extend_schema(
        operation_id="policy_revision_create",
        tags=["policy authoring"],
        summary="Start a draft from the scope's active revision",
        request=RevisionCreateInput,
        responses={201: RevisionOutput, **error_responses(400, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        user = self.officer(request)
        body = _valid(RevisionCreateInput, request.data)
        try:
            revision = revision_draft_create(
                user=user,
                scope=body["scope"],
                agency=self.acting_agency(request) if body["scope"] == "overlay" else None,
                change_note=body.get("change_note", ""),
            )
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            shown = _shown(revision)
        return Response(shown, status=status.HTTP_201_CREATED)


class RevisionDetailApi(_OfficerApi):
    """Read a revision with its text and checks, or save a draft (which runs the checks)."""

    @extend_schema(
        operation_id="policy_revision_get",
        tags=["policy authoring"],
        summary="A revision with its text and check results",
        request=None,
        responses={200: RevisionOutput, **error_responses(403, 404)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def get(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        with agency_transaction(_chain(user)):
            return Response(_shown(revision))

    @extend_schema(
        operation_id="policy_revision_update",
        tags=["policy authoring"],
        summary="Save a draft and run every check on both engines",
        request=RevisionUpdateInput,
        responses={200: RevisionOutput, **error_responses(400, 403, 404, 409)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def put(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        body = _valid(RevisionUpdateInput, request.data)
        try:
            saved = revision_draft_update(
                user=user,
                revision=revision,
                modules=body["modules"],
                data=body["data_document"],
                change_note=body.get("change_note", ""),
            )
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            return Response(_shown(saved))


class RevisionSubmitApi(_OfficerApi):
    """Submit a draft that passes every check (justify any deny→allow flips)."""

    @extend_schema(
        operation_id="policy_revision_submit",
        tags=["policy authoring"],
        summary="Submit a draft that passes every check",
        request=RevisionSubmitInput,
        responses={200: RevisionOutput, **error_responses(400, 403, 404, 409)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def post(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        body = _valid(RevisionSubmitInput, request.data)
        try:
            done = revision_submit(
                user=user, revision=revision, justification=body.get("justification", "")
            )
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            return Response(_shown(done, with_text=False))


class RevisionReviewApi(_OfficerApi):
    """Approve or reject a submitted revision: another officer of its scope, with a comment."""

    @extend_schema(
        operation_id="policy_revision_review",
        tags=["policy authoring"],
        summary="Approve or reject: another officer of the scope, never the author",
        request=RevisionReviewInput,
        responses={200: RevisionOutput, **error_responses(400, 403, 404, 409)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def post(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        body = _valid(RevisionReviewInput, request.data)
        try:
            done = revision_review(
                user=user,
                revision=revision,
                approve=body["decision"] == "approve",
                comment=body["comment"],
            )
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            return Response(_shown(done, with_text=False))


class RevisionActivateApi(_OfficerApi):
    """Put an approved revision in force; every engine follows without a restart."""

    @extend_schema(
        operation_id="policy_revision_activate",
        tags=["policy authoring"],
        summary="Put an approved revision in force",
        request=None,
        responses={200: RevisionOutput, **error_responses(403, 404, 409)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def post(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        try:
            done = revision_activate(user=user, revision=revision)
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            return Response(_shown(done, with_text=False))


class RevisionRollbackApi(_OfficerApi):
    """Start a draft restoring this earlier approved revision (four-eyes like any other)."""

    @extend_schema(
        operation_id="policy_revision_rollback",
        tags=["policy authoring"],
        summary="Start a draft restoring this earlier approved revision",
        request=RevisionRollbackInput,
        responses={201: RevisionOutput, **error_responses(400, 403, 404, 409)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def post(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        body = _valid(RevisionRollbackInput, request.data)
        try:
            draft = revision_rollback(
                user=user, target=revision, change_note=body.get("change_note", "")
            )
        except RevisionError as exc:
            raise _service_error(exc) from exc
        with agency_transaction(_chain(user)):
            return Response(_shown(draft), status=status.HTTP_201_CREATED)


def replay_as_json(replay: PolicyReplay) -> dict[str, Any]:
    """Return a replay as the API and the portal show it."""
    return {
        "id": str(replay.id),
        "revision_id": str(replay.revision_id),
        "days": replay.days,
        "status": replay.status,
        "total": replay.total,
        "processed": replay.processed,
        "totals": replay.totals,
        "by_reason": replay.by_reason,
        "changes": replay.changes,
        "error": replay.error,
    }


class RevisionReplayApi(_OfficerApi):
    """Replay a revision over the decisions recorded in the last ``days`` days (a task)."""

    @extend_schema(
        operation_id="policy_revision_replay",
        tags=["policy authoring"],
        summary="Replay the revision over recorded decisions (a task)",
        request=ReplayInput,
        responses={202: ReplayOutput, **error_responses(400, 403, 404)},
        parameters=[path_uuid("revision_id", "The revision.")],
    )
    def post(self, request: Request, revision_id: str) -> Response:
        user = self.officer(request)
        revision = revision_visible(user=user, revision_id=revision_id)
        body = _valid(ReplayInput, request.data)
        try:
            replay = replay_request(user=user, revision=revision, days=body["days"])
        except RevisionError as exc:
            raise _service_error(exc) from exc
        return Response(ReplayOutput(replay_as_json(replay)).data, status=status.HTTP_202_ACCEPTED)


class ReplayDetailApi(_OfficerApi):
    """Follow a replay's progress and read its counts and changed decisions."""

    @extend_schema(
        operation_id="policy_replay_get",
        tags=["policy authoring"],
        summary="A replay's progress, counts and changed decisions",
        request=None,
        responses={200: ReplayOutput, **error_responses(403, 404)},
        parameters=[path_uuid("replay_id", "The replay.")],
    )
    def get(self, request: Request, replay_id: str) -> Response:
        user = self.officer(request)
        try:
            pk = uuid.UUID(replay_id)
        except ValueError as exc:
            raise ApiError(REPLAY_NOT_FOUND, "Not found.", http_status=404) from exc
        with agency_transaction(_chain(user)):
            replay = PolicyReplay.objects.filter(id=pk, agency_id=_chain(user)).first()
        if replay is None:
            raise ApiError(REPLAY_NOT_FOUND, "Not found.", http_status=404)
        return Response(ReplayOutput(replay_as_json(replay)).data)
