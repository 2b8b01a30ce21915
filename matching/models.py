"""Galleries, enrolled faces and searches. Every table here is row-level secured by agency."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from tenants.models import Agency

EMBEDDING_DIMENSIONS = 128


class LegalBasis(models.TextChoices):
    IDENTIFICATION_OF_CRIMINALS_ACT = "identification_of_criminals_act"
    CONSENT = "consent"
    COURT_ORDER = "court_order"
    PROVINCIAL_STATUTE = "provincial_statute"
    THIRD_PARTY_RECORDS = "third_party_records"
    VENDOR_SCRAPED = "vendor_scraped"
    SOCIAL_MEDIA_SCRAPE = "social_media_scrape"
    PUBLIC_WEB_SCRAPE = "public_web_scrape"


class Gallery(models.Model):
    """A lawfully held set of identified face images, owned by one agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="galleries")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=40, choices=LegalBasis.choices)
    contains_youth_records = models.BooleanField()
    ycja_access_period_enforced = models.BooleanField(default=False)
    shared_with = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    sharing_agreement_id = models.CharField(max_length=100, blank=True)
    cai_disclosure_filed = models.BooleanField(default=False)
    consent_express = models.BooleanField(default=False)
    authorized_case_number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "slug"], name="gallery_agency_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.slug}"


class Subject(models.Model):
    """An identified person in a gallery (a booking record, a consenting person…)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="subjects")
    ref = models.CharField(max_length=120, help_text="The agency's own record reference.")
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a legal event purged the subject: photos and faces are gone and "
        "no photo may be enrolled for it again.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gallery", "ref"], name="subject_gallery_ref"),
        ]


class SubjectPhoto(models.Model):
    """An enrolled photo, kept so a reviewer can compare it with the probe."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="photos")
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(help_text="Sealed: see datakeys.")
    content_key = models.UUIDField(
        null=True, blank=True, help_text="The data key sealing content (key store, not here)."
    )
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    faces_detected = models.PositiveSmallIntegerField(default=1, db_default=1)
    face_choice = models.CharField(
        max_length=20,
        default="only",
        db_default="only",
        help_text="How the enrolled face was chosen: only, largest (automatic) or admin.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "sha256"], name="photo_subject_sha256"),
        ]


class Face(models.Model):
    """A face embedding. The table is LIST-partitioned by agency, one partition per agency.

    Django does not manage the table (see the migration): PostgreSQL needs the partition key in
    the primary key, which the ORM cannot express, so nothing may reference it by foreign key.
    """

    id = models.BigAutoField(primary_key=True)
    agency = models.ForeignKey(Agency, on_delete=models.DO_NOTHING, db_constraint=False)
    gallery = models.ForeignKey(Gallery, on_delete=models.DO_NOTHING, db_constraint=False)
    subject = models.ForeignKey(Subject, on_delete=models.DO_NOTHING, db_constraint=False)
    photo = models.ForeignKey(SubjectPhoto, on_delete=models.DO_NOTHING, db_constraint=False)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    box = models.JSONField(help_text="[top, right, bottom, left] in the oriented photo")
    model_name = models.CharField(max_length=80)
    model_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        managed = False
        db_table = "matching_face"


class EnrollmentStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class EnrollmentBatch(models.Model):
    """A set of uploaded photos to enroll, processed by a worker with visible progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    gallery = models.ForeignKey(Gallery, on_delete=models.PROTECT, related_name="batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0, db_default=0)
    several_faces = models.CharField(max_length=10, default="hold", db_default="hold")
    results = models.JSONField(default=list)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="running: the worker's lease; queued: when its message counts as lost",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)


class EnrollmentUpload(models.Model):
    """One uploaded photo awaiting enrollment; deleted once processed."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    batch = models.ForeignKey(EnrollmentBatch, on_delete=models.CASCADE, related_name="uploads")
    subject_ref = models.CharField(max_length=120)
    display_name = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=255)
    content = models.BinaryField(help_text="Sealed: see datakeys.")
    content_key = models.UUIDField(
        null=True, blank=True, help_text="The data key sealing content (key store, not here)."
    )
    sha256 = models.CharField(max_length=64)


class SearchStatus(models.TextChoices):
    SUBMITTED = "submitted"
    DENIED = "denied"
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_FACE_CHOICE = "awaiting_face_choice"
    AWAITING_REVIEW = "awaiting_review"
    REVIEWED = "reviewed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PURGED = "purged"


# Every status change a search may make; ``search_transition`` refuses any other. RUNNING →
# RUNNING is a restart by a new worker after the previous one's lease expired; RUNNING → QUEUED
# is recovery re-enqueuing a search whose worker's lease expired. PURGED is the end
# of a failed search once retention has deleted its probe: nothing is left but the audit trail.
SEARCH_TRANSITIONS: dict[str, frozenset[str]] = {
    SearchStatus.SUBMITTED: frozenset({SearchStatus.DENIED, SearchStatus.QUEUED}),
    SearchStatus.QUEUED: frozenset(
        {SearchStatus.RUNNING, SearchStatus.FAILED, SearchStatus.CANCELLED}
    ),
    SearchStatus.RUNNING: frozenset(
        {
            SearchStatus.RUNNING,
            SearchStatus.QUEUED,
            SearchStatus.AWAITING_FACE_CHOICE,
            SearchStatus.AWAITING_REVIEW,
            SearchStatus.FAILED,
            SearchStatus.CANCELLED,
        }
    ),
    SearchStatus.AWAITING_FACE_CHOICE: frozenset(
        {SearchStatus.QUEUED, SearchStatus.DENIED, SearchStatus.CANCELLED}
    ),
    SearchStatus.AWAITING_REVIEW: frozenset({SearchStatus.REVIEWED}),
    SearchStatus.REVIEWED: frozenset(),
    SearchStatus.DENIED: frozenset(),
    SearchStatus.FAILED: frozenset({SearchStatus.PURGED}),
    SearchStatus.CANCELLED: frozenset(),
    SearchStatus.PURGED: frozenset(),
}


class Search(models.Model):
    """One face search request, from submission through the policy decision to candidates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    gallery = models.ForeignKey(Gallery, on_delete=models.PROTECT, related_name="searches")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    status = models.CharField(
        max_length=30, choices=SearchStatus.choices, default=SearchStatus.SUBMITTED
    )
    purpose = models.CharField(max_length=60)
    offence = models.JSONField(null=True, blank=True)
    case_number = models.CharField(max_length=100)
    justification = models.TextField()
    warrant = models.JSONField(null=True, blank=True, help_text="facts at decision time")
    exigent = models.JSONField(null=True, blank=True, help_text="facts at decision time")
    interagency = models.JSONField(null=True, blank=True, help_text="facts at decision time")
    warrant_record = models.ForeignKey(
        "authorizations.Warrant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="searches",
    )
    exigent_record = models.ForeignKey(
        "authorizations.ExigentApproval",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="searches",
    )
    agreement_record = models.ForeignKey(
        "authorizations.InteragencyAgreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="searches",
    )
    quarantined_at = models.DateTimeField(null=True, blank=True)
    quarantine_reason = models.CharField(max_length=300, blank=True)
    handling = models.JSONField(default=dict, help_text="YCJA, victim-identity and lead flags")
    probe_meta = models.JSONField(default=dict)
    face_hint = models.JSONField(null=True, blank=True, help_text="{x, y, w, h} chosen up front")
    face_boxes = models.JSONField(null=True, blank=True)
    face_choice = models.PositiveSmallIntegerField(null=True, blank=True)
    decision = models.ForeignKey(
        "policy.PolicyDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    max_candidates = models.PositiveSmallIntegerField(null=True, blank=True)
    min_similarity = models.FloatField(null=True, blank=True)
    max_distance = models.FloatField(null=True, blank=True)
    model_name = models.CharField(max_length=80, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    probe_retain_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(
        max_length=120, blank=True, help_text="the worker running it, while running"
    )
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="running: the worker's lease; queued: when its message counts as lost",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Probe(models.Model):
    """The probe image, held unprocessed until the policy allows the search."""

    search = models.OneToOneField(Search, on_delete=models.CASCADE, primary_key=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    content = models.BinaryField(null=True, help_text="Sealed: see datakeys.")
    content_key = models.UUIDField(
        null=True, blank=True, help_text="The data key sealing content (key store, not here)."
    )
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    deleted_at = models.DateTimeField(null=True, blank=True)


class Disposition(models.TextChoices):
    PENDING = "pending"
    POSSIBLE_MATCH = "possible_match"
    NOT_A_MATCH = "not_a_match"
    INCONCLUSIVE = "inconclusive"


class LeadOutcome(models.TextChoices):
    """What became of a possible match once investigated (recorded after the review)."""

    CONFIRMED = "confirmed", "identity confirmed by other evidence"
    EXCLUDED = "excluded", "excluded by other evidence"
    CHARGED = "charged", "person charged"


class Candidate(models.Model):
    """A gallery face near the probe: an investigative lead awaiting human review."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveSmallIntegerField()
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT)
    face_id = models.BigIntegerField()
    distance = models.FloatField()
    similarity = models.FloatField()
    disposition = models.CharField(
        max_length=20, choices=Disposition.choices, default=Disposition.PENDING
    )
    outcome = models.CharField(
        max_length=20,
        choices=LeadOutcome.choices,
        blank=True,
        help_text="What the investigation made of a possible match.",
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["search", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["search", "rank"], name="candidate_search_rank"),
        ]


class CandidateReview(models.Model):
    """One person's examination of one candidate."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "reviewer"], name="review_candidate_reviewer"
            ),
        ]


class FollowUpKind(models.TextChoices):
    SUPERVISOR_NOTIFICATION = "supervisor_notification"
    POST_HOC_REVIEW = "post_hoc_review"
    JUDICIAL_AUTHORIZATION_FOLLOWUP = "judicial_authorization_followup"


class FollowUp(models.Model):
    """A task an allowed search's obligations create: visible, owned by a role, with a due date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(max_length=40, choices=FollowUpKind.choices)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]


class SeveralFaces(models.TextChoices):
    """What enrollment does with a photo that shows several faces."""

    REFUSE = "refuse"
    HOLD = "hold"
    LARGEST = "largest"


class HeldPhotoStatus(models.TextChoices):
    PENDING = "pending"
    ENROLLED = "enrolled"
    DISCARDED = "discarded"


class HeldPhoto(models.Model):
    """An enrollment photo with several faces, waiting for an agency admin to pick the subject's.

    The worker encodes every face when it holds the photo, so resolving needs no face model;
    the other faces' embeddings are erased as soon as one is chosen. The bytes and the
    embeddings are sealed under a data key of their own, destroyed when the photo is resolved
    (a face enrolled, or the photo discarded).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="held_photos")
    batch = models.ForeignKey(EnrollmentBatch, on_delete=models.SET_NULL, null=True, blank=True)
    subject_ref = models.CharField(max_length=120)
    display_name = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(null=True, help_text="Sealed: see datakeys; None once resolved.")
    content_key = models.UUIDField(
        null=True, blank=True, help_text="The data key sealing content (key store, not here)."
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    boxes = models.JSONField(help_text="[[top, right, bottom, left], ...], largest first")
    embeddings_sealed = models.BinaryField(
        null=True,
        help_text="Sealed under content_key: one embedding per box (JSON); None once resolved.",
    )
    model_name = models.CharField(max_length=80)
    model_version = models.CharField(max_length=40)
    status = models.CharField(
        max_length=20, choices=HeldPhotoStatus.choices, default=HeldPhotoStatus.PENDING
    )
    chosen_face = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gallery", "subject_ref", "sha256"],
                name="held_photo_gallery_subject_sha256",
            ),
        ]


class GalleryImportKind(models.TextChoices):
    IMAGES = "images", "Photos, detected and encoded here"
    EMBEDDINGS = "embeddings", "Photos with embeddings already computed by the same model"


class GalleryImport(models.Model):
    """A back catalogue being loaded into a gallery, subject chunk by subject chunk.

    ``subjects_done`` is the resume point: each chunk's rows and the advanced counter commit in
    one transaction, so a crashed import restarts exactly after its last committed chunk.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    gallery = models.ForeignKey(Gallery, on_delete=models.PROTECT, related_name="imports")
    source = models.CharField(max_length=1000, help_text="The directory or manifest read.")
    kind = models.CharField(max_length=20, choices=GalleryImportKind.choices)
    several_faces = models.CharField(max_length=10, default="hold")
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.QUEUED
    )
    subjects_total = models.PositiveIntegerField(default=0)
    subjects_done = models.PositiveIntegerField(default=0)
    photos_total = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, help_text="One row per photo not enrolled.")
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)


class LegalEventKind(models.TextChoices):
    """Events in a subject's criminal record that end the agency's authority to hold the photos."""

    ACQUITTAL = "acquittal"
    CHARGES_WITHDRAWN = "charges_withdrawn"
    CHARGES_STAYED = "charges_stayed"
    RECORD_SUSPENSION = "record_suspension"
    YCJA_ACCESS_PERIOD_END = "ycja_access_period_end"


class LegalEvent(models.Model):
    """A legal event recorded for a subject; the retention rules say when it makes it due."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="legal_events")
    kind = models.CharField(max_length=40, choices=LegalEventKind.choices)
    event_date = models.DateField()
    reference = models.CharField(max_length=120, help_text="Court docket or records reference.")
    note = models.TextField(blank=True)
    source = models.CharField(max_length=20, help_text="api or import")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(help_text="When the subject becomes due for purging.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]


class LegalHold(models.Model):
    """A hold on a subject's purge (litigation, an appeal…); active until lifted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(lifted_at__isnull=True),
                name="legal_hold_one_active_per_subject",
            ),
        ]


class DeletionCertificate(models.Model):
    """What a purge deleted, why, when, by whom and under which rule; append-only.

    It holds digests and counts, never an image, a thumbnail or an embedding.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    legal_event = models.ForeignKey(LegalEvent, on_delete=models.PROTECT, related_name="+")
    subject_ref = models.CharField(max_length=120)
    gallery_slug = models.CharField(max_length=60)
    photos_deleted = models.PositiveIntegerField()
    faces_deleted = models.PositiveIntegerField()
    held_photos_deleted = models.PositiveIntegerField()
    uploads_deleted = models.PositiveIntegerField()
    photo_sha256 = ArrayField(models.CharField(max_length=64), default=list)
    event_kind = models.CharField(max_length=40, choices=LegalEventKind.choices)
    event_date = models.DateField()
    event_reference = models.CharField(max_length=120)
    rule_id = models.CharField(max_length=40)
    citation = models.CharField(max_length=300)
    deleted_by = models.CharField(max_length=150, help_text="A username, or system.")
    deleted_at = models.DateTimeField()

    class Meta:
        ordering = ["-deleted_at"]
