"""Moved to :mod:`policy.engines.embedded`; kept so existing imports work."""

from policy.engines.embedded import DECISION_RULE, EmbeddedRegoEngine

__all__ = ["DECISION_RULE", "EmbeddedRegoEngine"]
