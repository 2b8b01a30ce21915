"""REST API for correcting a gallery subject's descriptive fields (agency admins)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from matching.outputs import SubjectOutput
from matching.subject_corrections import SubjectCorrection, subject_correct
from tenants.api_schema import error_responses, path_int, path_str
from tenants.parsers import FormParser, JsonParser


class SubjectCorrectionInput(serializers.Serializer[Any]):
    display_name = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The corrected display name."
    )
    reason = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Why the record is corrected."
    )


class SubjectCorrectionApi(AgencyApi):
    """``POST /api/v1/galleries/{id}/subjects/{subject_id}/correction``."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="gallery_subject_correct",
        tags=["galleries"],
        parameters=[
            path_str("gallery_id", "The gallery's id (slug)."),
            path_int("subject_id", "The subject's id."),
        ],
        summary="Correct a subject's display name with a reason (agency admins); audited",
        request=SubjectCorrectionInput,
        responses={200: SubjectOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, gallery_id: str, subject_id: int) -> Response:
        user = self.acting_user(request)
        form = SubjectCorrectionInput(data=request.data)
        form.is_valid(raise_exception=True)
        subject = subject_correct(
            user=user,
            gallery_slug=gallery_id,
            subject_id=subject_id,
            correction=SubjectCorrection(
                display_name=form.validated_data["display_name"],
                reason=form.validated_data["reason"],
            ),
        )
        return Response(SubjectOutput(subject).data)
