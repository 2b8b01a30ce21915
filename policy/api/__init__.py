"""The policy's REST endpoints."""

from policy.api.evaluate import AGENCY_MISMATCH, PolicyEvaluateApi

__all__ = ["AGENCY_MISMATCH", "PolicyEvaluateApi"]
