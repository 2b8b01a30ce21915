"""Celery tasks of the directory app (thin: they call the services)."""

from __future__ import annotations

from celery import shared_task

from tenants.idempotency import idempotency_keys_purge


@shared_task
def idempotency_keys_purge_all() -> int:
    """Delete every agency's expired idempotency keys (run by beat)."""
    from tenants.models import Agency

    return sum(
        idempotency_keys_purge(agency_id=a) for a in Agency.objects.values_list("id", flat=True)
    )
