"""Purging a subject's gallery record on a legal event, leaving a deletion certificate.

A purge deletes the subject's faces (embeddings), photos (their data keys are destroyed once the
transaction commits, so every other copy of the ciphertext is unreadable), photos held at
enrollment for the same reference and uploads still waiting to be enrolled. Workers' in-memory
galleries drop the faces by following the face change log, which holds ids only. The subject
row stays as a tombstone (candidates of past searches refer to it) with its name cleared, and
PostgreSQL refuses any photo enrolled for it again. The certificate records what went (counts
and digests), why, when, by whom and under which rule; it holds nothing biometric.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.services import audit_record
from datakeys.services import datakey_destroy_on_commit
from matching.biometric_bytes import uploads_delete
from matching.models import (
    DeletionCertificate,
    EnrollmentUpload,
    HeldPhoto,
    LegalEvent,
    LegalHold,
    Subject,
    SubjectPhoto,
)
from matching.retention_rules import rule_for
from tenants.context import agency_transaction

SYSTEM = "system"


def subject_on_hold(subject: Subject) -> bool:
    return LegalHold.objects.filter(subject=subject, lifted_at__isnull=True).exists()


def _faces_delete(agency_id: str, subject_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM matching_face WHERE agency_id = %s AND subject_id = %s",
            [agency_id, subject_id],
        )
        return int(cursor.rowcount)


def _held_photos_delete(subject: Subject) -> int:
    """Delete photos held for the subject's reference, destroying their keys if sealed."""
    held = HeldPhoto.objects.filter(
        agency_id=subject.agency_id, gallery_id=subject.gallery_id, subject_ref=subject.ref
    )
    for photo in held:
        if photo.content_key is not None:
            datakey_destroy_on_commit(agency_id=subject.agency_id, key_id=photo.content_key)
    deleted, _ = held.delete()
    return deleted


def subject_purge(*, subject: Subject, event: LegalEvent, actor: str) -> DeletionCertificate:
    """Purge a locked, unpurged subject for ``event``; audited. Caller's agency transaction."""
    agency_id = subject.agency_id
    rule = rule_for(event.kind)
    now = timezone.now()
    photos = list(
        SubjectPhoto.objects.filter(agency_id=agency_id, subject=subject)
        .order_by("id")
        .values_list("id", "sha256", "content_key")
    )
    faces = _faces_delete(agency_id, subject.pk)
    SubjectPhoto.objects.filter(agency_id=agency_id, subject=subject).delete()
    for _, _, key in photos:
        if key is not None:
            datakey_destroy_on_commit(agency_id=agency_id, key_id=key)
    held = _held_photos_delete(subject)
    uploads = list(
        EnrollmentUpload.objects.filter(
            agency_id=agency_id, batch__gallery_id=subject.gallery_id, subject_ref=subject.ref
        ).only("id", "content_key")
    )
    uploads_delete(agency_id=agency_id, uploads=uploads)
    Subject.objects.filter(pk=subject.pk).update(display_name="", purged_at=now)
    subject.display_name, subject.purged_at = "", now
    certificate = DeletionCertificate.objects.create(
        agency_id=agency_id,
        subject=subject,
        legal_event=event,
        subject_ref=subject.ref,
        gallery_slug=subject.gallery.slug,
        photos_deleted=len(photos),
        faces_deleted=faces,
        held_photos_deleted=held,
        uploads_deleted=len(uploads),
        photo_sha256=[sha for _, sha, _ in photos],
        event_kind=event.kind,
        event_date=event.event_date,
        event_reference=event.reference,
        rule_id=rule.rule_id,
        citation=rule.citation,
        deleted_by=actor,
        deleted_at=now,
    )
    audit_record(
        agency_id=agency_id,
        actor=actor,
        action="subject.purged",
        object_type="subject",
        object_id=str(subject.pk),
        data={
            "certificate": str(certificate.id),
            "legal_event": str(event.id),
            "event_kind": event.kind,
            "rule": rule.rule_id,
            "photos": len(photos),
            "faces": faces,
            "held_photos": held,
            "uploads": len(uploads),
        },
    )
    return certificate


def subjects_purge_due(*, agency_id: str) -> int:
    """Purge the agency's subjects a legal event has made due, unless on hold; return how many.

    Each subject is purged in its own transaction under its row lock, which placing a hold
    takes too: a hold placed first stops the purge, one placed after finds a purged subject.
    """
    now = timezone.now()
    with agency_transaction(agency_id):
        due = list(
            LegalEvent.objects.filter(
                agency_id=agency_id, due_at__lte=now, subject__purged_at__isnull=True
            )
            .filter(
                ~Exists(
                    LegalHold.objects.filter(
                        subject_id=OuterRef("subject_id"), lifted_at__isnull=True
                    )
                )
            )
            .order_by("subject_id", "due_at")
            .distinct("subject_id")
            .values_list("id", "subject_id")
        )
    purged = 0
    for event_id, subject_id in due:
        with agency_transaction(agency_id):
            subject = (
                Subject.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("gallery")
                .filter(agency_id=agency_id, pk=subject_id, purged_at__isnull=True)
                .first()
            )
            if subject is None or subject_on_hold(subject):
                continue
            event = LegalEvent.objects.get(agency_id=agency_id, id=event_id)
            subject_purge(subject=subject, event=event, actor=SYSTEM)
            purged += 1
    return purged
