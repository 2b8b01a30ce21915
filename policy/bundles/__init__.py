"""Policy bundles: the modules and data the engines load, and OPA's archive of them."""

from policy.bundles.bundle import Bundle, bundle_from_directory

__all__ = ["Bundle", "bundle_from_directory"]
