"""Execute an allowed search in a worker: claim it, detect, encode one face, match, complete.

Safe to run twice for one search: the claim takes a lease, a second delivery finds the search
held (or finished) and does nothing, and completion writes results only while this worker still
holds the lease -- the unique ``(search, rank)`` constraint makes a second result set impossible.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.services import audit_record
from authorizations.models import RecordStatus
from matching.biometric_bytes import probe_content_open
from matching.face_model import face_model_turn
from matching.images import ImageRejectedError, image_decode, image_pixels
from matching.models import Candidate, Probe, Search, SearchStatus
from matching.searches.lease import lease_heartbeat, lease_until, worker_identity
from matching.searches.retention import probe_discard
from matching.searches.revocation import AUTHORITY_REVOKED
from matching.searches.transitions import search_transition
from matching.selectors import Neighbour, faces_nearest
from matching.similarity import similarity_from_distance
from policy.models import PolicyDecision
from tenants.context import agency_transaction

logger = logging.getLogger(__name__)

NO_FACE_DETECTED = "no_face_detected"
NO_ALLOW_DECISION = "no_allow_decision"
FACE_CHOICE_STALE = "face_choice_stale"
INTERNAL_ERROR = "internal_error"
WORKER_LOST = "worker_lost"
OBLIGATIONS_INVALID = "obligations_invalid"
# Faces fetched per candidate wanted, so subjects with several photos still fill the list.
FACES_PER_CANDIDATE = 4


@dataclass(frozen=True)
class Claim:
    """A search this worker holds the lease on, with its probe's bytes."""

    search: Search
    probe: bytes
    owner: str


def _revoked_record(search: Search) -> str:
    """Return the kind of a revoked record the search relies on, or ''."""
    for label, record in (
        ("warrant", search.warrant_record),
        ("exigent_approval", search.exigent_record),
        ("interagency_agreement", search.agreement_record),
    ):
        if record is not None and record.status == RecordStatus.REVOKED:
            return label
    return ""


def search_claim(*, agency_id: str, search_id: uuid.UUID) -> Claim | None:
    """Take the lease on a queued search (or one whose lease expired); None if nothing to do."""
    owner = worker_identity()
    now = timezone.now()
    with agency_transaction(agency_id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .select_related("warrant_record", "exigent_record", "agreement_record")
            .filter(agency_id=agency_id, id=search_id)
            .first()
        )
        if search is None:
            return None
        held = (
            search.status == SearchStatus.RUNNING
            and search.lease_expires_at is not None
            and search.lease_expires_at > now
        )
        if search.status not in (SearchStatus.QUEUED, SearchStatus.RUNNING) or held:
            return None
        revoked = _revoked_record(search)
        if revoked:
            probe_discard(search, actor="worker", reason="authority revoked")
            search_transition(
                search=search,
                to=SearchStatus.CANCELLED,
                actor="worker",
                data={"authority": revoked, "at": "claim"},
                fields={
                    "error_code": AUTHORITY_REVOKED,
                    "error_message": f"The {revoked} was revoked.",
                },
            )
            return None
        decision = None
        if search.decision_id is not None:
            decision = PolicyDecision.objects.filter(
                agency_id=agency_id, id=search.decision_id, search_id=search.id, allow=True
            ).first()
        probe = Probe.objects.filter(search=search, deleted_at__isnull=True).first()
        if decision is None or probe is None or probe.content is None:
            search_transition(
                search=search,
                to=SearchStatus.FAILED,
                actor="worker",
                data={"error_code": NO_ALLOW_DECISION},
                fields={
                    "error_code": NO_ALLOW_DECISION,
                    "error_message": "No allow decision or no probe.",
                },
            )
            return None
        if search.attempts >= settings.SEARCH_MAX_ATTEMPTS:
            # Each attempt ended with its worker gone: the probe itself may be what kills it.
            search_transition(
                search=search,
                to=SearchStatus.FAILED,
                actor="system",
                data={"error_code": WORKER_LOST, "attempts": search.attempts},
                fields={
                    "error_code": WORKER_LOST,
                    "error_message": "The workers running this search stopped before finishing.",
                },
            )
            return None
        restart = search.status == SearchStatus.RUNNING
        search_transition(
            search=search,
            to=SearchStatus.RUNNING,
            actor="worker",
            action="search.restarted" if restart else "search.started",
            data={
                "decision_id": str(decision.id),
                "attempt": search.attempts + 1,
                "previous_owner": search.lease_owner if restart else "",
            },
            fields={
                "lease_owner": owner,
                "lease_expires_at": lease_until(now),
                "attempts": search.attempts + 1,
            },
        )
        return Claim(search=search, probe=probe_content_open(probe=probe), owner=owner)


def _search_fail(claim: Claim, code: str, message: str) -> None:
    """Fail the search if this worker still holds it."""
    with agency_transaction(claim.search.agency_id):
        search = _held(claim)
        if search is not None:
            search_transition(
                search=search,
                to=SearchStatus.FAILED,
                actor="worker",
                data={"error_code": code},
                fields={"error_code": code, "error_message": message[:300]},
            )


def _held(claim: Claim) -> Search | None:
    """Return the search locked, if it is still running under this worker's lease."""
    search = (
        Search.objects.select_for_update(of=("self",))
        .filter(agency_id=claim.search.agency_id, id=claim.search.id)
        .first()
    )
    if search is None or search.status != SearchStatus.RUNNING or search.lease_owner != claim.owner:
        return None
    return search


def search_execute(*, agency_id: str, search_id: uuid.UUID) -> None:
    """Detect faces in an allowed probe, encode the chosen one and match it in the gallery."""
    claim = search_claim(agency_id=agency_id, search_id=search_id)
    if claim is None:
        return
    with lease_heartbeat(agency_id=agency_id, search_id=search_id, owner=claim.owner):
        _search_run(claim)


def _search_run(claim: Claim) -> None:
    from matching.faces import MODEL_NAME, MODEL_VERSION, face_encode, faces_detect

    search, agency_id = claim.search, claim.search.agency_id
    try:
        pixels = image_pixels(image_decode(claim.probe))
    except ImageRejectedError as exc:
        _search_fail(claim, exc.code, exc.message)
        return
    with face_model_turn():
        boxes = faces_detect(pixels)
    if not boxes:
        _search_fail(claim, NO_FACE_DETECTED, "No face was found in the probe.")
        return
    chosen = None
    if len(boxes) == 1:
        chosen = boxes[0]
    elif search.face_choice is not None:
        if search.face_boxes != [b.as_rect() for b in boxes] or search.face_choice >= len(boxes):
            _search_fail(claim, FACE_CHOICE_STALE, "The chosen face no longer matches.")
            return
        chosen = boxes[search.face_choice]
    elif search.face_hint:
        inside = [b for b in boxes if b.center_within(search.face_hint)]
        chosen = inside[0] if len(inside) == 1 else None
    if chosen is None:
        with agency_transaction(agency_id):
            held = _held(claim)
            if held is not None:
                search_transition(
                    search=held,
                    to=SearchStatus.AWAITING_FACE_CHOICE,
                    actor="worker",
                    data={"faces_detected": len(boxes)},
                    fields={"face_boxes": [b.as_rect() for b in boxes]},
                )
        return
    if search.max_candidates is None or search.max_distance is None:
        _search_fail(claim, OBLIGATIONS_INVALID, "The search has no enforceable limits.")
        return
    with face_model_turn():
        embedding = face_encode(pixels, chosen)
    faces = faces_nearest(
        agency_id=agency_id,
        gallery_id=search.gallery_id,
        embedding=embedding,
        limit=min(search.max_candidates * FACES_PER_CANDIDATE, 400),
        max_distance=search.max_distance,
    )
    del embedding
    neighbours = _best_face_per_subject(faces)[: search.max_candidates]
    _search_complete(
        claim,
        neighbours,
        {
            "model_name": MODEL_NAME,
            "model_version": MODEL_VERSION,
            "face_boxes": [b.as_rect() for b in boxes],
            "face_choice": boxes.index(chosen),
        },
        faces_detected=len(boxes),
    )


# The chosen subjects, locked FOR SHARE in id order (the order every transaction that locks
# several subjects takes them in). A purge holds its subject FOR UPDATE from before it deletes
# the faces until it commits: one in progress makes this wait, and the re-check after the wait
# sees the subject purged; one that starts later waits for this completion to commit.
_SUBJECTS_LOCK_SQL = """
SELECT id FROM matching_subject
WHERE agency_id = %s AND id = ANY(%s) AND purged_at IS NULL
ORDER BY id FOR SHARE
"""
_FACES_LEFT_SQL = """
SELECT id FROM matching_face WHERE agency_id = %s AND id = ANY(%s) AND subject_id = ANY(%s)
"""


def _still_enrolled(agency_id: str, neighbours: list[Neighbour]) -> list[Neighbour]:
    """Lock the chosen subjects and keep the faces whose subject and face are still there.

    The lookup ran in an earlier transaction: a subject purged since then is dropped, never
    written as a candidate. Call in the completion's transaction, after the search row lock.
    """
    if not neighbours:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SUBJECTS_LOCK_SQL, [agency_id, sorted({n.subject_id for n in neighbours})])
        subjects = [int(r[0]) for r in cursor.fetchall()]
        cursor.execute(_FACES_LEFT_SQL, [agency_id, [n.face_id for n in neighbours], subjects])
        faces = {int(r[0]) for r in cursor.fetchall()}
    return [n for n in neighbours if n.face_id in faces]


def _search_complete(
    claim: Claim, chosen: list[Neighbour], fields: dict[str, Any], *, faces_detected: int
) -> None:
    """Write the results once: only under this worker's lease, only if none were written.

    Only the chosen faces whose subject is still enrolled are written (``_still_enrolled``);
    the completion's event counts those written and those a purge removed meanwhile.
    """
    agency_id, search_id = claim.search.agency_id, claim.search.id
    with agency_transaction(agency_id):
        search = _held(claim)
        if search is None or Candidate.objects.filter(search_id=search_id).exists():
            current = Search.objects.filter(id=search_id).values_list("status", flat=True)
            audit_record(
                agency_id=agency_id,
                actor="worker",
                action="search.results_discarded",
                object_type="search",
                object_id=str(search_id),
                data={"status": current.first() or ""},
            )
            return
        neighbours = _still_enrolled(agency_id, chosen)
        Candidate.objects.bulk_create(
            Candidate(
                agency_id=agency_id,
                search_id=search_id,
                rank=rank,
                subject_id=n.subject_id,
                face_id=n.face_id,
                distance=n.distance,
                similarity=similarity_from_distance(n.distance),
            )
            for rank, n in enumerate(neighbours, start=1)
        )
        if search.probe_retain_until is not None and search.probe_retain_until <= timezone.now():
            probe_discard(search, actor="worker", reason="no retention (obligation)")
        search_transition(
            search=search,
            to=SearchStatus.AWAITING_REVIEW,
            actor="worker",
            action="search.completed",
            data={
                "candidates": len(neighbours),
                "candidates_purged": len(chosen) - len(neighbours),
                "model": fields["model_name"],
                "model_version": fields["model_version"],
                "min_similarity": search.min_similarity,
                "max_distance": search.max_distance,
                "faces_detected": faces_detected,
                "faces_encoded": 1,
                # Numbers only (no subject): oversight's similarity distribution reads them.
                "similarities": [
                    round(similarity_from_distance(n.distance), 3) for n in neighbours
                ],
            },
            fields=fields,
        )


def _best_face_per_subject(faces: list[Neighbour]) -> list[Neighbour]:
    """Keep each subject's nearest face: a candidate is a person, not a photo."""
    seen: set[int] = set()
    best = []
    for face in faces:
        if face.subject_id not in seen:
            seen.add(face.subject_id)
            best.append(face)
    return best


def search_fail_unexpected(*, agency_id: str, search_id: uuid.UUID, error: str) -> None:
    """Mark a running search failed after an unexpected worker error."""
    with agency_transaction(agency_id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .filter(agency_id=agency_id, id=search_id)
            .first()
        )
        if search is not None and search.status == SearchStatus.RUNNING:
            search_transition(
                search=search,
                to=SearchStatus.FAILED,
                actor="worker",
                data={"error_code": INTERNAL_ERROR},
                fields={"error_code": INTERNAL_ERROR, "error_message": error[:300]},
            )
