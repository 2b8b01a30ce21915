"""The search: submit (policy gate), run (detect, encode, match) and the face choice.

``search_submit`` runs in the web process and never decodes the probe. ``search_execute`` runs in
a worker, only for a search whose recorded decision allowed it, and encodes exactly one face.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from matching.images import ImageRejectedError, image_decode, image_inspect, image_pixels
from matching.models import Candidate, Probe, Search, SearchStatus
from matching.policy_input import search_policy_input
from matching.selectors import faces_nearest, gallery_get
from matching.similarity import distance_for_similarity, similarity_from_distance
from policy.models import PolicyDecision
from policy.services import policy_decide
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User

logger = logging.getLogger(__name__)

GALLERY_NOT_FOUND = "gallery_not_found"
NO_FACE_DETECTED = "no_face_detected"
OBLIGATIONS_INVALID = "obligations_invalid"
NO_ALLOW_DECISION = "no_allow_decision"
FACE_CHOICE_STALE = "face_choice_stale"
INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class SearchRequest:
    """The client's side of a search: what they claim, never who they are."""

    gallery: str
    purpose: str
    case_number: str
    justification: str
    probe: dict[str, Any]
    offence: dict[str, Any] | None = None
    warrant: dict[str, Any] | None = None
    exigent: dict[str, Any] | None = None
    interagency: dict[str, Any] | None = None
    face_hint: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _obligation_limits(obligations: dict[str, Any]) -> tuple[int, float, int] | None:
    """Return (max candidates, min similarity, retention days), or None if unusable."""
    max_candidates = obligations.get("max_candidates")
    min_similarity = obligations.get("min_similarity")
    retention = obligations.get("probe_retention_days")
    if (
        isinstance(max_candidates, int) and not isinstance(max_candidates, bool)
        and 1 <= max_candidates <= 100
        and isinstance(min_similarity, int | float) and not isinstance(min_similarity, bool)
        and 0.0 <= float(min_similarity) <= 1.0
        and isinstance(retention, int) and not isinstance(retention, bool) and retention >= 0
    ):
        return max_candidates, float(min_similarity), retention
    return None


def search_submit(
    *,
    user: User,
    mfa_verified: bool,
    request: SearchRequest,
    probe_bytes: bytes,
    probe_content_type: str,
) -> Search:
    """Record a search, ask the policy, and either deny it or queue it for a worker.

    The probe is only inspected (type, size, structure), never decoded. A denied search keeps
    no probe bytes. Everything, decision included, is written in one transaction.
    """
    from matching.tasks import search_run

    agency = user.agency
    assert agency is not None  # noqa: S101 - authenticated users always have an agency
    try:
        info = image_inspect(probe_bytes, declared_type=probe_content_type)
    except ImageRejectedError as exc:
        raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
    gallery = gallery_get(agency=agency, slug=request.gallery)
    if gallery is None:
        raise ApiError(GALLERY_NOT_FOUND, "No such gallery.", http_status=404)
    now = timezone.now()
    with agency_transaction(agency.id):
        search = Search.objects.create(
            agency=agency,
            gallery=gallery,
            requested_by=user,
            purpose=request.purpose,
            offence=request.offence,
            case_number=request.case_number,
            justification=request.justification,
            warrant=request.warrant,
            exigent=request.exigent,
            interagency=request.interagency,
            probe_meta=request.probe,
            face_hint=request.face_hint,
        )
        audit_record(
            agency_id=agency.id, actor=user, action="search.submitted", object_type="search",
            object_id=str(search.id),
            data={"gallery": gallery.slug, "purpose": request.purpose,
                  "case_number": request.case_number, "probe_sha256": info.sha256,
                  "probe_bytes": info.size},
        )
        policy_input = search_policy_input(
            search=search, user=user, mfa_verified=mfa_verified, now=now
        )
        decision = policy_decide(
            agency_id=agency.id, policy_input=policy_input, search_id=search.id, actor=user
        )
        search.decision = decision
        limits = _obligation_limits(decision.obligations) if decision.allow else None
        probe = Probe(
            search=search, agency=agency, content_type=info.content_type, sha256=info.sha256,
            size=info.size, width=info.width, height=info.height,
        )
        if limits is None:
            search.status = SearchStatus.DENIED if not decision.allow else SearchStatus.FAILED
            if decision.allow:
                search.error_code = OBLIGATIONS_INVALID
                search.error_message = "The decision's obligations cannot be enforced."
            search.completed_at = now
            probe.content = None
            probe.deleted_at = now
            probe.save()
            search.save()
            audit_record(
                agency_id=agency.id, actor=user, action=f"search.{search.status}",
                object_type="search", object_id=str(search.id),
                data={"codes": [r.get("code") for r in decision.reasons],
                      "decision_id": str(decision.id)},
            )
            audit_record(
                agency_id=agency.id, actor="system", action="probe.discarded",
                object_type="search", object_id=str(search.id),
                data={"sha256": info.sha256, "reason": "search not allowed"},
            )
            return search
        max_candidates, min_similarity, retention_days = limits
        search.max_candidates = max_candidates
        search.min_similarity = min_similarity
        search.max_distance = distance_for_similarity(min_similarity)
        search.probe_retain_until = now + timedelta(days=retention_days)
        search.status = SearchStatus.QUEUED
        search.save()
        probe.content = probe_bytes
        probe.save()
        audit_record(
            agency_id=agency.id, actor=user, action="search.queued", object_type="search",
            object_id=str(search.id),
            data={"decision_id": str(decision.id), "max_candidates": max_candidates,
                  "min_similarity": min_similarity},
        )
        search_id, agency_id = str(search.id), agency.id
        transaction.on_commit(lambda: search_run.delay(search_id, agency_id))
    return search


def _search_fail(search: Search, code: str, message: str) -> None:
    with agency_transaction(search.agency_id):
        Search.objects.filter(id=search.id).update(
            status=SearchStatus.FAILED, error_code=code, error_message=message[:300],
            completed_at=timezone.now(), updated_at=timezone.now(),
        )
        audit_record(
            agency_id=search.agency_id, actor="worker", action="search.failed",
            object_type="search", object_id=str(search.id), data={"error_code": code},
        )


def _search_claim(*, agency_id: str, search_id: uuid.UUID) -> tuple[Search, bytes] | None:
    """Move a queued, allowed search to running; None if there is nothing to do."""
    with agency_transaction(agency_id):
        search = (
            Search.objects.select_for_update().select_related("gallery")
            .filter(agency_id=agency_id, id=search_id).first()
        )
        if search is None or search.status != SearchStatus.QUEUED:
            return None
        decision = None
        if search.decision_id is not None:
            decision = PolicyDecision.objects.filter(
                agency_id=agency_id, id=search.decision_id, search_id=search.id, allow=True
            ).first()
        probe = Probe.objects.filter(search=search, deleted_at__isnull=True).first()
        if decision is None or probe is None or probe.content is None:
            search.status = SearchStatus.FAILED
            search.error_code = NO_ALLOW_DECISION
            search.error_message = "No allow decision or no probe for this search."
            search.completed_at = timezone.now()
            search.save()
            audit_record(agency_id=agency_id, actor="worker", action="search.failed",
                         object_type="search", object_id=str(search.id),
                         data={"error_code": NO_ALLOW_DECISION})
            return None
        search.status = SearchStatus.RUNNING
        search.save(update_fields=["status", "updated_at"])
        audit_record(agency_id=agency_id, actor="worker", action="search.started",
                     object_type="search", object_id=str(search.id),
                     data={"decision_id": str(decision.id)})
        return search, bytes(probe.content)


def search_execute(*, agency_id: str, search_id: uuid.UUID) -> None:
    """Detect faces in an allowed probe, encode the chosen one and match it in the gallery."""
    from matching.faces import MODEL_NAME, MODEL_VERSION, face_encode, faces_detect

    claimed = _search_claim(agency_id=agency_id, search_id=search_id)
    if claimed is None:
        return
    search, data = claimed
    try:
        pixels = image_pixels(image_decode(data))
    except ImageRejectedError as exc:
        _search_fail(search, exc.code, exc.message)
        return
    boxes = faces_detect(pixels)
    if not boxes:
        _search_fail(search, NO_FACE_DETECTED, "No face was found in the probe.")
        return
    chosen = None
    if len(boxes) == 1:
        chosen = boxes[0]
    elif search.face_choice is not None:
        if search.face_boxes != [b.as_rect() for b in boxes] or search.face_choice >= len(boxes):
            _search_fail(search, FACE_CHOICE_STALE, "The chosen face no longer matches.")
            return
        chosen = boxes[search.face_choice]
    elif search.face_hint:
        inside = [b for b in boxes if b.center_within(search.face_hint)]
        chosen = inside[0] if len(inside) == 1 else None
    if chosen is None:
        with agency_transaction(agency_id):
            Search.objects.filter(id=search.id).update(
                status=SearchStatus.AWAITING_FACE_CHOICE,
                face_boxes=[b.as_rect() for b in boxes], updated_at=timezone.now(),
            )
            audit_record(agency_id=agency_id, actor="worker", action="search.awaiting_face_choice",
                         object_type="search", object_id=str(search.id),
                         data={"faces_detected": len(boxes)})
        return
    embedding = face_encode(pixels, chosen)
    if search.max_candidates is None or search.max_distance is None:
        _search_fail(search, OBLIGATIONS_INVALID, "The search has no enforceable limits.")
        return
    neighbours = faces_nearest(
        agency_id=agency_id, gallery_id=search.gallery_id, embedding=embedding,
        limit=search.max_candidates, max_distance=search.max_distance,
    )
    del embedding
    with agency_transaction(agency_id):
        Candidate.objects.bulk_create(
            Candidate(agency_id=agency_id, search_id=search.id, rank=rank, subject_id=n.subject_id,
                      face_id=n.face_id, distance=n.distance,
                      similarity=similarity_from_distance(n.distance))
            for rank, n in enumerate(neighbours, start=1)
        )
        Search.objects.filter(id=search.id).update(
            status=SearchStatus.AWAITING_REVIEW, model_name=MODEL_NAME,
            model_version=MODEL_VERSION, face_boxes=[b.as_rect() for b in boxes],
            face_choice=boxes.index(chosen), completed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        audit_record(agency_id=agency_id, actor="worker", action="search.completed",
                     object_type="search", object_id=str(search.id),
                     data={"candidates": len(neighbours), "model": MODEL_NAME,
                           "model_version": MODEL_VERSION,
                           "min_similarity": search.min_similarity,
                           "max_distance": search.max_distance,
                           "faces_detected": len(boxes), "faces_encoded": 1})


def search_fail_unexpected(*, agency_id: str, search_id: uuid.UUID, error: str) -> None:
    """Mark a running search failed after an unexpected worker error."""
    with agency_transaction(agency_id):
        search = Search.objects.filter(agency_id=agency_id, id=search_id).first()
    if search is not None and search.status == SearchStatus.RUNNING:
        _search_fail(search, INTERNAL_ERROR, error)


def search_face_choose(*, user: User, search_id: uuid.UUID, face: int) -> Search:
    """Record the user's choice among the detected faces and queue the search again."""
    from matching.tasks import search_run

    agency = user.agency
    assert agency is not None  # noqa: S101
    with agency_transaction(agency.id):
        search = (
            Search.objects.select_for_update().filter(agency=agency, id=search_id).first()
        )
        if search is None:
            raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
        if search.status != SearchStatus.AWAITING_FACE_CHOICE:
            raise ApiError(errors.SEARCH_STATE_CONFLICT,
                           f"The search is {search.status}, not awaiting a face choice.",
                           http_status=409)
        if not search.face_boxes or not 0 <= face < len(search.face_boxes):
            raise ApiError(errors.FACE_CHOICE_INVALID,
                           f"Choose a face between 0 and {len(search.face_boxes or []) - 1}.")
        search.face_choice = face
        search.status = SearchStatus.QUEUED
        search.save(update_fields=["face_choice", "status", "updated_at"])
        audit_record(agency_id=agency.id, actor=user, action="search.face_chosen",
                     object_type="search", object_id=str(search.id), data={"face": face})
        sid, aid = str(search.id), agency.id
        transaction.on_commit(lambda: search_run.delay(sid, aid))
    return search
