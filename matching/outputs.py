"""Response serializers of the matching API: what clients get, and what the schema documents."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.models import (
    Candidate,
    Disposition,
    EnrollmentStatus,
    FollowUpKind,
    LegalBasis,
    Search,
    SearchStatus,
)

SIMILARITY_SCALE = "1 - d^2/1.8 over Euclidean distance d"


class ReasonOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    authority = serializers.CharField(allow_null=True, required=False)


class DecisionOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    allow = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    obligations = serializers.DictField(child=serializers.JSONField())
    bundle_revision = serializers.CharField()
    engine = serializers.CharField()
    latency_ms = serializers.SerializerMethodField()

    def get_latency_ms(self, decision: Any) -> float:
        return round(float(decision.latency_ms), 3)


class FaceBoxOutput(serializers.Serializer[Any]):
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()


class ModelOutput(serializers.Serializer[Any]):
    name = serializers.CharField(source="model_name")
    version = serializers.CharField(source="model_version")


class LimitsOutput(serializers.Serializer[Any]):
    max_candidates = serializers.IntegerField()
    min_similarity = serializers.FloatField()
    max_distance = serializers.FloatField()
    similarity_scale = serializers.SerializerMethodField()

    def get_similarity_scale(self, search: Search) -> str:
        return SIMILARITY_SCALE


class AuthoritiesOutput(serializers.Serializer[Any]):
    warrant_id = serializers.UUIDField(source="warrant_record_id", allow_null=True)
    exigent_approval_id = serializers.UUIDField(source="exigent_record_id", allow_null=True)
    interagency_agreement_id = serializers.UUIDField(source="agreement_record_id", allow_null=True)


class QuarantineOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField(source="quarantined_at")
    reason = serializers.CharField(source="quarantine_reason")


class SearchErrorOutput(serializers.Serializer[Any]):
    code = serializers.CharField(source="error_code")
    message = serializers.CharField(source="error_message")


class ReviewOutput(serializers.Serializer[Any]):
    reviewer = serializers.CharField(source="reviewer.username")
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class CandidateOutput(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    subject_ref = serializers.CharField(source="subject.ref")
    subject_name = serializers.CharField(source="subject.display_name")
    similarity = serializers.SerializerMethodField()
    distance = serializers.SerializerMethodField()
    investigative_lead_only = serializers.SerializerMethodField()
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    reviews = ReviewOutput(many=True, source="reviews.all")
    outcome = serializers.CharField(
        help_text="What the investigation made of a possible match (`confirmed`, `excluded`, "
        "`charged`), empty until recorded."
    )

    def get_similarity(self, candidate: Candidate) -> float:
        return round(candidate.similarity, 4)

    def get_distance(self, candidate: Candidate) -> float:
        return round(candidate.distance, 4)

    def get_investigative_lead_only(self, candidate: Candidate) -> bool:
        return True


class SearchOutput(serializers.Serializer[Any]):
    """A search; pass the candidates the caller may see as ``context["candidates"]``."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=SearchStatus.choices)
    gallery = serializers.CharField(source="gallery.slug")
    purpose = serializers.CharField()
    case_number = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    decision = DecisionOutput(allow_null=True)
    faces = serializers.SerializerMethodField(
        help_text="The faces found, while the search awaits the choice of one."
    )
    face_choice = serializers.IntegerField(allow_null=True)
    model = serializers.SerializerMethodField()
    limits = serializers.SerializerMethodField()
    authorities = AuthoritiesOutput(source="*")
    handling = serializers.DictField(child=serializers.BooleanField())
    quarantined = serializers.SerializerMethodField()
    candidates = serializers.SerializerMethodField(
        help_text="One per person, best first; empty while quarantined or withheld from the "
        "caller's role. Viewing is audited."
    )
    candidates_withheld = serializers.SerializerMethodField(
        help_text="True when the caller's role reads the search's record but not its candidates."
    )
    error = serializers.SerializerMethodField()

    @extend_schema_field(FaceBoxOutput(many=True, allow_null=True))
    def get_faces(self, search: Search) -> Any:
        return search.face_boxes if search.status == SearchStatus.AWAITING_FACE_CHOICE else None

    @extend_schema_field(ModelOutput(allow_null=True))
    def get_model(self, search: Search) -> Any:
        return ModelOutput(search).data if search.model_name else None

    @extend_schema_field(LimitsOutput(allow_null=True))
    def get_limits(self, search: Search) -> Any:
        return LimitsOutput(search).data if search.max_candidates is not None else None

    @extend_schema_field(QuarantineOutput(allow_null=True))
    def get_quarantined(self, search: Search) -> Any:
        return QuarantineOutput(search).data if search.quarantined_at else None

    @extend_schema_field(CandidateOutput(many=True))
    def get_candidates(self, search: Search) -> Any:
        if search.quarantined_at:
            return []
        return CandidateOutput(self.context.get("candidates", []), many=True).data

    @extend_schema_field(serializers.BooleanField())
    def get_candidates_withheld(self, search: Search) -> bool:
        return bool(self.context.get("withheld", False))

    @extend_schema_field(SearchErrorOutput(allow_null=True))
    def get_error(self, search: Search) -> Any:
        return SearchErrorOutput(search).data if search.error_code else None


class SearchSummaryOutput(serializers.Serializer[Any]):
    """A search in a list: what it was for and where it stands, no candidates."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=SearchStatus.choices)
    gallery = serializers.CharField(source="gallery.slug")
    purpose = serializers.CharField()
    case_number = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    allowed = serializers.BooleanField(source="decision.allow", allow_null=True, default=None)


class GalleryOutput(serializers.Serializer[Any]):
    id = serializers.CharField(source="slug")
    name = serializers.CharField()
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices)
    contains_youth_records = serializers.BooleanField()
    ycja_access_period_enforced = serializers.BooleanField()


class GalleryListOutput(serializers.Serializer[Any]):
    galleries = GalleryOutput(many=True)


class EnrollmentFileResultOutput(serializers.Serializer[Any]):
    subject = serializers.CharField()
    file = serializers.CharField()
    status = serializers.CharField(help_text="enrolled, rejected or skipped")


class EnrollmentBatchOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    gallery = serializers.CharField(source="gallery.slug")
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    enrolled = serializers.IntegerField()
    rejected = serializers.IntegerField()
    skipped = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Photos with several faces held for an admin.")
    several_faces = serializers.ChoiceField(choices=["refuse", "hold", "largest"])
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    results = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        help_text="One entry per file: subject, file, status (enrolled, held, rejected, "
        "skipped) and, when not enrolled, the reason.",
    )


class SubjectOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ref = serializers.CharField()
    display_name = serializers.CharField()
    gallery = serializers.CharField(source="gallery.slug")
    created_at = serializers.DateTimeField()


class FollowUpOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    search_id = serializers.UUIDField()
    due_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = serializers.CharField(
        source="completed_by.username", allow_null=True, default=None
    )
    note = serializers.CharField()
