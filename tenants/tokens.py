"""API key format and digests: keys are shown once and stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "prb_"


def token_generate() -> str:
    """Return a new random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def token_digest(key: str) -> str:
    """Return the stored digest of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()
