"""REST routes for the credential API of agency admins."""

from django.urls import path

from tenants import api

urlpatterns = [
    path("tokens", api.TokenListApi.as_view(), name="token-list"),
    path("tokens/<str:token_id>", api.TokenDetailApi.as_view(), name="token-detail"),
    path("tokens/<str:token_id>/revoke", api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("tokens/<str:token_id>/rotate", api.TokenRotateApi.as_view(), name="token-rotate"),
    path("users", api.UserListApi.as_view(), name="user-list"),
    path("users/<str:user_id>", api.UserDetailApi.as_view(), name="user-detail"),
    path(
        "users/<str:user_id>/disable", api.UserActiveApi.as_view(active=False), name="user-disable"
    ),
    path("users/<str:user_id>/enable", api.UserActiveApi.as_view(active=True), name="user-enable"),
]
