"""REST API for searches, galleries and enrollment. The agency always comes from the user."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.enrollment import ENROLL_MAX_BYTES, UploadItem, enrollment_batch_create
from matching.follow_ups import follow_up_complete, follow_up_list
from matching.models import Candidate, EnrollmentBatch, FollowUp, Gallery, Search, SearchStatus
from matching.reviews import candidate_review, search_review_complete
from matching.searches import (
    SearchRequest,
    search_candidates_view,
    search_face_choose,
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
    ReviewCompleteInput,
    SearchCreateInput,
    SubjectEnrollInput,
)
from tenants import errors
from tenants.authentication import request_token
from tenants.errors import ApiError
from tenants.models import Agency, Role, User
from tenants.parsers import FormParser, JsonParser
from tenants.uploads import FORM_FIELDS_ALLOWANCE, FileCap, UploadLimits

SEARCH_NOT_FOUND = "search_not_found"
GALLERY_NOT_FOUND = "gallery_not_found"
ENROLLMENT_NOT_FOUND = "enrollment_not_found"


class AgencyApi(APIView):
    """Base for agency-scoped endpoints: resolves the acting user and agency once."""

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        """Take no files unless an endpoint says which (enforced while the body streams in)."""
        return UploadLimits(total_bytes=FORM_FIELDS_ALLOWANCE)

    def acting_user(self, request: Request) -> User:
        user = request.user
        if not isinstance(user, User) or user.agency is None:
            raise ApiError(errors.NOT_AUTHENTICATED, "Authenticate with an agency account.",
                           http_status=401)
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


def search_output(search: Search, candidates: list[Candidate]) -> dict[str, Any]:
    """Return the API representation of a search."""
    decision = search.decision
    body: dict[str, Any] = {
        "id": str(search.id),
        "status": search.status,
        "gallery": search.gallery.slug,
        "purpose": search.purpose,
        "case_number": search.case_number,
        "requested_by": search.requested_by.username,
        "created_at": search.created_at.isoformat(),
        "completed_at": search.completed_at.isoformat() if search.completed_at else None,
        "decision": None,
        "faces": search.face_boxes if search.status == SearchStatus.AWAITING_FACE_CHOICE else None,
        "face_choice": search.face_choice,
        "model": {"name": search.model_name, "version": search.model_version}
        if search.model_name else None,
        "limits": {
            "max_candidates": search.max_candidates,
            "min_similarity": search.min_similarity,
            "max_distance": search.max_distance,
            "similarity_scale": "1 - d^2/1.8 over Euclidean distance d",
        } if search.max_candidates is not None else None,
        "authorities": {
            "warrant_id": str(search.warrant_record_id) if search.warrant_record_id else None,
            "exigent_approval_id": str(search.exigent_record_id)
            if search.exigent_record_id else None,
            "interagency_agreement_id": str(search.agreement_record_id)
            if search.agreement_record_id else None,
        },
        "handling": search.handling,
        "quarantined": {"at": search.quarantined_at.isoformat(),
                        "reason": search.quarantine_reason} if search.quarantined_at else None,
        "candidates": [] if search.quarantined_at else [
            {
                "rank": c.rank,
                "subject_ref": c.subject.ref,
                "subject_name": c.subject.display_name,
                "similarity": round(c.similarity, 4),
                "distance": round(c.distance, 4),
                "investigative_lead_only": True,
                "disposition": c.disposition,
                "reviews": [{"reviewer": r.reviewer.username, "disposition": r.disposition,
                             "note": r.note, "at": r.created_at.isoformat()}
                            for r in c.reviews.all()],
            }
            for c in candidates
        ],
        "error": {"code": search.error_code, "message": search.error_message}
        if search.error_code else None,
    }
    if decision is not None:
        body["decision"] = {
            "id": str(decision.id),
            "allow": decision.allow,
            "reasons": decision.reasons,
            "obligations": decision.obligations,
            "bundle_revision": decision.bundle_revision,
            "engine": decision.engine,
            "latency_ms": round(decision.latency_ms, 3),
        }
    return body


class SearchCreateApi(AgencyApi):
    """``POST /api/v1/searches``: submit a probe and the request; the policy decides at once."""

    parser_classes = [MultiPartParser, FormParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        cap = settings.PROBE_MAX_BYTES
        return UploadLimits(total_bytes=cap + FORM_FIELDS_ALLOWANCE,
                            files={"probe": FileCap(cap, errors.IMAGE_TOO_LARGE)})

    def post(self, request: Request) -> Response:
        user = self.acting_user(request)
        probe = request.FILES.get("probe")
        if probe is None:
            raise ApiError(errors.IMAGE_MISSING, "Attach the probe image as the 'probe' file.")
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
        token = request_token(request)
        search = search_submit(
            user=user,
            mfa_verified=bool(token and token.mfa_verified),
            request=search_request,
            probe_bytes=probe.read(),
            probe_content_type=probe.content_type or "",
        )
        found = search_get(agency=self.acting_agency(request), search_id=search.id)
        assert found is not None  # noqa: S101
        response = Response(search_output(found, []), status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/searches/{search.id}"
        return response


class SearchDetailApi(AgencyApi):
    """``GET /api/v1/searches/{id}``: status, decision and candidates."""

    def get(self, request: Request, search_id: str) -> Response:
        agency = self.acting_agency(request)
        search = search_get(agency=agency, search_id=_uuid_or_404(search_id, SEARCH_NOT_FOUND))
        if search is None:
            raise ApiError(SEARCH_NOT_FOUND, "No such search.", http_status=404)
        candidates = search_candidates_view(
            user=self.acting_user(request), search=search
        )
        return Response(search_output(search, candidates))


class SearchFaceChoiceApi(AgencyApi):
    """``POST /api/v1/searches/{id}/face-choice``: pick the face to search among those found."""

    parser_classes = [JsonParser, FormParser, MultiPartParser]

    def post(self, request: Request, search_id: str) -> Response:
        user = self.acting_user(request)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        if search_get(agency=self.acting_agency(request), search_id=sid) is None:
            raise ApiError(SEARCH_NOT_FOUND, "No such search.", http_status=404)
        form = FaceChoiceInput(data=request.data)
        form.is_valid(raise_exception=True)
        search_face_choose(user=user, search_id=sid, face=form.validated_data["face"])
        found = search_get(agency=self.acting_agency(request), search_id=sid)
        assert found is not None  # noqa: S101
        return Response(search_output(found, []), status=status.HTTP_202_ACCEPTED)


def gallery_output(gallery: Gallery) -> dict[str, Any]:
    """Return the API representation of a gallery."""
    return {
        "id": gallery.slug,
        "name": gallery.name,
        "legal_basis": gallery.legal_basis,
        "contains_youth_records": gallery.contains_youth_records,
        "ycja_access_period_enforced": gallery.ycja_access_period_enforced,
    }


class GalleryListApi(AgencyApi):
    """``GET /api/v1/galleries``: the agency's own galleries."""

    def get(self, request: Request) -> Response:
        galleries = gallery_list(agency=self.acting_agency(request))
        return Response({"galleries": [gallery_output(g) for g in galleries]})


def batch_output(batch: EnrollmentBatch) -> dict[str, Any]:
    """Return the API representation of an enrollment batch."""
    return {
        "id": str(batch.id),
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "enrolled": batch.enrolled,
        "rejected": batch.rejected,
        "skipped": batch.skipped,
        "results": batch.results,
    }


class GallerySubjectsApi(AgencyApi):
    """``POST /api/v1/galleries/{id}/subjects``: enroll one subject's photos (agency admins)."""

    parser_classes = [MultiPartParser, FormParser]

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        return UploadLimits(total_bytes=settings.ENROLL_REQUEST_MAX_BYTES,
                            files={"images": FileCap(ENROLL_MAX_BYTES, errors.IMAGE_TOO_LARGE)})

    def post(self, request: Request, gallery_id: str) -> Response:
        user = self.acting_user(request)
        gallery = gallery_get(agency=self.acting_agency(request), slug=gallery_id)
        if gallery is None:
            raise ApiError(GALLERY_NOT_FOUND, "No such gallery.", http_status=404)
        if not user.has_role(Role.AGENCY_ADMIN):
            raise ApiError(errors.PERMISSION_DENIED, "Only agency admins enroll subjects.",
                           http_status=403)
        form = SubjectEnrollInput(data=request.data)
        form.is_valid(raise_exception=True)
        files = request.FILES.getlist("images")
        if not files:
            raise ApiError(errors.IMAGE_MISSING, "Attach one or more 'images' files.")
        items = [
            UploadItem(subject_ref=form.validated_data["ref"], filename=f.name or "upload",
                       content=f.read(), display_name=form.validated_data["display_name"])
            for f in files
        ]
        batch = enrollment_batch_create(gallery=gallery, items=items, created_by=user)
        response = Response(batch_output(batch), status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/enrollments/{batch.id}"
        return response


class EnrollmentDetailApi(AgencyApi):
    """``GET /api/v1/enrollments/{id}``: progress and per-file results."""

    def get(self, request: Request, batch_id: str) -> Response:
        batch = enrollment_batch_get(
            agency=self.acting_agency(request),
            batch_id=_uuid_or_404(batch_id, ENROLLMENT_NOT_FOUND),
        )
        if batch is None:
            raise ApiError(ENROLLMENT_NOT_FOUND, "No such enrollment.", http_status=404)
        return Response(batch_output(batch))


FOLLOW_UP_NOT_FOUND = "follow_up_not_found"
FOLLOW_UP_ROLES = {Role.SUPERVISOR.value, Role.COMPLIANCE_OFFICER.value}


def follow_up_output(task: FollowUp) -> dict[str, Any]:
    """Return the API representation of a follow-up task."""
    return {
        "id": str(task.id),
        "kind": task.kind,
        "search_id": str(task.search_id),
        "due_at": task.due_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by.username if task.completed_by else None,
        "note": task.note,
    }


class FollowUpListApi(AgencyApi):
    """``GET /api/v1/follow-ups``: open tasks (supervisors and compliance officers)."""

    def get(self, request: Request) -> Response:
        user = self.acting_user(request)
        if not FOLLOW_UP_ROLES.intersection(user.roles):
            raise ApiError(errors.PERMISSION_DENIED, "Supervisors and compliance officers only.",
                           http_status=403)
        include_done = request.query_params.get("all") == "1"
        tasks = follow_up_list(agency=self.acting_agency(request), include_done=include_done)
        return Response({"follow_ups": [follow_up_output(t) for t in tasks]})


class FollowUpCompleteApi(AgencyApi):
    """``POST /api/v1/follow-ups/{id}/complete`` with a note."""

    parser_classes = [JsonParser, FormParser]

    def post(self, request: Request, follow_up_id: str) -> Response:
        user = self.acting_user(request)
        if not FOLLOW_UP_ROLES.intersection(user.roles):
            raise ApiError(errors.PERMISSION_DENIED, "Supervisors and compliance officers only.",
                           http_status=403)
        form = FollowUpCompleteInput(data=request.data)
        form.is_valid(raise_exception=True)
        task = follow_up_complete(
            user=user, follow_up_id=_uuid_or_404(follow_up_id, FOLLOW_UP_NOT_FOUND),
            note=form.validated_data["note"],
        )
        return Response(follow_up_output(task))


class CandidateReviewApi(AgencyApi):
    """``POST /api/v1/searches/{id}/candidates/{rank}/reviews``: one person's review."""

    parser_classes = [JsonParser, FormParser]

    def post(self, request: Request, search_id: str, rank: int) -> Response:
        form = CandidateReviewInput(data=request.data)
        form.is_valid(raise_exception=True)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        candidate_review(user=self.acting_user(request), search_id=sid, rank=rank,
                         disposition=form.validated_data["disposition"],
                         note=form.validated_data["note"])
        return self._current(request, sid)

    def _current(self, request: Request, search_id: uuid.UUID) -> Response:
        agency = self.acting_agency(request)
        search = search_get(agency=agency, search_id=search_id)
        assert search is not None  # noqa: S101 - just reviewed in this agency
        candidates = search_candidates_view(user=self.acting_user(request), search=search)
        return Response(search_output(search, candidates))


class SearchReviewCompleteApi(CandidateReviewApi):
    """``POST /api/v1/searches/{id}/review-complete``: close a fully reviewed search."""

    def post(self, request: Request, search_id: str, rank: int = 0) -> Response:
        form = ReviewCompleteInput(data=request.data)
        form.is_valid(raise_exception=True)
        sid = _uuid_or_404(search_id, SEARCH_NOT_FOUND)
        search_review_complete(user=self.acting_user(request), search_id=sid,
                               note=form.validated_data["note"])
        return self._current(request, sid)
