"""A worker's lease on the search it runs, renewed by a heartbeat while it works.

A worker that dies stops renewing; once the lease expires the search may be claimed again (by a
redelivered message or by the recovery beat re-enqueues), so a dead worker costs a lease, not a
search.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from matching.models import Search, SearchStatus
from tenants.context import agency_transaction


def worker_identity() -> str:
    """Return this process's name as a lease owner: host, pid and a per-claim nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_until(now: datetime | None = None) -> datetime:
    """Return when a lease taken or renewed now ends."""
    return (now or timezone.now()) + timedelta(seconds=settings.SEARCH_LEASE_SECONDS)


def lease_renew(*, agency_id: str, search_id: uuid.UUID, owner: str) -> bool:
    """Extend the lease if this worker still holds it; False once it was lost or ended."""
    with agency_transaction(agency_id):
        return bool(
            Search.objects.filter(
                agency_id=agency_id,
                id=search_id,
                status=SearchStatus.RUNNING,
                lease_owner=owner,
            ).update(lease_expires_at=lease_until())
        )


@contextmanager
def lease_heartbeat(*, agency_id: str, search_id: uuid.UUID, owner: str) -> Iterator[None]:
    """Renew the lease every third of its length until the block ends."""
    stop = threading.Event()
    interval = max(settings.SEARCH_LEASE_SECONDS / 3, 0.5)

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not lease_renew(agency_id=agency_id, search_id=search_id, owner=owner):
                        return
                except Exception:  # noqa: S112 - a missed beat is retried; expiry is the net
                    continue
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-{search_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
