"""Photos held at enrollment because they show several faces, and their resolution by an admin.

Resolving needs no face model: the worker encoded every face when it held the photo. The
chosen face is enrolled like any other (subject, photo flagged ``admin``, face), the other
faces' embeddings are erased, and both happen with the audit event in one transaction.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from audit.services import audit_record
from matching.models import Face, HeldPhoto, HeldPhotoStatus, Subject, SubjectPhoto
from tenants.context import agency_transaction
from tenants.models import Agency, User
from tenants.need_to_know import action_allowed

HELD_PHOTO_NOT_FOUND = "held_photo_not_found"
HELD_PHOTO_RESOLVED = "held_photo_resolved"
HELD_FACE_OUT_OF_RANGE = "held_face_out_of_range"
HELD_PHOTO_FORBIDDEN = "permission_denied"


class HeldPhotoError(Exception):
    """A resolution that cannot be made; ``code`` is stable, ``http_status`` says why."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


def held_photo_list(*, agency: Agency, status: str = HeldPhotoStatus.PENDING) -> list[HeldPhoto]:
    """Return the agency's held photos in ``status``, oldest first."""
    with agency_transaction(agency.id):
        return list(
            HeldPhoto.objects.select_related("gallery")
            .filter(agency=agency, status=status)
            .defer("content", "embeddings")
            .order_by("created_at")
        )


def held_photo_get(*, agency: Agency, held_id: uuid.UUID) -> HeldPhoto | None:
    """Return the agency's held photo, or None (also for another agency's)."""
    with agency_transaction(agency.id):
        return (HeldPhoto.objects.select_related("gallery")
                .filter(agency=agency, id=held_id).first())


def held_photo_resolve(*, user: User, held_id: uuid.UUID, face: int) -> Face:
    """Enroll face ``face`` of a held photo for its subject and erase the other faces."""
    agency = user.agency
    if agency is None or not action_allowed(user=user, action="held_photo.resolve"):
        raise HeldPhotoError(HELD_PHOTO_FORBIDDEN, "Only agency admins resolve held photos.",
                             403)
    with agency_transaction(agency.id):
        held = (HeldPhoto.objects.select_for_update()
                .filter(agency=agency, id=held_id).first())
        if held is None:
            raise HeldPhotoError(HELD_PHOTO_NOT_FOUND, "No such held photo.", 404)
        if held.status != HeldPhotoStatus.PENDING:
            raise HeldPhotoError(HELD_PHOTO_RESOLVED, "This photo has already been resolved.",
                                 409)
        if not 0 <= face < len(held.boxes) or len(held.embeddings) != len(held.boxes):
            raise HeldPhotoError(HELD_FACE_OUT_OF_RANGE,
                                 f"Choose a face from 0 to {len(held.boxes) - 1}.", 400)
        subject, _ = Subject.objects.get_or_create(
            agency=agency, gallery_id=held.gallery_id, ref=held.subject_ref,
            defaults={"display_name": held.display_name},
        )
        photo, created = SubjectPhoto.objects.get_or_create(
            agency=agency, subject=subject, sha256=held.sha256,
            defaults={"content": bytes(held.content), "content_type": "image/jpeg",
                      "width": held.width, "height": held.height,
                      "faces_detected": len(held.boxes), "face_choice": "admin"},
        )
        if not created:
            raise HeldPhotoError(HELD_PHOTO_RESOLVED,
                                 "This photo is already enrolled for the subject.", 409)
        enrolled = Face.objects.create(
            agency=agency, gallery_id=held.gallery_id, subject=subject, photo=photo,
            embedding=held.embeddings[face], box=held.boxes[face],
            model_name=held.model_name, model_version=held.model_version,
        )
        faces = len(held.boxes)
        HeldPhoto.objects.filter(id=held.id).update(
            status=HeldPhotoStatus.ENROLLED, chosen_face=face, resolved_by=user,
            resolved_at=timezone.now(), embeddings=[],
        )
        audit_record(
            agency_id=agency.id, actor=user, action="subject.enrolled",
            object_type="subject", object_id=str(subject.pk),
            data={"ref": held.subject_ref, "held_photo": str(held.id), "file": held.filename,
                  "faces_detected": faces, "face_chosen": face, "face_choice": "admin",
                  "model_version": held.model_version},
        )
    return enrolled
