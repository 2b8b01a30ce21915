"""Moved to :mod:`policy.bundles.bundle`; kept so existing imports work."""

from policy.bundles.bundle import (
    DATA_FILE,
    TEST_SUFFIX,
    Bundle,
    bundle_data,
    bundle_from_directory,
    rego_modules,
)

__all__ = [
    "DATA_FILE",
    "TEST_SUFFIX",
    "Bundle",
    "bundle_data",
    "bundle_from_directory",
    "rego_modules",
]
