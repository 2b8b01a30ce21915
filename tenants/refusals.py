"""Refusals on record: failed authentication (aggregated), role refusals and unknown ids.

A flood of bad tokens must not fill the audit trail, so failed authentications are counted per
source address and token prefix in a time window (in the cache that DRF's throttles use) and
an event is written on the 1st, 10th, 100th … failure of each pair, carrying the count so far.
A source trying many prefixes is folded into one ``*`` prefix after the first few. The event
goes into the agency's chain when the token belonged to a known agency, else into the platform
chain, which no agency can own (its id is not a valid agency id).
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from audit.services import audit_record

PLATFORM_CHAIN = "_platform"
AUTH_FAILED = "auth.failed"
WILDCARD_PREFIX = "*"


def _milestone(count: int) -> bool:
    return count >= 1 and 10 ** round(math.log10(count)) == count


def _incr(key: str, ttl: int) -> int:
    if cache.add(key, 1, ttl):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ttl)
        return 1


def auth_failure_record(
    *, source: str, prefix: str, reason: str, agency_id: str | None, now: float | None = None
) -> bool:
    """Count one failed authentication; write an audit event when the count is a milestone.

    Return whether an event was written.
    """
    window = int(settings.AUTH_FAILURE_WINDOW_SECONDS)
    start = int((now if now is not None else time.time()) // window * window)
    ttl = window * 2
    base = f"authfail:{start}:{source}"
    prefixes = cache.get_or_set(f"{base}:prefixes", set, ttl) or set()
    if prefix not in prefixes and len(prefixes) >= settings.AUTH_FAILURE_PREFIXES_PER_SOURCE:
        prefix = WILDCARD_PREFIX
    elif prefix not in prefixes:
        cache.set(f"{base}:prefixes", {*prefixes, prefix}, ttl)
    count = _incr(f"{base}:{prefix}", ttl)
    if not _milestone(count):
        return False
    audit_record(
        agency_id=agency_id or PLATFORM_CHAIN,
        actor="authentication",
        action=AUTH_FAILED,
        object_type="api_token",
        object_id=prefix,
        data={
            "source": source,
            "token_prefix": prefix,
            "reason": reason,
            "failures_in_window": count,
            "window_start": start,
            "window_seconds": window,
        },
    )
    return True


def refusal_record(
    *,
    agency_id: str,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Write the audit event of a refused request (a role refusal, an unknown id)."""
    audit_record(
        agency_id=agency_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
    )
