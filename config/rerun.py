"""Writes that are harmless to repeat, so they do not stop a request being run again.

``tenants.outage`` runs a request again after a lost database connection only if nothing of it
can have been committed; a write inside :func:`rerun_harmless` (a last-used timestamp) is
ignored by that check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_harmless: ContextVar[bool] = ContextVar("rerun_harmless", default=False)


@contextmanager
def rerun_harmless() -> Iterator[None]:
    """Mark the writes inside as harmless to repeat."""
    token = _harmless.set(True)
    try:
        yield
    finally:
        _harmless.reset(token)


def writes_harmless() -> bool:
    """Say whether the code running now is inside :func:`rerun_harmless`."""
    return _harmless.get()
