"""The portal's pages."""

from django.urls import path

from portal import policy_views, review_views, views

app_name = "portal"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("searches/new", views.SearchNewView.as_view(), name="search_new"),
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
]
