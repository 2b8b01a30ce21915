"""REST routes of policy authoring."""

from django.urls import path

from policy.api.revisions import (
    ReplayDetailApi,
    RevisionActivateApi,
    RevisionDetailApi,
    RevisionListApi,
    RevisionReplayApi,
    RevisionReviewApi,
    RevisionRollbackApi,
    RevisionSubmitApi,
)

urlpatterns = [
    path("policy/revisions", RevisionListApi.as_view(), name="policy-revisions"),
    path("policy/revisions/<str:revision_id>", RevisionDetailApi.as_view(), name="policy-revision"),
    path(
        "policy/revisions/<str:revision_id>/submit",
        RevisionSubmitApi.as_view(),
        name="policy-revision-submit",
    ),
    path(
        "policy/revisions/<str:revision_id>/review",
        RevisionReviewApi.as_view(),
        name="policy-revision-review",
    ),
    path(
        "policy/revisions/<str:revision_id>/activate",
        RevisionActivateApi.as_view(),
        name="policy-revision-activate",
    ),
    path(
        "policy/revisions/<str:revision_id>/rollback",
        RevisionRollbackApi.as_view(),
        name="policy-revision-rollback",
    ),
    path(
        "policy/revisions/<str:revision_id>/replays",
        RevisionReplayApi.as_view(),
        name="policy-revision-replays",
    ),
    path("policy/replays/<str:replay_id>", ReplayDetailApi.as_view(), name="policy-replay"),
]
