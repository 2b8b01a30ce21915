"""``GET /api/v1/imports/{id}``: an archive import's progress, like an enrollment batch's."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import UNFINISHED_ENROLLMENT, AgencyApi, _retry_after, _uuid_or_404
from matching.models import EnrollmentStatus, GalleryImport, GalleryImportKind
from tenants.api_schema import error_responses, path_uuid
from tenants.context import agency_transaction
from tenants.errors import ApiError

IMPORT_NOT_FOUND = "import_not_found"


class GalleryImportOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    gallery = serializers.CharField(source="gallery.slug")
    kind = serializers.ChoiceField(choices=GalleryImportKind.choices)
    several_faces = serializers.ChoiceField(choices=["refuse", "hold", "largest"])
    subjects_total = serializers.IntegerField()
    subjects_done = serializers.IntegerField(help_text="Committed so far; a resume starts here.")
    photos_total = serializers.IntegerField()
    enrolled = serializers.IntegerField()
    rejected = serializers.IntegerField()
    skipped = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Photos with several faces held for an admin.")
    error = serializers.CharField(help_text="Why a failed import stopped (a stable code).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    results = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        help_text="One entry per photo not enrolled: subject, file, status and reason.",
    )


def gallery_import_get(*, agency_id: str, import_id: Any) -> GalleryImport | None:
    """Return the agency's import, or None."""
    with agency_transaction(agency_id):
        return (
            GalleryImport.objects.select_related("gallery")
            .filter(agency_id=agency_id, id=import_id)
            .first()
        )


class GalleryImportDetailApi(AgencyApi):
    """``GET /api/v1/imports/{id}``: progress and the photos not enrolled."""

    @extend_schema(
        operation_id="gallery_import_get",
        tags=["galleries"],
        parameters=[path_uuid("import_id", "The archive import's id.")],
        summary="An archive import: progress, counts and the photos not enrolled",
        description="While the import is unfinished the response carries `Retry-After`.",
        responses={200: GalleryImportOutput, **error_responses(404)},
    )
    def get(self, request: Request, import_id: str) -> Response:
        record = gallery_import_get(
            agency_id=self.acting_agency(request).id,
            import_id=_uuid_or_404(import_id, IMPORT_NOT_FOUND),
        )
        if record is None:
            raise ApiError(IMPORT_NOT_FOUND, "No such import.", http_status=404)
        return _retry_after(
            Response(GalleryImportOutput(record).data),
            unfinished=record.status in UNFINISHED_ENROLLMENT,
        )
