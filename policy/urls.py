"""REST routes for policy evaluation and the bundle OPA servers poll."""

from django.urls import path

from policy.api import PolicyEvaluateApi
from policy.api_bundle import PolicyBundleApi

urlpatterns = [
    path("policy/evaluate", PolicyEvaluateApi.as_view(), name="policy-evaluate"),
    path("policy/bundles/probity.tar.gz", PolicyBundleApi.as_view(), name="policy-bundle"),
]
