"""REST routes for policy evaluation."""

from django.urls import path

from policy.api_bundle import PolicyBundleApi

urlpatterns: list[object] = [
    path("policy/bundles/probity.tar.gz", PolicyBundleApi.as_view(), name="policy-bundle"),
]
