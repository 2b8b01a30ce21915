"""The signature on every webhook body: HMAC-SHA256 over the timestamp and the exact bytes.

``Probity-Signature: t=<unix seconds>,v1=<hex digest of "<t>.<body>">``. A receiver recomputes
it with the webhook's secret, compares in constant time and refuses an old timestamp, so a
captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Probity-Signature"
EVENT_HEADER = "Probity-Event"
DELIVERY_HEADER = "Probity-Delivery"


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``Probity-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_valid(
    *, secret: str, header: str, body: bytes, now: int, tolerance_seconds: int = 300
) -> bool:
    """Check a ``Probity-Signature`` as a receiver should (what the tests do, too)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature_header(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(
        expected.encode(), f"t={timestamp},v1={parts.get('v1', '')}".encode()
    )
