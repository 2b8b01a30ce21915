"""Celery tasks: send each queued delivery, retrying with backoff; sweep for due ones."""

from __future__ import annotations

import uuid

from celery import shared_task

from notifications.services import webhook_deliveries_claim, webhook_delivery_attempt


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver(self, delivery_id: str, agency_id: str) -> None:  # type: ignore[no-untyped-def]
    """Send one delivery; on failure, come back after the backoff the service chose."""
    retry_in = webhook_delivery_attempt(agency_id=agency_id, delivery_id=uuid.UUID(delivery_id))
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task
def webhooks_dispatch() -> int:
    """Enqueue every agency's due deliveries (run by beat every few seconds)."""
    from tenants.models import Agency

    sent = 0
    for agency_id in Agency.objects.values_list("id", flat=True):
        for delivery_id in webhook_deliveries_claim(agency_id=agency_id):
            webhook_deliver.delay(str(delivery_id), agency_id)
            sent += 1
    return sent
