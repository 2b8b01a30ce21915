"""The policy's REST endpoints."""

from policy.api.evaluate import AGENCY_MISMATCH, DRY_RUN_ROLES, PolicyEvaluateApi

__all__ = ["AGENCY_MISMATCH", "DRY_RUN_ROLES", "PolicyEvaluateApi"]
