"""REST API for searches, galleries and enrollment. The agency always comes from the user."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.enrollment import ENROLL_MAX_BYTES, UploadItem, enrollment_batch_create
from matching.follow_ups import follow_up_complete
from matching.lead_outcomes import lead_outcome_record
from matching.models import (
    Candidate,
    EnrollmentBatch,
    EnrollmentStatus,
    FollowUp,
    Search,
    SearchStatus,
)
from matching.outputs import (
    EnrollmentBatchOutput,
    FollowUpOutput,
    GalleryListOutput,
    SearchOutput,
)
from matching.reviews import candidate_review, search_review_complete
from matching.searches import (
    SearchCapacityError,
    SearchRequest,
    search_candidates_view,
    search_candidates_visible,
    search_face_choose,
    search_read_require,
    search_submit,
)
from matching.selectors import (
    enrollment_batch_get,
    gallery_get,
    gallery_list,
    search_get,
)
from matching.serializers import (
    CandidateReviewInput,
    FaceChoiceInput,
    FollowUpCompleteInput,
    LeadOutcomeInput,
    ReviewCompleteInput,
    SearchCreateForm,
    SearchCreateInput,
    SearchCreateJson,
    SubjectEnrollForm,
    SubjectEnrollInput,
)
from tenants import errors
from tenants.api_schema import error_responses, path_int, path_str, path_uuid
from tenants.authentication import request_mfa_verified
from tenants.errors import ApiError
from tenants.idempotency import idempotent
from tenants.models import Agency, User
from tenants.need_to_know import action_allowed
from tenants.parsers import FormParser, JsonParser, JsonRejectedError, json_parse
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

SEARCH_NOT_FOUND = "search_not_found"
GALLERY_NOT_FOUND = "gallery_not_found"
ENROLLMENT_NOT_FOUND = "enrollment_not_found"
POLL_RETRY_AFTER_SECONDS = 2
UNFINISHED_SEARCH = {SearchStatus.SUBMITTED, SearchStatus.QUEUED, SearchStatus.RUNNING}
UNFINISHED_ENROLLMENT = {EnrollmentStatus.QUEUED, EnrollmentStatus.RUNNING}
SEARCH_ID = path_uuid("search_id", "The search's id.")


class AgencyApi(APIView):
    """Base for agency-scoped endpoints: resolves the acting user and agency once."""

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        """Take no files unless an endpoint says which (enforced while the body streams in)."""
        return UploadLimits(total_bytes=FORM_FIELDS_ALLOWANCE)

    def acting_user(self, request: Request) -> User:
        user = request.user
        if not isinstance(user, User) or user.agency is None:
            raise ApiError(
                errors.NOT_AUTHENTICATED, "Authenticate with an agency account.", http_status=401
            )
        return user

    def acting_agency(self, request: Request) -> Agency:
        agency = self.acting_user(request).agency
        assert agency is not None  # noqa: S101
        return agency


def _uuid_or_404(value: str, code: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(code, "Not found.", http_status=404) from exc


def _base64_length(size: int) -> int:
    return (size + 2) // 3 * 4


class ProbeJsonParser(JsonParser):
    """JSON whose base64 probe may reach ``PROBE_MAX_BYTES``: the same strict parse, with the
    body bounded by the probe's limit (plus the form fields) instead of the form limit."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            raise ParseError("Send a JSON body.")
        limit = _base64_length(settings.PROBE_MAX_BYTES) + FORM_FIELDS_ALLOWANCE
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestDataTooBig(f"The request body is larger than {limit} bytes.")
        try:
            return json_parse(body)
        except JsonRejectedError as exc:
            raise ParseError(f"The body was refused: {exc}.") from exc


def search_output(
    search: Search, candidates: list[Candidate], *, withheld: bool = False
) -> dict[str, Any]:
    """Return the API representation of a search (``withheld``: the caller sees no candidate)."""
    return dict(SearchOutput(search, context={"candidates": candidates, "withheld": withheld}).data)


def _retry_after(response: Response, *, unfinished: bool) -> Response:
    """Tell a polling client when to look again while the work is unfinished."""
    if unfinished:
        response["Retry-After"] = str(POLL_RETRY_AFTER_SECONDS)
    return response


def _probe_from_json(data: Any) -> tuple[bytes, str]:
    """Decode the base64 probe of a JSON search request, refusing it before it grows too big."""
    encoded = data.get("probe") if isinstance(data, dict) else None
    if encoded is None or encoded == "":
        raise ApiError(errors.IMAGE_MISSING, "Send the probe image as base64 in 'probe'.")
    if not isinstance(encoded, str):
        raise ApiError(
            errors.INVALID_REQUEST,
            "Some fields are missing or invalid.",
            fields={"probe": ["Must be a base64 string."]},
        )
    if len(encoded) > _base64_length(settings.PROBE_MAX_BYTES):
        raise ApiError(errors.IMAGE_TOO_LARGE, "The probe image is too large.", http_status=413)
    try:
        return base64.b64decode(encoded, validate=True), ""
    except (binascii.Error, ValueError) as exc:
        raise ApiError(
            errors.INVALID_REQUEST,
            "Some fields are missing or invalid.",
            fields={"probe": ["Not valid base64."]},
        ) from exc


def _probe_from_form(request: Request) -> tuple[bytes, str]:
    probe = request.FILES.get("probe")
    if probe is None:
        raise ApiError(errors.IMAGE_MISSING, "Attach the probe image as the 'probe' file.")
    return probe.read(), probe.content_type or ""


SEARCH_EXAMPLE = {
    "gallery": "booking",
    "purpose": "criminal_investigation",
    "offence": {"code": "CC 344", "category": "robbery", "indictable": True},
    "case_number": "2026-123456",
    "justification": "Armed robbery suspect captured on store CCTV; no other leads.",
    "probe_source": "cctv",
    "probe_collected_in": "CA-ON",
    "probe_collected_municipality": "Toronto",
    "probe_subject_believed_minor": False,
    "probe_captured_at": "2026-11-20T14:30:00-05:00",
    "probe": "/9j/4AAQSkZJRgABAQ…",
}


class SearchCreateApi(AgencyApi):
    """``POST /api/v1/searches``: submit a probe and the request; the policy decides at once."""

    parser_classes = [MultiPartParser, FormParser, ProbeJsonParser]
    throttle_scope = "search"

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        cap = settings.PROBE_MAX_BYTES
        return UploadLimits(
            total_bytes=cap + FORM_FIELDS_ALLOWANCE,
            files={"probe": FileCap(cap, errors.IMAGE_TOO_LARGE)},
        )

    def handle_exception(self, exc: Exception) -> Response:
        """Tell a client refused for capacity when to try again (429 with Retry-After)."""
        response = super().handle_exception(exc)
        if isinstance(exc, SearchCapacityError):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @extend_schema(
        operation_id="search_create",
        tags=["searches"],
        summary="Submit a search; the policy decides before anything is decoded",
        description=(
            "Multipart with the probe as the `probe` file and `offence` / `face_hint` as JSON "
            "text, or JSON with the probe as base64 and `offence` / `face_hint` as objects. "
            "Unknown fields are refused. 201 with status `denied` (reasons given, nothing "
            "decoded, no probe kept) or `queued`. Send `Idempotency-Key` to make retries safe."
        ),
        request={"multipart/form-data": SearchCreateForm, "application/json": SearchCreateJson},
        responses={201: SearchOutput, **error_responses(400, 404, 409, 413, 415, 429)},
        examples=[
            OpenApiExample(
                "robbery investigation",
                value=SEARCH_EXAMPLE,
                request_only=True,
                media_type="application/json",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        json_body = request.content_type.split(";")[0].strip().lower() == "application/json"
        return idempotent(request, user=user, create=lambda: self._create(request, user, json_body))

    def _create(self, request: Request, user: User, json_body: bool) -> Response:
        probe_bytes, probe_type = (
            _probe_from_json(request.data) if json_body else _probe_from_form(request)
        )
        form = SearchCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        search_request = SearchRequest(
            gallery=data["gallery"],
            purpose=data["purpose"],
            case_number=data["case_number"],
            justification=data["justification"],
            offence=data.get("offence"),
            warrant_id=data.get("warrant_id"),
            exigent_approval_id=data.get("exigent_approval_id"),
            agreement_id=data.get("interagency_agreement_id"),
            face_hint=data.get("face_hint"),
            probe={
                "source": data["probe_source"],
                "collected_in": data["probe_collected_in"],
                "collected_municipality": data["probe_collected_municipality"],
                "subject_believed_minor": data["probe_subject_believed_minor"],
                "captured_at": data["probe_captured_at"],
            },
        )
        search = search_submit(
            user=user,
            mfa_verified=request_mfa_verified(request),
            request=search_request,
            probe_bytes=probe_bytes,
            probe_content_type=probe_type,
        )
        found = search_get(agency=self.acting_agency(request), search_id=search.id)
        assert found is not None  # noqa: S101
        response = Response(search_output(found, []), status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/searches/{search.id}"
        return response


class SearchDetailApi(AgencyApi):
    """``GET /api/v1/searches/{id}``: status, decision and candidates."""

    @extend_schema(
        operation_id="search_get",
        tags=["searches"],
        parameters=[SEARCH_ID],
        summary="A search: status, decision, candidates (viewing candidates is audited)",
        description="While the search is unfinished the response carries `Retry-After`.",
        responses={200: SearchOutput, **error_responses(404)},
    )
    def get(self, request: Request, search_id: str) -> Response:
        agency = self.acting_agency(request)
        search = search_get(agency=agency, search_id=_uuid_or_404(search_id, SEARCH_NOT_FOUND))
        if search is None:
            raise ApiError(SEARCH_NOT_FOUND, "No such search.", http_status=404)
        user = self.acting_user(request)
        search_read_require(user=user, search=search)
        candidates = search_candidates_view(user=user, search=search)
        withheld = not search_candidates_visible(user=user, search=search)
        return _retry_after(
            Response(search_output(search, candidates, withheld=withheld)),
            unfinished=search.status in UNFINISHED_SEARCH,
        )


class SearchFaceChoiceApi(AgencyApi):
    """``POST /api/v1/searches/{id}/face-choice``: pick the face to search among those found."""

    parser_classes = [JsonParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="search_face_choose",
        tags=["searches"],
        parameters=[SEARCH_ID],
        summary="Choose the face to search when the probe shows several people",
        request=FaceChoiceInput,
        responses={202: SearchOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request, search_id: str) -> Response:
        user = self.acting_user(request)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        if search_get(agency=self.acting_agency(request), search_id=sid) is None:
            raise ApiError(SEARCH_NOT_FOUND, "No such search.", http_status=404)
        form = FaceChoiceInput(data=request.data)
        form.is_valid(raise_exception=True)
        search_face_choose(
            user=user,
            search_id=sid,
            face=form.validated_data["face"],
            mfa_verified=request_mfa_verified(request),
        )
        found = search_get(agency=self.acting_agency(request), search_id=sid)
        assert found is not None  # noqa: S101
        return Response(search_output(found, []), status=status.HTTP_202_ACCEPTED)


class GalleryListApi(AgencyApi):
    """``GET /api/v1/galleries``: the agency's own galleries."""

    @extend_schema(
        operation_id="gallery_list",
        tags=["galleries"],
        summary="The agency's galleries",
        responses={200: GalleryListOutput, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        galleries = gallery_list(agency=self.acting_agency(request))
        return Response(GalleryListOutput({"galleries": galleries}).data)


def batch_output(batch: EnrollmentBatch) -> dict[str, Any]:
    """Return the API representation of an enrollment batch."""
    return dict(EnrollmentBatchOutput(batch).data)


class GallerySubjectsApi(AgencyApi):
    """``POST /api/v1/galleries/{id}/subjects``: enroll one subject's photos (agency admins)."""

    parser_classes = [MultiPartParser, FormParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(
            total_bytes=settings.ENROLL_REQUEST_MAX_BYTES,
            files={"images": FileCap(ENROLL_MAX_BYTES, errors.IMAGE_TOO_LARGE)},
        )

    @extend_schema(
        operation_id="gallery_subject_enroll",
        tags=["galleries"],
        parameters=[path_str("gallery_id", "The gallery's id (slug).")],
        summary="Enroll one subject's photos (agency admins); returns the batch",
        description="Send `Idempotency-Key` to make retries safe.",
        request={"multipart/form-data": SubjectEnrollForm},
        responses={202: EnrollmentBatchOutput, **error_responses(400, 403, 404, 413)},
    )
    def post(self, request: Request, gallery_id: str) -> Response:
        user = self.acting_user(request)
        gallery = gallery_get(agency=self.acting_agency(request), slug=gallery_id)
        if gallery is None:
            raise ApiError(GALLERY_NOT_FOUND, "No such gallery.", http_status=404)
        if not action_allowed(user=user, action="subject.enroll"):
            raise ApiError(
                errors.PERMISSION_DENIED, "Only agency admins enroll subjects.", http_status=403
            )

        def create() -> Response:
            form = SubjectEnrollInput(data=request.data)
            form.is_valid(raise_exception=True)
            files = request.FILES.getlist("images")
            if not files:
                raise ApiError(errors.IMAGE_MISSING, "Attach one or more 'images' files.")
            items = [
                UploadItem(
                    subject_ref=form.validated_data["ref"],
                    filename=f.name or "upload",
                    content=f.read(),
                    display_name=form.validated_data["display_name"],
                )
                for f in files
            ]
            batch = enrollment_batch_create(
                gallery=gallery,
                items=items,
                created_by=user,
                several_faces=form.validated_data["several_faces"],
            )
            response = Response(batch_output(batch), status=status.HTTP_202_ACCEPTED)
            response["Location"] = f"/api/v1/enrollments/{batch.id}"
            return response

        return idempotent(request, user=user, create=create)


class EnrollmentDetailApi(AgencyApi):
    """``GET /api/v1/enrollments/{id}``: progress and per-file results."""

    @extend_schema(
        operation_id="enrollment_get",
        tags=["galleries"],
        parameters=[path_uuid("batch_id", "The enrollment batch's id.")],
        summary="An enrollment batch: progress and a result per file",
        description="While the batch is unfinished the response carries `Retry-After`.",
        responses={200: EnrollmentBatchOutput, **error_responses(404)},
    )
    def get(self, request: Request, batch_id: str) -> Response:
        batch = enrollment_batch_get(
            agency=self.acting_agency(request),
            batch_id=_uuid_or_404(batch_id, ENROLLMENT_NOT_FOUND),
        )
        if batch is None:
            raise ApiError(ENROLLMENT_NOT_FOUND, "No such enrollment.", http_status=404)
        return _retry_after(
            Response(batch_output(batch)), unfinished=batch.status in UNFINISHED_ENROLLMENT
        )


FOLLOW_UP_NOT_FOUND = "follow_up_not_found"


def follow_up_output(task: FollowUp) -> dict[str, Any]:
    """Return the API representation of a follow-up task."""
    return dict(FollowUpOutput(task).data)


class FollowUpCompleteApi(AgencyApi):
    """``POST /api/v1/follow-ups/{id}/complete`` with a note."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="follow_up_complete",
        tags=["follow-ups"],
        parameters=[path_uuid("follow_up_id", "The follow-up's id.")],
        summary="Close a follow-up with a note (supervisors and compliance officers)",
        request=FollowUpCompleteInput,
        responses={200: FollowUpOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, follow_up_id: str) -> Response:
        user = self.acting_user(request)
        if not action_allowed(user=user, action="follow_up.complete"):
            raise ApiError(
                errors.PERMISSION_DENIED,
                "Supervisors and compliance officers only.",
                http_status=403,
            )
        form = FollowUpCompleteInput(data=request.data)
        form.is_valid(raise_exception=True)
        task = follow_up_complete(
            user=user,
            follow_up_id=_uuid_or_404(follow_up_id, FOLLOW_UP_NOT_FOUND),
            note=form.validated_data["note"],
        )
        return Response(follow_up_output(task))


class CandidateReviewApi(AgencyApi):
    """``POST /api/v1/searches/{id}/candidates/{rank}/reviews``: one person's review."""

    parser_classes = [JsonParser, FormParser]

    @extend_schema(
        operation_id="candidate_review",
        tags=["reviews"],
        parameters=[SEARCH_ID, path_int("rank", "The candidate's rank (1 is the nearest).")],
        summary="Review one candidate; a possible match needs a supervisor's second review",
        description="Send `Idempotency-Key` to make retries safe.",
        request=CandidateReviewInput,
        responses={200: SearchOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, search_id: str, rank: int) -> Response:
        user = self.acting_user(request)

        def create() -> Response:
            form = CandidateReviewInput(data=request.data)
            form.is_valid(raise_exception=True)
            sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
            candidate_review(
                user=user,
                search_id=sid,
                rank=rank,
                disposition=form.validated_data["disposition"],
                note=form.validated_data["note"],
                mfa_verified=request_mfa_verified(request),
            )
            return self._current(request, sid)

        return idempotent(
            request,
            user=user,
            create=create,
            current=lambda: self._current(request, _uuid_or_404(search_id, SEARCH_NOT_FOUND)),
        )

    def _current(self, request: Request, search_id: uuid.UUID) -> Response:
        agency = self.acting_agency(request)
        search = search_get(agency=agency, search_id=search_id)
        assert search is not None  # noqa: S101 - just reviewed in this agency
        candidates = search_candidates_view(user=self.acting_user(request), search=search)
        return Response(search_output(search, candidates))


class LeadOutcomeApi(CandidateReviewApi):
    """``POST /api/v1/searches/{id}/candidates/{rank}/outcome``: what became of a lead."""

    @extend_schema(
        operation_id="lead_outcome_record",
        tags=["reviews"],
        parameters=[SEARCH_ID, path_int("rank", "The candidate's rank (1 is the nearest).")],
        summary="Record what became of a possible match (confirmed, excluded, charged)",
        request=LeadOutcomeInput,
        responses={200: SearchOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, search_id: str, rank: int) -> Response:
        form = LeadOutcomeInput(data=request.data)
        form.is_valid(raise_exception=True)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        lead_outcome_record(
            user=self.acting_user(request),
            search_id=sid,
            rank=rank,
            outcome=form.validated_data["outcome"],
            note=form.validated_data["note"],
            mfa_verified=request_mfa_verified(request),
        )
        return self._current(request, sid)


class SearchReviewCompleteApi(CandidateReviewApi):
    """``POST /api/v1/searches/{id}/review-complete``: close a fully reviewed search."""

    @extend_schema(
        operation_id="search_review_complete",
        tags=["reviews"],
        parameters=[SEARCH_ID],
        summary="Close the review of a search that found no candidate",
        request=ReviewCompleteInput,
        responses={200: SearchOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, search_id: str, rank: int = 0) -> Response:
        form = ReviewCompleteInput(data=request.data)
        form.is_valid(raise_exception=True)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        search_review_complete(
            user=self.acting_user(request),
            search_id=sid,
            note=form.validated_data["note"],
            mfa_verified=request_mfa_verified(request),
        )
        return self._current(request, sid)
