"""REST routes for galleries, enrollment and searches."""

from django.urls import path

from matching import (
    api,
    api_held_photos,
    api_imports,
    api_legal_events,
    api_lists,
    api_subjects,
)

urlpatterns = [
    path("searches", api_lists.SearchCollectionApi.as_view(), name="search-create"),
    path("searches/<str:search_id>", api.SearchDetailApi.as_view(), name="search-detail"),
    path(
        "searches/<str:search_id>/face-choice",
        api.SearchFaceChoiceApi.as_view(),
        name="search-face-choice",
    ),
    path(
        "searches/<str:search_id>/candidates/<int:rank>/reviews",
        api.CandidateReviewApi.as_view(),
        name="candidate-review",
    ),
    path(
        "searches/<str:search_id>/candidates/<int:rank>/outcome",
        api.LeadOutcomeApi.as_view(),
        name="lead-outcome",
    ),
    path(
        "searches/<str:search_id>/review-complete",
        api.SearchReviewCompleteApi.as_view(),
        name="search-review-complete",
    ),
    path("galleries", api.GalleryListApi.as_view(), name="gallery-list"),
    path(
        "galleries/<str:gallery_id>/subjects",
        api_lists.GallerySubjectCollectionApi.as_view(),
        name="gallery-subjects",
    ),
    path(
        "galleries/<str:gallery_id>/subjects/<int:subject_id>/correction",
        api_subjects.SubjectCorrectionApi.as_view(),
        name="gallery-subject-correction",
    ),
    path("enrollments", api_lists.EnrollmentListApi.as_view(), name="enrollment-list"),
    path("enrollments/<str:batch_id>", api.EnrollmentDetailApi.as_view(), name="enrollment-detail"),
    path(
        "imports/<str:import_id>",
        api_imports.GalleryImportDetailApi.as_view(),
        name="gallery-import-detail",
    ),
    path("held-photos", api_held_photos.HeldPhotoListApi.as_view(), name="held-photo-list"),
    path(
        "held-photos/<str:held_id>/photo",
        api_held_photos.HeldPhotoPhotoApi.as_view(),
        name="held-photo-photo",
    ),
    path(
        "held-photos/<str:held_id>/face-choice",
        api_held_photos.HeldPhotoFaceChoiceApi.as_view(),
        name="held-photo-face-choice",
    ),
    path(
        "held-photos/<str:held_id>/discard",
        api_held_photos.HeldPhotoDiscardApi.as_view(),
        name="held-photo-discard",
    ),
    path("legal-events", api_legal_events.LegalEventCreateApi.as_view(), name="legal-events"),
    path(
        "legal-events/import",
        api_legal_events.LegalEventImportApi.as_view(),
        name="legal-events-import",
    ),
    path("legal-holds", api_legal_events.LegalHoldCreateApi.as_view(), name="legal-holds"),
    path(
        "legal-holds/<str:hold_id>/lift",
        api_legal_events.LegalHoldLiftApi.as_view(),
        name="legal-hold-lift",
    ),
    path(
        "deletion-certificates",
        api_legal_events.DeletionCertificateListApi.as_view(),
        name="deletion-certificates",
    ),
    path("follow-ups", api_lists.FollowUpListApi.as_view(), name="follow-up-list"),
    path(
        "follow-ups/<str:follow_up_id>/complete",
        api.FollowUpCompleteApi.as_view(),
        name="follow-up-complete",
    ),
]
