"""Reads of the agency admin's pages: training, a user's history, galleries, subjects, batches.

Each takes the agency and materializes what the template shows inside its transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Count

from audit.models import AuditEvent
from matching.list_selectors import enrollment_batch_list, subject_list
from matching.models import (
    DeletionCertificate,
    EnrollmentBatch,
    Gallery,
    LegalEvent,
    LegalHold,
    Subject,
)
from tenants.context import agency_transaction
from tenants.models import Agency, TrainingRecord, User
from tenants.row_pages import RowsPage

SUBJECTS_PER_PAGE = 50
HISTORY_LENGTH = 50


@dataclass(frozen=True)
class GalleryRow:
    """One gallery with how many subjects and batches it holds."""

    gallery: Gallery
    subjects: int
    batches: int


@dataclass(frozen=True)
class SubjectRow:
    """One enrolled subject of a gallery."""

    id: int
    ref: str
    display_name: str
    photos: int
    created_at: datetime


SubjectPage = RowsPage[SubjectRow]


@dataclass(frozen=True)
class SubjectRecord:
    """One subject with its photos counted, its legal events and holds, and, once purged,
    its deletion certificate."""

    subject: Subject
    photos: int
    events: list[LegalEvent]
    holds: list[LegalHold]
    certificate: DeletionCertificate | None

    @property
    def hold(self) -> LegalHold | None:
        """The hold in force, if any."""
        return next((h for h in self.holds if h.lifted_at is None), None)


def training_records_of(*, agency: Agency, user: User) -> list[TrainingRecord]:
    """Return the user's training records, latest expiry first."""
    with agency_transaction(agency.id):
        return list(TrainingRecord.objects.filter(user_id=user.pk).order_by("-expires_at"))


def user_history(*, agency: Agency, user: User) -> list[AuditEvent]:
    """Return the audit trail's latest events about the user (created, disabled, trained…)."""
    with agency_transaction(agency.id):
        return list(
            AuditEvent.objects.filter(
                agency_id=agency.id, object_type="user", object_id=str(user.pk)
            ).order_by("-seq")[:HISTORY_LENGTH]
        )


def gallery_rows(*, agency: Agency) -> list[GalleryRow]:
    """Return the agency's galleries with their counts, by slug."""
    with agency_transaction(agency.id):
        galleries = (
            Gallery.objects.filter(agency=agency)
            .annotate(
                n_subjects=Count("subjects", distinct=True),
                n_batches=Count("batches", distinct=True),
            )
            .order_by("slug")
        )
        return [
            GalleryRow(gallery=g, subjects=g.n_subjects, batches=g.n_batches) for g in galleries
        ]


def gallery_subjects_page(
    *,
    agency: Agency,
    gallery: Gallery,
    page: int | str | None,
    per_page: int = SUBJECTS_PER_PAGE,
) -> SubjectPage:
    """Return one page of the gallery's subjects, by reference."""
    with agency_transaction(agency.id):
        subjects = (
            subject_list(agency=agency, filters={"gallery": gallery.slug})
            .annotate(n_photos=Count("photos"))
            .order_by("ref", "id")
        )
        found = Paginator(subjects, per_page).get_page(page)
        rows = [
            SubjectRow(
                id=s.pk,
                ref=s.ref,
                display_name=s.display_name,
                photos=s.n_photos,  # type: ignore[attr-defined]
                created_at=s.created_at,
            )
            for s in found.object_list
            if isinstance(s, Subject)
        ]
        return SubjectPage.of(found, rows)


def gallery_batches(*, agency: Agency, gallery: Gallery) -> list[EnrollmentBatch]:
    """Return the gallery's enrollment batches, newest first."""
    with agency_transaction(agency.id):
        return list(
            enrollment_batch_list(agency=agency, filters={"gallery": gallery.slug}).order_by(
                "-created_at"
            )
        )


def batch_get(*, agency: Agency, batch_id: uuid.UUID) -> EnrollmentBatch | None:
    """Return one of the agency's batches with its gallery and creator."""
    with agency_transaction(agency.id):
        return (
            EnrollmentBatch.objects.select_related("gallery", "created_by")
            .filter(agency=agency, id=batch_id)
            .first()
        )


def subject_exists(*, agency: Agency, gallery: Gallery, subject_id: int) -> bool:
    """Return whether the gallery holds that subject (purged or not)."""
    with agency_transaction(agency.id):
        return Subject.objects.filter(agency=agency, gallery=gallery, pk=subject_id).exists()


def subject_record(*, agency: Agency, gallery: Gallery, subject_id: int) -> SubjectRecord | None:
    """Return one of the gallery's subjects (purged ones too) with its legal record."""
    with agency_transaction(agency.id):
        subject = (
            Subject.objects.select_related("gallery")
            .filter(agency=agency, gallery=gallery, pk=subject_id)
            .first()
        )
        if subject is None:
            return None
        return SubjectRecord(
            subject=subject,
            photos=subject.photos.count(),
            events=list(
                LegalEvent.objects.filter(agency=agency, subject=subject)
                .select_related("recorded_by")
                .order_by("-created_at")
            ),
            holds=list(
                LegalHold.objects.filter(agency=agency, subject=subject)
                .select_related("placed_by", "lifted_by")
                .order_by("-placed_at")
            ),
            certificate=DeletionCertificate.objects.filter(agency=agency, subject=subject)
            .order_by("-deleted_at")
            .first(),
        )
