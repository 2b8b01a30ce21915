"""The portal's pages."""

from django.urls import path

from portal import (
    admin_legal_views,
    admin_views,
    face_choice_views,
    list_views,
    policy_views,
    record_views,
    review_views,
    views,
)

app_name = "portal"

urlpatterns = [
    path("", list_views.HomeView.as_view(), name="home"),
    path("searches", list_views.AgencySearchListView.as_view(), name="agency_searches"),
    path("follow-ups", list_views.FollowUpListView.as_view(), name="follow_ups"),
    path(
        "follow-ups/<uuid:follow_up_id>",
        list_views.FollowUpDetailView.as_view(),
        name="follow_up",
    ),
    path("searches/new", views.SearchNewView.as_view(), name="search_new"),
    path(
        "searches/new/authorities",
        views.SearchAuthoritiesView.as_view(),
        name="search_authorities",
    ),
    path("searches/<uuid:search_id>", views.SearchDetailView.as_view(), name="search"),
    path("searches/<uuid:search_id>/live", views.SearchLiveView.as_view(), name="search_live"),
    path("searches/<uuid:search_id>/probe", review_views.ProbeImageView.as_view(), name="probe"),
    path(
        "searches/<uuid:search_id>/candidates/<int:rank>",
        review_views.CandidateReviewView.as_view(),
        name="candidate",
    ),
    path(
        "searches/<uuid:search_id>/candidates/<int:rank>/photo",
        review_views.CandidatePhotoView.as_view(),
        name="candidate_photo",
    ),
    path("authorities", record_views.RecordListView.as_view(), name="records"),
    path("authorities/new/<slug:kind>", record_views.RecordNewView.as_view(), name="record_new"),
    path(
        "authorities/<slug:kind>/<uuid:record_id>",
        record_views.RecordDetailView.as_view(),
        name="record",
    ),
    path(
        "authorities/<slug:kind>/<uuid:record_id>/document",
        record_views.RecordDocumentView.as_view(),
        name="record_document",
    ),
    path(
        "authorities/<slug:kind>/<uuid:record_id>/verify",
        record_views.RecordVerifyView.as_view(),
        name="record_verify",
    ),
    path(
        "authorities/<slug:kind>/<uuid:record_id>/revoke",
        record_views.RecordRevokeView.as_view(),
        name="record_revoke",
    ),
    path("reviews", review_views.ReviewQueueView.as_view(), name="reviews"),
    path("tokens", views.TokenListView.as_view(), name="tokens"),
    path(
        "policy/revisions", policy_views.PolicyRevisionListView.as_view(), name="policy_revisions"
    ),
    path(
        "policy/revisions/<uuid:revision_id>",
        policy_views.PolicyRevisionDetailView.as_view(),
        name="policy_revision",
    ),
    path(
        "policy/reasons/<str:code>", policy_views.PolicyReasonView.as_view(), name="policy_reason"
    ),
    path(
        "searches/<uuid:search_id>/probe-to-choose",
        face_choice_views.ProbePictureView.as_view(),
        name="search_probe",
    ),
    path(
        "searches/<uuid:search_id>/face",
        face_choice_views.FaceChooseView.as_view(),
        name="search_face",
    ),
    path("agency/users", admin_views.AdminUserListView.as_view(), name="admin_users"),
    path(
        "agency/users/<int:user_id>", admin_views.AdminUserDetailView.as_view(), name="admin_user"
    ),
    path(
        "agency/users/<int:user_id>/active",
        admin_views.AdminUserActiveView.as_view(),
        name="admin_user_active",
    ),
    path("agency/tokens", admin_views.AdminTokenListView.as_view(), name="admin_tokens"),
    path(
        "agency/tokens/<int:token_id>/revoke",
        admin_views.AdminTokenRevokeView.as_view(),
        name="admin_token_revoke",
    ),
    path("agency/galleries", admin_views.AdminGalleryListView.as_view(), name="admin_galleries"),
    path(
        "agency/galleries/<slug:slug>",
        admin_views.AdminGalleryDetailView.as_view(),
        name="admin_gallery",
    ),
    path(
        "agency/batches/<uuid:batch_id>",
        admin_views.AdminBatchDetailView.as_view(),
        name="admin_batch",
    ),
    path(
        "agency/held-photos/<uuid:held_id>",
        admin_views.AdminHeldPhotoView.as_view(),
        name="admin_held_photo",
    ),
    path(
        "agency/held-photos/<uuid:held_id>/picture",
        admin_views.AdminHeldPhotoPictureView.as_view(),
        name="admin_held_photo_picture",
    ),
    path(
        "agency/galleries/<slug:slug>/enroll",
        admin_views.AdminEnrollView.as_view(),
        name="admin_enroll",
    ),
    path(
        "agency/galleries/<slug:slug>/subjects/<int:subject_id>",
        admin_legal_views.AdminSubjectView.as_view(),
        name="admin_subject",
    ),
    path(
        "agency/galleries/<slug:slug>/subjects/<int:subject_id>/correction",
        admin_legal_views.AdminSubjectCorrectView.as_view(),
        name="admin_subject_correct",
    ),
    path(
        "agency/galleries/<slug:slug>/subjects/<int:subject_id>/legal-events",
        admin_legal_views.AdminLegalEventView.as_view(),
        name="admin_legal_event",
    ),
    path(
        "agency/galleries/<slug:slug>/subjects/<int:subject_id>/holds",
        admin_legal_views.AdminLegalHoldView.as_view(),
        name="admin_legal_hold",
    ),
    path(
        "agency/galleries/<slug:slug>/subjects/<int:subject_id>/holds/<uuid:hold_id>/lift",
        admin_legal_views.AdminLegalHoldLiftView.as_view(),
        name="admin_legal_hold_lift",
    ),
    path(
        "agency/galleries/<slug:slug>/legal-events/import",
        admin_legal_views.AdminLegalEventsImportView.as_view(),
        name="admin_legal_import",
    ),
    path(
        "agency/certificates/<uuid:certificate_id>",
        admin_legal_views.AdminCertificateView.as_view(),
        name="admin_certificate",
    ),
    path(
        "searches/<uuid:search_id>/candidates/<int:rank>/outcome",
        review_views.LeadOutcomeView.as_view(),
        name="lead_outcome",
    ),
]
