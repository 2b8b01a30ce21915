"""Photos held at enrollment because they show several faces, and their resolution by an admin.

Resolving needs no face model: the worker encoded every face when it held the photo. The
chosen face is enrolled like any other (subject, photo flagged ``admin``, face), the other
faces' embeddings are erased, and both happen with the audit event in one transaction. The
held bytes and embeddings are sealed under a data key of their own
(``matching.biometric_bytes``); resolving the photo, by enrolling a face (the enrolled photo is
sealed under a new key) or by discarding it, clears them and destroys that key once the
transaction commits.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from datakeys.services import datakey_destroy_on_commit
from matching.biometric_bytes import (
    held_photo_content_erase,
    held_photo_content_open,
    held_photo_content_seal,
    held_photo_embeddings_open,
    photo_content_seal,
)
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


def held_photo_keep(*, held: HeldPhoto, content: bytes, embeddings: list[list[float]]) -> bool:
    """Save the unsaved ``held`` with its bytes and embeddings sealed; caller's transaction.

    Return False, storing nothing, if the gallery already holds that photo for the subject.
    """
    if HeldPhoto.objects.filter(
        agency_id=held.agency_id,
        gallery_id=held.gallery_id,
        subject_ref=held.subject_ref,
        sha256=held.sha256,
    ).exists():
        return False
    held_photo_content_seal(held=held, content=content, embeddings=embeddings)
    try:
        with transaction.atomic():
            held.save(force_insert=True)
    except IntegrityError:
        if held.content_key is not None:
            datakey_destroy_on_commit(agency_id=held.agency_id, key_id=held.content_key)
        return False
    return True


def held_photo_list(*, agency: Agency, status: str = HeldPhotoStatus.PENDING) -> list[HeldPhoto]:
    """Return the agency's held photos in ``status``, oldest first."""
    with agency_transaction(agency.id):
        return list(
            HeldPhoto.objects.select_related("gallery")
            .filter(agency=agency, status=status)
            .defer("content", "embeddings_sealed")
            .order_by("created_at")
        )


def held_photo_get(*, agency: Agency, held_id: uuid.UUID) -> HeldPhoto | None:
    """Return the agency's held photo, or None (also for another agency's)."""
    with agency_transaction(agency.id):
        return (
            HeldPhoto.objects.select_related("gallery")
            .defer("content", "embeddings_sealed")
            .filter(agency=agency, id=held_id)
            .first()
        )


def _admin_agency(user: User) -> Agency:
    agency = user.agency
    if agency is None or not action_allowed(user=user, action="held_photo.resolve"):
        raise HeldPhotoError(HELD_PHOTO_FORBIDDEN, "Only agency admins resolve held photos.", 403)
    return agency


def _pending_locked(agency: Agency, held_id: uuid.UUID) -> HeldPhoto:
    held = HeldPhoto.objects.select_for_update().filter(agency=agency, id=held_id).first()
    if held is None:
        raise HeldPhotoError(HELD_PHOTO_NOT_FOUND, "No such held photo.", 404)
    if held.status != HeldPhotoStatus.PENDING or held.content_key is None:
        raise HeldPhotoError(HELD_PHOTO_RESOLVED, "This photo has already been resolved.", 409)
    return held


def held_photo_image(*, user: User, held_id: uuid.UUID) -> bytes:
    """Return a pending held photo's bytes for an agency admin to pick the face; audited."""
    agency = _admin_agency(user)
    with agency_transaction(agency.id):
        held = _pending_locked(agency, held_id)
        content = held_photo_content_open(held=held)
        audit_record(
            agency_id=agency.id,
            actor=user,
            action="held_photo.viewed",
            object_type="held_photo",
            object_id=str(held.id),
            data={
                "ref": held.subject_ref,
                "file": held.filename,
                "faces_detected": len(held.boxes),
            },
        )
    return content


def held_photo_resolve(*, user: User, held_id: uuid.UUID, face: int) -> Face:
    """Enroll face ``face`` of a held photo for its subject and erase the held bytes and faces."""
    agency = _admin_agency(user)
    with agency_transaction(agency.id):
        held = _pending_locked(agency, held_id)
        embeddings = held_photo_embeddings_open(held=held)
        if not 0 <= face < len(held.boxes) or len(embeddings) != len(held.boxes):
            raise HeldPhotoError(
                HELD_FACE_OUT_OF_RANGE, f"Choose a face from 0 to {len(held.boxes) - 1}.", 400
            )
        subject, _ = Subject.objects.get_or_create(
            agency=agency,
            gallery_id=held.gallery_id,
            ref=held.subject_ref,
            defaults={"display_name": held.display_name},
        )
        if SubjectPhoto.objects.filter(subject=subject, sha256=held.sha256).exists():
            raise HeldPhotoError(
                HELD_PHOTO_RESOLVED, "This photo is already enrolled for the subject.", 409
            )
        photo = SubjectPhoto(
            agency=agency,
            subject=subject,
            sha256=held.sha256,
            content_type="image/jpeg",
            width=held.width,
            height=held.height,
            faces_detected=len(held.boxes),
            face_choice="admin",
        )
        photo_content_seal(photo=photo, content=held_photo_content_open(held=held))
        photo.save(force_insert=True)
        enrolled = Face.objects.create(
            agency=agency,
            gallery_id=held.gallery_id,
            subject=subject,
            photo=photo,
            embedding=embeddings[face],
            box=held.boxes[face],
            model_name=held.model_name,
            model_version=held.model_version,
        )
        faces = len(held.boxes)
        held_photo_content_erase(held=held)
        HeldPhoto.objects.filter(id=held.id).update(
            status=HeldPhotoStatus.ENROLLED,
            chosen_face=face,
            resolved_by=user,
            resolved_at=timezone.now(),
        )
        audit_record(
            agency_id=agency.id,
            actor=user,
            action="subject.enrolled",
            object_type="subject",
            object_id=str(subject.pk),
            data={
                "ref": held.subject_ref,
                "held_photo": str(held.id),
                "file": held.filename,
                "faces_detected": faces,
                "face_chosen": face,
                "face_choice": "admin",
                "model_version": held.model_version,
            },
        )
    return enrolled


def held_photo_discard(*, user: User, held_id: uuid.UUID) -> None:
    """Discard a held photo none of whose faces is the subject's: erase its bytes and faces."""
    agency = _admin_agency(user)
    with agency_transaction(agency.id):
        held = _pending_locked(agency, held_id)
        held_photo_content_erase(held=held)
        HeldPhoto.objects.filter(id=held.id).update(
            status=HeldPhotoStatus.DISCARDED,
            resolved_by=user,
            resolved_at=timezone.now(),
        )
        audit_record(
            agency_id=agency.id,
            actor=user,
            action="held_photo.discarded",
            object_type="held_photo",
            object_id=str(held.id),
            data={
                "ref": held.subject_ref,
                "file": held.filename,
                "faces_detected": len(held.boxes),
                "batch": str(held.batch_id) if held.batch_id else None,
            },
        )
