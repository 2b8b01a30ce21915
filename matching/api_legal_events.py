"""REST API for legal events, legal holds and deletion certificates (the agency's own)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi
from matching.legal_events import (
    IMPORT_MAX_BYTES,
    LEGAL_EVENTS_FILE_INVALID,
    LEGAL_EVENTS_ROWS_INVALID,
    LEGAL_HOLD_NOT_FOUND,
    EventInput,
    Recorded,
    deletion_certificates_list,
    legal_event_record,
    legal_events_import,
    legal_hold_lift,
    legal_hold_place,
    legal_holds_list,
)
from matching.models import DeletionCertificate, LegalEventKind, LegalHold
from tenants.api_schema import error_responses, path_uuid
from tenants.errors import ApiError
from tenants.need_to_know import action_require
from tenants.parsers import FormParser, JsonParser
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

TAGS = ["retention"]


class LegalEventInput(serializers.Serializer[Any]):
    subject_ref = serializers.CharField(max_length=120)
    gallery = serializers.SlugField(
        max_length=60,
        required=False,
        default="",
        help_text="Needed when several galleries hold the ref.",
    )
    kind = serializers.ChoiceField(choices=LegalEventKind.choices)
    date = serializers.DateField(help_text="The event's date (YYYY-MM-DD).")
    reference = serializers.CharField(max_length=120, help_text="Court docket or records ref.")
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class CertificateOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    subject_ref = serializers.CharField()
    gallery = serializers.CharField(source="gallery_slug")
    photos_deleted = serializers.IntegerField()
    faces_deleted = serializers.IntegerField()
    held_photos_deleted = serializers.IntegerField()
    uploads_deleted = serializers.IntegerField()
    photo_sha256 = serializers.ListField(child=serializers.CharField())
    event_kind = serializers.CharField()
    event_date = serializers.DateField()
    event_reference = serializers.CharField()
    legal_event = serializers.UUIDField(source="legal_event_id")
    rule_id = serializers.CharField()
    citation = serializers.CharField()
    deleted_by = serializers.CharField()
    deleted_at = serializers.DateTimeField()


class LegalEventOutput(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["purged", "held", "scheduled"])
    event = serializers.UUIDField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    certificate = CertificateOutput(allow_null=True)


class HoldInput(serializers.Serializer[Any]):
    subject_ref = serializers.CharField(max_length=120)
    gallery = serializers.SlugField(max_length=60, required=False, default="")
    reason = serializers.CharField(max_length=2000)


class LiftInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class HoldOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    subject_ref = serializers.CharField(source="subject.ref")
    reason = serializers.CharField()
    placed_by = serializers.CharField(source="placed_by.username")
    placed_at = serializers.DateTimeField()
    lifted_by = serializers.CharField(source="lifted_by.username", allow_null=True)
    lifted_at = serializers.DateTimeField(allow_null=True)
    lift_reason = serializers.CharField()


class ImportRowOutput(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="The line of the file (the header is line 1).")
    subject_ref = serializers.CharField()
    status = serializers.CharField(
        help_text="error or valid (nothing applied); purged, held, scheduled or already_purged"
    )
    code = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    event = serializers.UUIDField(required=False)
    certificate = serializers.UUIDField(required=False)


class ImportOutput(serializers.Serializer[Any]):
    applied = serializers.BooleanField()
    rows = ImportRowOutput(many=True)


def recorded_output(recorded: Recorded) -> dict[str, Any]:
    event = recorded.event
    return {
        "outcome": recorded.outcome,
        "event": str(event.id) if event else None,
        "due_at": event.due_at.isoformat() if event else None,
        "certificate": (
            CertificateOutput(recorded.certificate).data if recorded.certificate else None
        ),
    }


def hold_output(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": str(hold.id),
        "subject_ref": hold.subject.ref,
        "reason": hold.reason,
        "placed_by": hold.placed_by.username,
        "placed_at": hold.placed_at.isoformat(),
        "lifted_by": hold.lifted_by.username if hold.lifted_by else None,
        "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lift_reason": hold.lift_reason,
    }


class LegalEventCreateApi(AgencyApi):
    """``POST``: record a legal event for a subject; one due at once purges it now."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="legal_event_record",
        tags=TAGS,
        summary="Record a legal event for a subject (agency admins, compliance officers)",
        request=LegalEventInput,
        responses={201: LegalEventOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        action_require(user=user, action="legal_event.record")
        form = LegalEventInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        recorded = legal_event_record(
            user=user,
            data=EventInput(
                subject_ref=data["subject_ref"],
                kind=data["kind"],
                event_date=data["date"],
                reference=data["reference"],
                note=data["note"],
                gallery=data["gallery"],
            ),
        )
        return Response(recorded_output(recorded), status=status.HTTP_201_CREATED)


class LegalEventImportApi(AgencyApi):
    """``POST``: a CSV file of events from a records system: all rows applied, or none (400
    ``legal_events_rows_invalid``, each row's report in ``error.fields.rows``)."""

    parser_classes = [MultiPartParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(
            total_bytes=IMPORT_MAX_BYTES + FORM_FIELDS_ALLOWANCE,
            files={"file": FileCap(IMPORT_MAX_BYTES)},
        )

    @extend_schema(
        operation_id="legal_events_import",
        tags=TAGS,
        summary="Import legal events from a CSV file (subject_ref, kind, event_date, reference)",
        request=inline_serializer(
            "LegalEventsImportInput",
            fields={
                "file": serializers.FileField(),
                "gallery": serializers.SlugField(required=False),
            },
        ),
        responses={200: ImportOutput, **error_responses(400, 403, 413)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        action_require(user=user, action="legal_event.record")
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError(
                LEGAL_EVENTS_FILE_INVALID,
                "Send the CSV file in the field file.",
                fields={"file": ["This field is required."]},
            )
        gallery = str(request.POST.get("gallery") or "")
        assert user.agency_id is not None  # noqa: S101 - acting_user has an agency
        report = legal_events_import(
            agency_id=user.agency_id, content=upload.read(), user=user, gallery=gallery
        )
        if not report.applied:
            bad = sum(1 for r in report.rows if r["status"] == "error")
            raise ApiError(
                LEGAL_EVENTS_ROWS_INVALID,
                f"{bad} of {len(report.rows)} rows are bad: nothing was written.",
                fields={"rows": report.rows},
            )
        return Response({"applied": True, "rows": report.rows})


class LegalHoldCreateApi(AgencyApi):
    """``GET``: the holds in force (``?all=true``: every one); ``POST``: place a legal hold,
    stopping the subject's purge until it is lifted."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="legal_holds_list",
        tags=TAGS,
        summary="The agency's legal holds (compliance officers)",
        parameters=[OpenApiParameter("all", bool, description="Lifted holds too.")],
        responses={
            200: inline_serializer("LegalHoldPage", fields={"results": HoldOutput(many=True)}),
            **error_responses(403),
        },
    )
    def get(self, request: Request) -> Response:
        every = request.query_params.get("all", "false").lower() == "true"
        holds = legal_holds_list(user=self.acting_user(request), active_only=not every)
        return Response({"results": [hold_output(h) for h in holds]})

    @extend_schema(
        operation_id="legal_hold_place",
        tags=TAGS,
        summary="Place a legal hold on a subject (compliance officers)",
        request=HoldInput,
        responses={201: HoldOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        action_require(user=user, action="legal_hold.manage")
        form = HoldInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        hold = legal_hold_place(
            user=user,
            subject_ref=data["subject_ref"],
            gallery=data["gallery"],
            reason=data["reason"],
        )
        return Response(hold_output(hold), status=status.HTTP_201_CREATED)


class LegalHoldLiftApi(AgencyApi):
    """``POST``: lift a hold; the next periodic purge purges a subject then due."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="legal_hold_lift",
        tags=TAGS,
        request=LiftInput,
        parameters=[path_uuid("hold_id", "The hold's id.")],
        responses={200: HoldOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, hold_id: str) -> Response:
        user = self.acting_user(request)
        action_require(user=user, action="legal_hold.manage")
        try:
            parsed = uuid.UUID(hold_id)
        except ValueError:
            raise ApiError(LEGAL_HOLD_NOT_FOUND, "No such legal hold.", http_status=404) from None
        form = LiftInput(data=request.data)
        form.is_valid(raise_exception=True)
        hold = legal_hold_lift(user=user, hold_id=parsed, reason=form.validated_data["reason"])
        return Response(hold_output(hold))


class DeletionCertificateListApi(AgencyApi):
    """``GET``: the agency's deletion certificates, newest first."""

    @extend_schema(
        operation_id="deletion_certificates_list",
        tags=TAGS,
        responses={
            200: inline_serializer(
                "DeletionCertificatePage", fields={"results": CertificateOutput(many=True)}
            ),
            **error_responses(403),
        },
    )
    def get(self, request: Request) -> Response:
        certificates: list[DeletionCertificate] = deletion_certificates_list(
            user=self.acting_user(request)
        )
        return Response({"results": CertificateOutput(certificates, many=True).data})
