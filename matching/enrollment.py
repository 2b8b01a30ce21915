"""Enrollment: photos in, one face each out, per subject in one transaction.

A photo with no face is rejected with a reason. A photo with several faces is, as the batch
says: refused, held for an agency admin to pick the subject's face (the default: no photo of
the archive is lost and no one guesses), or enrolled with its largest face, flagged on the
photo and in the audit trail. A subject's accepted photos and
faces are written together or not at all, so no subject is ever half-enrolled; re-running a batch
or enrolling the same photo again changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from matching.biometric_bytes import (
    photo_content_seal,
    upload_content_open,
    upload_content_seal,
    uploads_delete,
)
from matching.face_model import face_model_turn
from matching.held_photos import held_photo_keep
from matching.images import (
    ImageRejectedError,
    image_decode,
    image_inspect,
    image_pixels,
    image_reencode_jpeg,
)
from matching.models import (
    EnrollmentBatch,
    EnrollmentStatus,
    EnrollmentUpload,
    Face,
    Gallery,
    HeldPhoto,
    SeveralFaces,
    Subject,
    SubjectPhoto,
)
from tenants.context import agency_transaction
from tenants.models import User

NO_FACE = "no_face"
SEVERAL_FACES = "several_faces"
ALREADY_ENROLLED = "already_enrolled"
SUBJECT_PURGED = "subject_purged"
ENROLL_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class UploadItem:
    """One photo for one subject."""

    subject_ref: str
    filename: str
    content: bytes
    display_name: str = ""


def enrollment_batch_create(
    *,
    gallery: Gallery,
    items: Iterable[UploadItem],
    created_by: User | None = None,
    actor: Any = None,
    enqueue: bool = True,
    several_faces: str = SeveralFaces.HOLD,
) -> EnrollmentBatch:
    """Store the uploads as a batch and queue it for a worker once the transaction commits."""
    from matching.tasks import enrollment_batch_run

    if several_faces not in SeveralFaces.values:
        raise ValueError(f"several_faces must be one of {SeveralFaces.values}")
    agency_id = gallery.agency_id
    with agency_transaction(agency_id):
        batch = EnrollmentBatch.objects.create(
            agency_id=agency_id,
            gallery=gallery,
            created_by=created_by,
            several_faces=several_faces,
            lease_expires_at=timezone.now() + timedelta(seconds=settings.DISPATCH_GRACE_SECONDS),
        )
        uploads = []
        for item in items:
            upload = EnrollmentUpload(
                agency_id=agency_id,
                batch=batch,
                subject_ref=item.subject_ref,
                display_name=item.display_name,
                filename=item.filename,
                sha256=hashlib.sha256(item.content).hexdigest(),
            )
            upload_content_seal(upload=upload, content=item.content)
            uploads.append(upload)
        EnrollmentUpload.objects.bulk_create(uploads)
        batch.total = len(uploads)
        batch.save(update_fields=["total"])
        audit_record(
            agency_id=agency_id,
            actor=actor or created_by,
            action="enrollment.batch_created",
            object_type="enrollment_batch",
            object_id=str(batch.id),
            data={
                "gallery": gallery.slug,
                "photos": len(uploads),
                "subjects": len({u.subject_ref for u in uploads}),
                "several_faces": several_faces,
            },
        )
        if enqueue:
            bid = str(batch.id)
            transaction.on_commit(lambda: enrollment_batch_run.delay(bid, agency_id), robust=True)
    return batch


@dataclass
class _Accepted:
    upload: EnrollmentUpload
    jpeg: bytes
    width: int
    height: int
    box: list[int]
    embedding: list[float]
    faces_detected: int = 1
    face_choice: str = "only"


@dataclass
class _Held:
    upload: EnrollmentUpload
    jpeg: bytes
    width: int
    height: int
    boxes: list[list[int]]
    embeddings: list[list[float]]


def _photo_examine(upload: EnrollmentUpload, several_faces: str) -> _Accepted | _Held | str:
    """Return the encoded face of a photo, the photo held with all its faces, or a reason."""
    from matching.faces import face_encode, faces_detect

    data = upload_content_open(upload=upload)
    try:
        image_inspect(data, max_bytes=ENROLL_MAX_BYTES)
        image = image_decode(data)
    except ImageRejectedError as exc:
        return exc.code
    pixels = image_pixels(image)
    with face_model_turn():
        boxes = faces_detect(pixels)
    if not boxes:
        return NO_FACE
    if len(boxes) > 1 and several_faces == SeveralFaces.REFUSE:
        return SEVERAL_FACES
    if len(boxes) > 1 and several_faces == SeveralFaces.HOLD:
        with face_model_turn():
            embeddings = [[float(x) for x in face_encode(pixels, b)] for b in boxes]
        return _Held(
            upload=upload,
            jpeg=image_reencode_jpeg(image),
            width=image.width,
            height=image.height,
            boxes=[b.as_list() for b in boxes],
            embeddings=embeddings,
        )
    with face_model_turn():  # faces_detect returns the largest face first
        embedding = face_encode(pixels, boxes[0])
    return _Accepted(
        upload=upload,
        jpeg=image_reencode_jpeg(image),
        width=image.width,
        height=image.height,
        box=boxes[0].as_list(),
        embedding=[float(x) for x in embedding],
        faces_detected=len(boxes),
        face_choice="only" if len(boxes) == 1 else "largest",
    )


def _subject_enroll(
    batch: EnrollmentBatch, ref: str, uploads: list[EnrollmentUpload]
) -> list[dict[str, Any]]:
    """Examine one subject's photos and commit the subject with all its accepted faces."""
    from matching.faces import MODEL_NAME, MODEL_VERSION

    agency_id = batch.agency_id
    results: list[dict[str, Any]] = []
    accepted: list[_Accepted] = []
    held: list[_Held] = []
    with agency_transaction(agency_id):
        subject = Subject.objects.filter(gallery_id=batch.gallery_id, ref=ref).first()
        known = (
            set(SubjectPhoto.objects.filter(subject=subject).values_list("sha256", flat=True))
            if subject
            else set()
        )
    purged = subject is not None and subject.purged_at is not None
    for upload in uploads:
        if purged:  # a legal event ended the authority to hold this person's photos
            results.append(
                {
                    "subject": ref,
                    "file": upload.filename,
                    "status": "rejected",
                    "reason": SUBJECT_PURGED,
                }
            )
            continue
        if upload.sha256 in known:
            results.append(
                {
                    "subject": ref,
                    "file": upload.filename,
                    "status": "skipped",
                    "reason": ALREADY_ENROLLED,
                }
            )
            continue
        known.add(upload.sha256)
        outcome = _photo_examine(upload, batch.several_faces)
        if isinstance(outcome, str):
            results.append(
                {"subject": ref, "file": upload.filename, "status": "rejected", "reason": outcome}
            )
        elif isinstance(outcome, _Held):
            held.append(outcome)
            results.append(
                {
                    "subject": ref,
                    "file": upload.filename,
                    "status": "held",
                    "reason": SEVERAL_FACES,
                    "faces": len(outcome.boxes),
                }
            )
        else:
            accepted.append(outcome)
            results.append(
                {
                    "subject": ref,
                    "file": upload.filename,
                    "status": "enrolled",
                    "reason": "",
                    "face_choice": outcome.face_choice,
                    "faces": outcome.faces_detected,
                }
            )
    with agency_transaction(agency_id):
        # The batch row first, the audit chain last (lock order, see matching.searches).
        locked = EnrollmentBatch.objects.select_for_update(of=("self",)).get(id=batch.id)
        if accepted:
            display_name = next((u.display_name for u in uploads if u.display_name), "")
            subject, _ = Subject.objects.get_or_create(
                agency_id=agency_id,
                gallery_id=batch.gallery_id,
                ref=ref,
                defaults={"display_name": display_name},
            )
            for item in accepted:
                photo = SubjectPhoto(
                    agency_id=agency_id,
                    subject=subject,
                    sha256=item.upload.sha256,
                    content_type="image/jpeg",
                    width=item.width,
                    height=item.height,
                    faces_detected=item.faces_detected,
                    face_choice=item.face_choice,
                )
                photo_content_seal(photo=photo, content=item.jpeg)
                photo.save(force_insert=True)
                Face.objects.create(
                    agency_id=agency_id,
                    gallery_id=batch.gallery_id,
                    subject=subject,
                    photo=photo,
                    embedding=item.embedding,
                    box=item.box,
                    model_name=MODEL_NAME,
                    model_version=MODEL_VERSION,
                )
            audit_record(
                agency_id=agency_id,
                actor="worker",
                action="subject.enrolled",
                object_type="subject",
                object_id=str(subject.pk),
                data={
                    "ref": ref,
                    "batch": str(batch.id),
                    "faces": len(accepted),
                    "model_version": MODEL_VERSION,
                    "largest_face_chosen": [
                        {"file": a.upload.filename, "faces_detected": a.faces_detected}
                        for a in accepted
                        if a.face_choice == "largest"
                    ],
                },
            )
        for kept in held:
            held_photo_keep(
                held=HeldPhoto(
                    agency_id=agency_id,
                    gallery_id=batch.gallery_id,
                    subject_ref=ref,
                    sha256=kept.upload.sha256,
                    batch=batch,
                    display_name=kept.upload.display_name,
                    filename=kept.upload.filename,
                    width=kept.width,
                    height=kept.height,
                    boxes=kept.boxes,
                    model_name=MODEL_NAME,
                    model_version=MODEL_VERSION,
                ),
                content=kept.jpeg,
                embeddings=kept.embeddings,
            )
            audit_record(
                agency_id=agency_id,
                actor="worker",
                action="enrollment.photo_held",
                object_type="enrollment_batch",
                object_id=str(batch.id),
                data={"ref": ref, "file": kept.upload.filename, "faces": len(kept.boxes)},
            )
        uploads_delete(agency_id=agency_id, uploads=uploads)
        counts = {
            s: sum(1 for r in results if r["status"] == s)
            for s in ("enrolled", "rejected", "skipped", "held")
        }
        locked.processed += len(uploads)
        locked.enrolled += counts["enrolled"]
        locked.rejected += counts["rejected"]
        locked.skipped += counts["skipped"]
        locked.held += counts["held"]
        locked.results = [*locked.results, *results]
        locked.save(
            update_fields=["processed", "enrolled", "rejected", "skipped", "held", "results"]
        )
    return results


def _batch_lease(agency_id: str, batch_id: uuid.UUID, owner: str) -> bool:
    """Renew this worker's lease on the batch; False if another worker has taken it over."""
    with agency_transaction(agency_id):
        return bool(
            EnrollmentBatch.objects.filter(
                agency_id=agency_id,
                id=batch_id,
                lease_owner=owner,
                status=EnrollmentStatus.RUNNING,
            ).update(
                lease_expires_at=timezone.now() + timedelta(seconds=settings.SEARCH_LEASE_SECONDS)
            )
        )


def enrollment_batch_process(*, agency_id: str, batch_id: uuid.UUID) -> EnrollmentBatch | None:
    """Process every pending upload of a batch, subject by subject, recording progress.

    The worker holds a lease on the batch, renewed after each subject; a second delivery while
    the lease holds does nothing, and one after it expired resumes where the last one stopped.
    """
    from matching.searches.lease import worker_identity

    owner = worker_identity()
    now = timezone.now()
    with agency_transaction(agency_id):
        batch = (
            EnrollmentBatch.objects.select_for_update(of=("self",))
            .filter(agency_id=agency_id, id=batch_id)
            .first()
        )
        if batch is None or batch.status == EnrollmentStatus.DONE:
            return batch
        if (
            batch.status == EnrollmentStatus.RUNNING
            and batch.lease_owner
            and batch.lease_expires_at is not None
            and batch.lease_expires_at > now
        ):
            return batch
        batch.status = EnrollmentStatus.RUNNING
        batch.lease_owner = owner
        batch.lease_expires_at = now + timedelta(seconds=settings.SEARCH_LEASE_SECONDS)
        batch.save(update_fields=["status", "lease_owner", "lease_expires_at"])
        pending = list(EnrollmentUpload.objects.filter(batch=batch).order_by("subject_ref", "id"))
    by_subject: dict[str, list[EnrollmentUpload]] = defaultdict(list)
    for upload in pending:
        by_subject[upload.subject_ref].append(upload)
    for ref, uploads in by_subject.items():
        if not _batch_lease(agency_id, batch_id, owner):
            return None
        _subject_enroll(batch, ref, uploads)
    with agency_transaction(agency_id):
        batch = EnrollmentBatch.objects.select_for_update(of=("self",)).get(id=batch_id)
        if batch.lease_owner != owner or batch.status != EnrollmentStatus.RUNNING:
            return batch
        batch.status = EnrollmentStatus.DONE
        batch.finished_at = timezone.now()
        batch.lease_owner = ""
        batch.lease_expires_at = None
        batch.save(update_fields=["status", "finished_at", "lease_owner", "lease_expires_at"])
        audit_record(
            agency_id=agency_id,
            actor="worker",
            action="enrollment.batch_done",
            object_type="enrollment_batch",
            object_id=str(batch.id),
            data={
                "enrolled": batch.enrolled,
                "rejected": batch.rejected,
                "skipped": batch.skipped,
                "held": batch.held,
                "several_faces": batch.several_faces,
                "setting_detector": settings.FACE_DETECTOR,
            },
        )
    return batch
