"""REST routes for policy evaluation and the bundle OPA servers poll."""

from django.urls import path

from policy.api import PolicyEvaluateApi
from policy.api_bundle import PolicyBundleApi
from policy.api_decision_logs import DecisionLogsApi
from policy.api_lists import DecisionListApi

urlpatterns = [
    path("policy/evaluate", PolicyEvaluateApi.as_view(), name="policy-evaluate"),
    path("policy/decisions", DecisionListApi.as_view(), name="policy-decision-list"),
    path("policy/bundles/probity.tar.gz", PolicyBundleApi.as_view(), name="policy-bundle"),
    path("policy/decision-logs", DecisionLogsApi.as_view(), name="policy-decision-logs"),
]

from policy.api.revision_urls import urlpatterns as revision_urlpatterns  # noqa: E402

urlpatterns += revision_urlpatterns
