"""Moved to :mod:`policy.engines.opa`; kept so existing imports work."""

from policy.engines.opa import (
    DEFAULT_BUNDLE_NAME,
    DEFAULT_DECISION_PATH,
    UNKNOWN_REVISION,
    OpaRestEngine,
    provenance_revision,
)

__all__ = [
    "DEFAULT_BUNDLE_NAME",
    "DEFAULT_DECISION_PATH",
    "UNKNOWN_REVISION",
    "OpaRestEngine",
    "provenance_revision",
]
