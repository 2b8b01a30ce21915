"""Moved to :mod:`policy.engines.selection`; kept so existing imports work."""

from policy.engines.selection import PolicyEngine, engine_get

__all__ = ["PolicyEngine", "engine_get"]
