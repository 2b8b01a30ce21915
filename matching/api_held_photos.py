"""REST API for photos held at enrollment because they show several faces (agency admins)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from matching.held_photos import (
    HELD_PHOTO_FORBIDDEN,
    HELD_PHOTO_NOT_FOUND,
    HeldPhotoError,
    held_photo_discard,
    held_photo_get,
    held_photo_image,
    held_photo_list,
    held_photo_resolve,
)
from matching.models import HeldPhoto
from matching.serializers import FaceChoiceInput
from tenants.api_schema import error_responses, path_uuid
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed
from tenants.parsers import JsonParser

HELD_ID = path_uuid("held_id", "The held photo's id.")


class HeldFaceOutput(serializers.Serializer[Any]):
    face = serializers.IntegerField()
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()


class HeldPhotoOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    gallery = serializers.CharField()
    subject_ref = serializers.CharField()
    file = serializers.CharField()
    status = serializers.CharField(
        help_text="pending; enrolled once a face was chosen; discarded (both erase the photo)"
    )
    faces = HeldFaceOutput(many=True)
    chosen_face = serializers.IntegerField(allow_null=True)
    batch = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class HeldPhotoListOutput(serializers.Serializer[Any]):
    held_photos = HeldPhotoOutput(many=True)


class HeldPhotoResolvedOutput(HeldPhotoOutput):
    face_id = serializers.IntegerField()
    subject_id = serializers.IntegerField()


def held_photo_output(held: HeldPhoto) -> dict[str, Any]:
    """Return the API representation of a held photo (never its embeddings)."""
    return {
        "id": str(held.id),
        "gallery": held.gallery.slug,
        "subject_ref": held.subject_ref,
        "file": held.filename,
        "status": held.status,
        "faces": [
            {"face": i, "x": b[3], "y": b[0], "w": b[1] - b[3], "h": b[2] - b[0]}
            for i, b in enumerate(held.boxes)
        ],
        "chosen_face": held.chosen_face,
        "batch": str(held.batch_id) if held.batch_id else None,
        "created_at": held.created_at.isoformat(),
    }


def _admin(user: User) -> None:
    if not action_allowed(user=user, action="held_photo.resolve"):
        raise ApiError(HELD_PHOTO_FORBIDDEN, "Only agency admins see held photos.", http_status=403)


def _held_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(HELD_PHOTO_NOT_FOUND, "No such held photo.", http_status=404) from exc


class HeldPhotoListApi(AgencyApi):
    """``GET /api/v1/held-photos``: the agency's photos waiting for a face to be picked."""

    @extend_schema(
        operation_id="held_photo_list",
        tags=["galleries"],
        summary="Enrollment photos held because they show several faces (admins)",
        responses={200: HeldPhotoListOutput, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        _admin(self.acting_user(request))
        held = held_photo_list(agency=self.acting_agency(request))
        return Response({"held_photos": [held_photo_output(h) for h in held]})


class HeldPhotoPhotoApi(AgencyApi):
    """``GET /api/v1/held-photos/{id}/photo``: the photo, to see which face is the subject."""

    @extend_schema(
        operation_id="held_photo_image",
        tags=["galleries"],
        parameters=[HELD_ID],
        summary="The pending held photo (JPEG, re-encoded without metadata); audited",
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **error_responses(403, 404, 409)},
    )
    def get(self, request: Request, held_id: str) -> HttpResponse:
        user = self.acting_user(request)
        _admin(user)
        try:
            content = held_photo_image(user=user, held_id=_held_id(held_id))
        except HeldPhotoError as exc:
            raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
        return HttpResponse(content, content_type="image/jpeg")


class HeldPhotoFaceChoiceApi(AgencyApi):
    """``POST /api/v1/held-photos/{id}/face-choice`` ``{"face": n}``: enroll that face."""

    parser_classes = [JsonParser]

    @extend_schema(
        operation_id="held_photo_face_choose",
        tags=["galleries"],
        parameters=[HELD_ID],
        summary="Enroll the chosen face of a held photo; the other faces are erased",
        request=FaceChoiceInput,
        responses={200: HeldPhotoResolvedOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, held_id: str) -> Response:
        user = self.acting_user(request)
        _admin(user)
        form = FaceChoiceInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            face = held_photo_resolve(
                user=user, held_id=_held_id(held_id), face=form.validated_data["face"]
            )
        except HeldPhotoError as exc:
            raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
        held = held_photo_get(agency=self.acting_agency(request), held_id=_held_id(held_id))
        assert held is not None  # noqa: S101 - resolved in this request
        return Response(
            {**held_photo_output(held), "face_id": face.pk, "subject_id": face.subject_id}
        )


class HeldPhotoDiscardApi(AgencyApi):
    """``POST /api/v1/held-photos/{id}/discard``: none of the faces is the subject's."""

    @extend_schema(
        operation_id="held_photo_discard",
        tags=["galleries"],
        parameters=[HELD_ID],
        summary="Discard a held photo: its bytes and faces are erased; audited",
        request=None,
        responses={200: HeldPhotoOutput, **error_responses(403, 404, 409)},
    )
    def post(self, request: Request, held_id: str) -> Response:
        user = self.acting_user(request)
        _admin(user)
        try:
            held_photo_discard(user=user, held_id=_held_id(held_id))
        except HeldPhotoError as exc:
            raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
        held = held_photo_get(agency=self.acting_agency(request), held_id=_held_id(held_id))
        assert held is not None  # noqa: S101 - discarded in this request
        return Response(held_photo_output(held))
