"""Policy engines: the interface, the in-process regorus engine and the OPA REST client."""

from policy.engines.selection import PolicyEngine, engine_get

__all__ = ["PolicyEngine", "engine_get"]
