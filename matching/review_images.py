"""The two images a reviewer compares: the search's probe and the candidate's enrolled photo.

Both are biometric: each is opened only for a person whose role sees the search's candidates
(``candidates.read`` in ``tenants.need_to_know``), only while the search's results are shown
(finished, not quarantined), and each opening is on the agency's audit chain in the same
transaction that unseals the bytes. A probe whose bytes were discarded (retention, denial)
or whose data key was destroyed is reported as no longer kept, never as an error.

Each image is served whole (the bytes as held) or as its face: the face the search compared
(the probe's chosen face, the candidate's enrolled face) with a margin around it, re-encoded
without metadata, so the two faces can be compared at the same size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from audit.services import audit_record
from datakeys.store import DataKeyDestroyedError
from matching.biometric_bytes import photo_content_open, probe_content_open
from matching.images import ImageRejectedError, image_decode, image_reencode_jpeg
from matching.models import Candidate, Face, Probe, Search, SubjectPhoto
from matching.reviews import CANDIDATE_NOT_FOUND
from matching.searches.revocation import FINISHED_STATES
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_require

PROBE_NOT_KEPT = "probe_not_kept"
PHOTO_NOT_FOUND = "photo_not_found"
# What a browser is told an image is; anything else is served as opaque bytes.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
# Around a face crop: this share of the face's larger side on every side; then at most this
# many pixels a side.
FACE_MARGIN = 0.5
FACE_SIDE_MAX = 640


@dataclass(frozen=True)
class ReviewImage:
    """An image's bytes and what they are."""

    content: bytes
    content_type: str


def _image(content: bytes, content_type: str) -> ReviewImage:
    kind = content_type if content_type in IMAGE_TYPES else "application/octet-stream"
    return ReviewImage(content=content, content_type=kind)


def face_crop(content: bytes, box: tuple[int, int, int, int]) -> bytes | None:
    """Return the face at ``box`` (left, top, right, bottom in the decoded, upright image).

    None when the bytes no longer decode (the caller serves them whole).
    """
    try:
        image = image_decode(content)
    except ImageRejectedError:
        return None
    left, top, right, bottom = box
    margin = int(max(right - left, bottom - top) * FACE_MARGIN)
    face = image.crop(
        (
            max(0, left - margin),
            max(0, top - margin),
            min(image.width, right + margin),
            min(image.height, bottom + margin),
        )
    )
    face.thumbnail((FACE_SIDE_MAX, FACE_SIDE_MAX))
    return image_reencode_jpeg(face)


def _shown(content: bytes, content_type: str, box: tuple[int, int, int, int] | None) -> ReviewImage:
    if box is not None:
        face = face_crop(content, box)
        if face is not None:
            return ReviewImage(content=face, content_type="image/jpeg")
    return _image(content, content_type)


def _probe_box(search: Search) -> tuple[int, int, int, int] | None:
    boxes, choice = search.face_boxes, search.face_choice
    if not isinstance(boxes, list) or choice is None or not 0 <= choice < len(boxes):
        return None
    rect = boxes[choice]
    return (rect["x"], rect["y"], rect["x"] + rect["w"], rect["y"] + rect["h"])


def _search_for_images(user: User, search_id: uuid.UUID) -> Search:
    """Return the search whose images ``user`` may see (caller's agency transaction)."""
    assert user.agency is not None  # noqa: S101
    search = Search.objects.filter(agency_id=user.agency.id, id=search_id).first()
    if search is None:
        raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
    action_require(user=user, action="candidates.read", owner_id=search.requested_by_id)
    if search.quarantined_at is not None or search.status not in FINISHED_STATES:
        raise ApiError(errors.NOT_FOUND, "This search shows no images.", http_status=404)
    return search


def probe_kept(*, user: User, search_id: uuid.UUID) -> bool:
    """Return whether the search still holds its probe's bytes (nothing is unsealed)."""
    assert user.agency is not None  # noqa: S101
    with agency_transaction(user.agency.id):
        return Probe.objects.filter(
            agency_id=user.agency.id, search_id=search_id, content__isnull=False
        ).exists()


def probe_image_view(*, user: User, search_id: uuid.UUID, face: bool = False) -> ReviewImage:
    """Return the probe (whole, or its chosen face) to a reviewer, recording ``probe.viewed``."""
    assert user.agency is not None  # noqa: S101
    with agency_transaction(user.agency.id):
        search = _search_for_images(user, search_id)
        probe = Probe.objects.filter(agency_id=search.agency_id, search=search).first()
        if probe is None or probe.content is None:
            raise ApiError(PROBE_NOT_KEPT, "The probe is no longer kept.", http_status=410)
        try:
            content = probe_content_open(probe=probe)
        except DataKeyDestroyedError:
            raise ApiError(
                PROBE_NOT_KEPT, "The probe is no longer kept.", http_status=410
            ) from None
        audit_record(
            agency_id=search.agency_id,
            actor=user,
            action="probe.viewed",
            object_type="search",
            object_id=str(search.id),
            data={"sha256": probe.sha256, "part": "face" if face else "whole"},
        )
    return _shown(content, probe.content_type, _probe_box(search) if face else None)


def candidate_photo_view(
    *, user: User, search_id: uuid.UUID, rank: int, face: bool = False
) -> ReviewImage:
    """Return the enrolled photo of a candidate (whole, or the face that matched), on record."""
    assert user.agency is not None  # noqa: S101
    with agency_transaction(user.agency.id):
        search = _search_for_images(user, search_id)
        candidate = (
            Candidate.objects.select_related("subject")
            .filter(agency_id=search.agency_id, search=search, rank=rank)
            .first()
        )
        if candidate is None:
            raise ApiError(CANDIDATE_NOT_FOUND, "No such candidate.", http_status=404)
        matched = Face.objects.filter(agency_id=search.agency_id, id=candidate.face_id).first()
        photo = (
            SubjectPhoto.objects.filter(
                agency_id=search.agency_id, id=matched.photo_id, subject_id=candidate.subject_id
            ).first()
            if matched is not None
            else None
        )
        if photo is None or photo.content_key is None:
            raise ApiError(PHOTO_NOT_FOUND, "The enrolled photo is not held.", http_status=404)
        content = photo_content_open(photo=photo)
        audit_record(
            agency_id=search.agency_id,
            actor=user,
            action="candidate.photo_viewed",
            object_type="search",
            object_id=str(search.id),
            data={
                "rank": rank,
                "subject": candidate.subject.ref,
                "photo": photo.pk,
                "part": "face" if face else "whole",
            },
        )
    box = None
    if face and matched is not None and isinstance(matched.box, list) and len(matched.box) == 4:
        top, right, bottom, left = (int(v) for v in matched.box)
        box = (left, top, right, bottom)
    return _shown(content, photo.content_type, box)
