"""The search: submit (policy gate), run (detect, encode, match) and the face choice.

``search_submit`` runs in the web process and never decodes the probe. ``search_execute`` runs in
a worker, only for a search whose recorded decision allowed it, and encodes exactly one face.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from authorizations.facts import agreement_facts, exigent_facts, warrant_facts
from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from matching.biometric_bytes import probe_content_erase, probe_content_open, probe_content_seal
from matching.images import ImageRejectedError, image_decode, image_inspect, image_pixels
from matching.models import Candidate, FollowUp, FollowUpKind, Probe, Search, SearchStatus
from matching.policy_input import search_policy_input
from matching.selectors import Neighbour, faces_nearest, gallery_get
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
AUTHORITY_REVOKED = "authority_revoked"
AUTHORITY_UNVERIFIED = "authority_unverified"
ACTIVE_STATES = (SearchStatus.SUBMITTED, SearchStatus.QUEUED, SearchStatus.RUNNING,
                 SearchStatus.AWAITING_FACE_CHOICE)
FINISHED_STATES = (SearchStatus.AWAITING_REVIEW, SearchStatus.REVIEWED)
WORKER_LOST = "worker_lost"
STUCK_AFTER = timedelta(minutes=15)
# Faces fetched per candidate wanted, so subjects with several photos still fill the list.
FACES_PER_CANDIDATE = 4

Record = TypeVar("Record", bound=AuthorizationRecord)


@dataclass(frozen=True)
class SearchRequest:
    """The client's side of a search: what they claim, never who they are."""

    gallery: str
    purpose: str
    case_number: str
    justification: str
    probe: dict[str, Any]
    offence: dict[str, Any] | None = None
    warrant_id: uuid.UUID | None = None
    exigent_approval_id: uuid.UUID | None = None
    agreement_id: uuid.UUID | None = None
    face_hint: dict[str, int] | None = None


@dataclass(frozen=True)
class Authorities:
    """The authority records a search relies on, resolved within the agency."""

    warrant: Warrant | None = None
    exigent: ExigentApproval | None = None
    agreement: InteragencyAgreement | None = None


def _authority_get(
    model: type[Record], agency_id: str, record_id: uuid.UUID | None, label: str,
    *, require_verified: bool,
) -> Record | None:
    if record_id is None:
        return None
    record = model._default_manager.select_related("verified_by").filter(
        agency_id=agency_id, id=record_id
    ).first()
    if record is None:
        raise ApiError(f"{label}_not_found", f"No such {label.replace('_', ' ')}.",
                       http_status=404)
    if record.status == RecordStatus.REVOKED:
        raise ApiError(AUTHORITY_REVOKED, f"The {label.replace('_', ' ')} has been revoked.",
                       http_status=409)
    if require_verified and record.status != RecordStatus.VERIFIED:
        raise ApiError(AUTHORITY_UNVERIFIED,
                       f"The {label.replace('_', ' ')} has not been verified by a supervisor.",
                       http_status=409)
    return record


def authorities_resolve(*, agency_id: str, request: SearchRequest) -> Authorities:
    """Find the referenced records in the agency; unusable ones are refused before anything."""
    with agency_transaction(agency_id):
        return Authorities(
            warrant=_authority_get(Warrant, agency_id, request.warrant_id, "warrant",
                                   require_verified=True),
            # An unapproved exigent claim goes to the policy, which denies it (E-01) on record.
            exigent=_authority_get(ExigentApproval, agency_id, request.exigent_approval_id,
                                   "exigent_approval", require_verified=False),
            agreement=_authority_get(InteragencyAgreement, agency_id, request.agreement_id,
                                     "interagency_agreement", require_verified=True),
        )


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
    agency = user.agency
    assert agency is not None  # noqa: S101 - authenticated users always have an agency
    try:
        info = image_inspect(probe_bytes, declared_type=probe_content_type)
    except ImageRejectedError as exc:
        raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
    gallery = gallery_get(agency=agency, slug=request.gallery)
    if gallery is None:
        raise ApiError(GALLERY_NOT_FOUND, "No such gallery.", http_status=404)
    authorities = authorities_resolve(agency_id=agency.id, request=request)
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
            warrant=warrant_facts(authorities.warrant) if authorities.warrant else None,
            exigent=exigent_facts(authorities.exigent) if authorities.exigent else None,
            interagency=(agreement_facts(authorities.agreement)
                         if authorities.agreement else None),
            warrant_record=authorities.warrant,
            exigent_record=authorities.exigent,
            agreement_record=authorities.agreement,
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
        probe = Probe(
            search=search, agency=agency, content_type=info.content_type, sha256=info.sha256,
            size=info.size, width=info.width, height=info.height,
        )
        limits = _obligation_limits(decision.obligations) if decision.allow else None
        if limits is None:
            _search_end_unallowed(search, probe, decision, actor=user, now=now)
        else:
            _search_queue(search, probe, probe_bytes, decision, limits, actor=user, now=now)
    return search


def _search_end_unallowed(
    search: Search, probe: Probe, decision: PolicyDecision, *, actor: User, now: datetime
) -> None:
    """End a search the policy denied (or allowed with unenforceable obligations), probe unkept."""
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
        agency_id=search.agency_id, actor=actor, action=f"search.{search.status}",
        object_type="search", object_id=str(search.id),
        data={"codes": [r.get("code") for r in decision.reasons],
              "decision_id": str(decision.id)},
    )
    audit_record(
        agency_id=search.agency_id, actor="system", action="probe.discarded",
        object_type="search", object_id=str(search.id),
        data={"sha256": probe.sha256, "reason": "search not allowed"},
    )


def _search_queue(
    search: Search, probe: Probe, probe_bytes: bytes, decision: PolicyDecision,
    limits: tuple[int, float, int], *, actor: User, now: datetime,
) -> None:
    """Apply an allow's obligations, keep the probe and hand the search to a worker on commit."""
    from matching.tasks import search_run

    max_candidates, min_similarity, retention_days = limits
    search.max_candidates = max_candidates
    search.min_similarity = min_similarity
    search.max_distance = distance_for_similarity(min_similarity)
    search.probe_retain_until = now + timedelta(days=retention_days)
    search.status = SearchStatus.QUEUED
    search.handling = _handling(decision.obligations)
    search.save()
    probe_content_seal(probe=probe, content=probe_bytes)
    probe.save()
    _follow_ups_create(search, decision.obligations, now)
    audit_record(
        agency_id=search.agency_id, actor=actor, action="search.queued", object_type="search",
        object_id=str(search.id),
        data={"decision_id": str(decision.id), "max_candidates": max_candidates,
              "min_similarity": min_similarity},
    )
    search_id, agency_id = str(search.id), search.agency_id
    transaction.on_commit(lambda: search_run.delay(search_id, agency_id))


def _handling(obligations: dict[str, Any]) -> dict[str, bool]:
    """Return the handling flags the result carries to reviewers and the portal."""
    keys = ("human_review_required", "results_lead_only", "ycja_handling",
            "victim_identity_protection", "provenance_record_required",
            "discard_non_matching_faces_immediately", "qc_destroy_biometrics_when_purpose_met")
    flags = {key: obligations.get(key) is True for key in keys}
    flags["human_review_required"] = flags["results_lead_only"] = True
    return flags


def _follow_ups_create(search: Search, obligations: dict[str, Any], now: datetime) -> None:
    """Create the visible follow-up tasks the obligations demand, with due dates."""
    hours = obligations.get("post_hoc_review_within_hours")
    within = timedelta(hours=hours if isinstance(hours, int) and hours > 0 else 72)
    wanted = [
        (FollowUpKind.SUPERVISOR_NOTIFICATION, obligations.get("supervisor_notification"), now),
        (FollowUpKind.POST_HOC_REVIEW, obligations.get("post_hoc_review_required"), now + within),
        (FollowUpKind.JUDICIAL_AUTHORIZATION_FOLLOWUP,
         obligations.get("judicial_authorization_followup"), now + within),
    ]
    for kind, needed, due in wanted:
        if needed is True:
            task = FollowUp.objects.create(agency_id=search.agency_id, search=search, kind=kind,
                                           due_at=due)
            audit_record(agency_id=search.agency_id, actor="system",
                         action="follow_up.created", object_type="follow_up",
                         object_id=str(task.id),
                         data={"search_id": str(search.id), "kind": kind,
                               "due_at": due.isoformat()})


def searches_stop_for_revoked_authority(
    *, record: AuthorizationRecord, actor: Any, reason: str
) -> dict[str, int]:
    """Cancel searches still relying on a revoked record and quarantine finished results.

    Runs in the revocation's transaction. A worker that finishes afterwards finds its search
    cancelled and discards what it computed.
    """
    field = {Warrant: "warrant_record", ExigentApproval: "exigent_record",
             InteragencyAgreement: "agreement_record"}[type(record)]
    now = timezone.now()
    cancelled = quarantined = 0
    searches = Search.objects.select_for_update().filter(agency_id=record.agency_id,
                                                         **{field: record})
    for search in searches:
        if search.status in ACTIVE_STATES:
            search.status = SearchStatus.CANCELLED
            search.error_code = AUTHORITY_REVOKED
            search.error_message = f"Authority revoked: {reason}"[:300]
            search.completed_at = now
            search.save(update_fields=["status", "error_code", "error_message", "completed_at",
                                       "updated_at"])
            _probe_discard(search, actor="system", reason="authority revoked")
            cancelled += 1
            action = "search.cancelled"
        elif search.status in FINISHED_STATES and search.quarantined_at is None:
            search.quarantined_at = now
            search.quarantine_reason = f"Authority revoked: {reason}"[:300]
            search.save(update_fields=["quarantined_at", "quarantine_reason", "updated_at"])
            quarantined += 1
            action = "search.quarantined"
        else:
            continue
        audit_record(agency_id=record.agency_id, actor=actor, action=action,
                     object_type="search", object_id=str(search.id),
                     data={"authority": str(record.pk), "reason": reason})
    return {"searches_cancelled": cancelled, "searches_quarantined": quarantined}


def _probe_discard(search: Search, *, actor: Any, reason: str) -> bool:
    """Delete the probe's bytes (kept metadata: digest and size); audited. Caller's transaction."""
    deleted = probe_content_erase(
        agency_id=search.agency_id, search_id=search.id, deleted_at=timezone.now()
    )
    if deleted:
        audit_record(agency_id=search.agency_id, actor=actor, action="probe.deleted",
                     object_type="search", object_id=str(search.id), data={"reason": reason})
    return bool(deleted)


def probes_purge_due(*, agency_id: str) -> int:
    """Delete the agency's probes whose retention has ended; return how many."""
    now = timezone.now()
    purged = 0
    with agency_transaction(agency_id):
        due = Search.objects.filter(agency_id=agency_id, probe_retain_until__lte=now,
                                    probe__content__isnull=False).exclude(
            status__in=[SearchStatus.QUEUED, SearchStatus.RUNNING])
        for search in due:
            purged += _probe_discard(search, actor="system", reason="retention period ended")
    return purged


def _best_face_per_subject(faces: list[Neighbour]) -> list[Neighbour]:
    """Keep each subject's nearest face: a candidate is a person, not a photo."""
    seen: set[int] = set()
    best = []
    for face in faces:
        if face.subject_id not in seen:
            seen.add(face.subject_id)
            best.append(face)
    return best


def _search_fail(search: Search, code: str, message: str) -> None:
    with agency_transaction(search.agency_id):
        failed = Search.objects.filter(id=search.id, status=SearchStatus.RUNNING).update(
            status=SearchStatus.FAILED, error_code=code, error_message=message[:300],
            completed_at=timezone.now(), updated_at=timezone.now(),
        )
        if failed:
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
        return search, probe_content_open(probe=probe)


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
            waiting = Search.objects.filter(id=search.id, status=SearchStatus.RUNNING).update(
                status=SearchStatus.AWAITING_FACE_CHOICE,
                face_boxes=[b.as_rect() for b in boxes], updated_at=timezone.now(),
            )
            if not waiting:
                return
            audit_record(agency_id=agency_id, actor="worker", action="search.awaiting_face_choice",
                         object_type="search", object_id=str(search.id),
                         data={"faces_detected": len(boxes)})
        return
    embedding = face_encode(pixels, chosen)
    if search.max_candidates is None or search.max_distance is None:
        _search_fail(search, OBLIGATIONS_INVALID, "The search has no enforceable limits.")
        return
    faces = faces_nearest(
        agency_id=agency_id, gallery_id=search.gallery_id, embedding=embedding,
        limit=min(search.max_candidates * FACES_PER_CANDIDATE, 400),
        max_distance=search.max_distance,
    )
    del embedding
    neighbours = _best_face_per_subject(faces)[: search.max_candidates]
    with agency_transaction(agency_id):
        current = Search.objects.select_for_update().get(id=search.id)
        if current.status != SearchStatus.RUNNING:
            audit_record(agency_id=agency_id, actor="worker", action="search.results_discarded",
                         object_type="search", object_id=str(search.id),
                         data={"status": current.status})
            return
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
        if current.probe_retain_until is not None and current.probe_retain_until <= timezone.now():
            _probe_discard(current, actor="worker", reason="no retention (obligation)")


def search_fail_unexpected(*, agency_id: str, search_id: uuid.UUID, error: str) -> None:
    """Mark a running search failed after an unexpected worker error."""
    with agency_transaction(agency_id):
        search = Search.objects.filter(agency_id=agency_id, id=search_id).first()
    if search is not None and search.status == SearchStatus.RUNNING:
        _search_fail(search, INTERNAL_ERROR, error)


def search_candidates_view(*, user: User, search: Search) -> list[Candidate]:
    """Return a search's candidates to a person, recording that they saw them.

    Quarantined results are withheld and nothing is recorded as seen. Candidates are shown only
    with the status they belong to: a search read while still running shows none, even if the
    worker commits its candidates a moment later.
    """
    if search.quarantined_at is not None or search.status not in FINISHED_STATES:
        return []
    with agency_transaction(search.agency_id):
        candidates = list(
            Candidate.objects.select_related("subject")
            .prefetch_related("reviews__reviewer")
            .filter(agency_id=search.agency_id, search=search).order_by("rank")
        )
        if candidates:
            audit_record(agency_id=search.agency_id, actor=user, action="candidates.viewed",
                         object_type="search", object_id=str(search.id),
                         data={"candidates": [c.subject.ref for c in candidates]})
    return candidates


def searches_fail_stuck(*, agency_id: str, older_than: timedelta = STUCK_AFTER) -> int:
    """Fail searches left running by a worker that died, so none stays running for ever."""
    cutoff = timezone.now() - older_than
    failed = 0
    with agency_transaction(agency_id):
        stuck = Search.objects.select_for_update().filter(
            agency_id=agency_id, status=SearchStatus.RUNNING, updated_at__lt=cutoff)
        for search in stuck:
            search.status = SearchStatus.FAILED
            search.error_code = WORKER_LOST
            search.error_message = "The worker running this search stopped before finishing."
            search.completed_at = timezone.now()
            search.save(update_fields=["status", "error_code", "error_message", "completed_at",
                                       "updated_at"])
            audit_record(agency_id=agency_id, actor="system", action="search.failed",
                         object_type="search", object_id=str(search.id),
                         data={"error_code": WORKER_LOST})
            failed += 1
    return failed


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
