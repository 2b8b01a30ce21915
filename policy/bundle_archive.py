"""Moved to :mod:`policy.bundles.archive`; kept so existing imports work."""

from policy.bundles.archive import (
    BUNDLE_ROOTS,
    MANIFEST_FILE,
    BundleArchiveError,
    active_bundle,
    bundle_archive,
    bundle_from_archive,
)

__all__ = [
    "BUNDLE_ROOTS",
    "MANIFEST_FILE",
    "BundleArchiveError",
    "active_bundle",
    "bundle_archive",
    "bundle_from_archive",
]
