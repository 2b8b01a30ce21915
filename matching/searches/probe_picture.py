"""The probe as the person choosing a face sees it: upright, without metadata, on record.

Its faces were detected in the upright decoded image (``execute``), so the picture is decoded
the same way and the boxes fall on it exactly. Reading it needs the need-to-know of one who
chooses the face or sees the candidates; every opening of its sealed bytes is audited in the
same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from audit.services import audit_record
from datakeys.store import DataKeyDestroyedError
from matching.biometric_bytes import probe_content_open
from matching.images import image_decode, image_reencode_jpeg, image_upright_size
from matching.models import Probe, Search, SearchStatus
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed

PROBE_GONE = "probe_gone"


@dataclass(frozen=True)
class FaceBox:
    """One detected face, as a share of the picture's width and height (percentages)."""

    index: int
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class ProbePicture:
    """The upright probe re-encoded as JPEG (no EXIF, no location)."""

    content: bytes
    width: int
    height: int


def probe_picture_allowed(*, user: User, search: Search) -> bool:
    """Return whether ``user`` may look at the probe of ``search``."""
    return any(
        action_allowed(user=user, action=action, owner_id=search.requested_by_id)
        for action in ("search.face_choose", "candidates.read")
    )


def _probe_of(user: User, search_id: uuid.UUID) -> tuple[Search, Probe]:
    agency = user.agency
    if agency is None:
        raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
    search = Search.objects.filter(agency=agency, id=search_id).first()
    if search is None:
        raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
    if not probe_picture_allowed(user=user, search=search):
        raise ApiError(
            errors.PERMISSION_DENIED, "Your role does not see this probe.", http_status=403
        )
    probe = Probe.objects.filter(search=search, content__isnull=False).first()
    if probe is None:
        raise ApiError(PROBE_GONE, "The probe has been deleted.", http_status=404)
    return search, probe


def _opened(probe: Probe) -> bytes:
    try:
        return probe_content_open(probe=probe)
    except (DataKeyDestroyedError, ValueError) as exc:
        raise ApiError(PROBE_GONE, "The probe has been deleted.", http_status=404) from exc


def search_probe_picture(*, user: User, search_id: uuid.UUID) -> ProbePicture:
    """Return the probe of one of the agency's searches as a JPEG; the viewing is audited."""
    assert user.agency_id is not None  # noqa: S101 - StaffMixin
    with agency_transaction(user.agency_id):
        search, probe = _probe_of(user, search_id)
        upright = image_decode(_opened(probe))
        content = image_reencode_jpeg(upright)
        audit_record(
            agency_id=search.agency_id,
            actor=user,
            action="probe.viewed",
            object_type="search",
            object_id=str(search.id),
            data={"status": search.status, "sha256": probe.sha256},
        )
    return ProbePicture(content=content, width=upright.width, height=upright.height)


def search_face_boxes(*, user: User, search: Search) -> list[FaceBox]:
    """Return the faces a search awaits a choice among, placed on its picture in percent.

    The picture's upright size is read from the probe's header (no pixel is decoded); opening
    the sealed bytes for it is audited (``probe.opened``), and so is serving the picture.
    """
    if search.status != SearchStatus.AWAITING_FACE_CHOICE or not search.face_boxes:
        return []
    assert user.agency_id is not None  # noqa: S101 - StaffMixin
    with agency_transaction(user.agency_id):
        _, probe = _probe_of(user, search.id)
        width, height = image_upright_size(_opened(probe))
        audit_record(
            agency_id=search.agency_id,
            actor=user,
            action="probe.opened",
            object_type="search",
            object_id=str(search.id),
            data={"purpose": "face_boxes", "faces": len(search.face_boxes)},
        )

    def share(value: float, whole: int) -> float:
        return round(min(max(value / whole, 0.0), 1.0) * 100, 3)

    return [
        FaceBox(
            index=i,
            left=share(box["x"], width),
            top=share(box["y"], height),
            width=share(box["w"], width),
            height=share(box["h"], height),
        )
        for i, box in enumerate(search.face_boxes)
    ]
