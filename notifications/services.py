"""Webhooks: registration, and the delivery of the events the database triggers queue.

A delivery is sent outside any transaction (no lock is held over the network), retried with
exponential backoff up to ``WEBHOOK_MAX_ATTEMPTS``, and every attempt is logged on the
delivery. A webhook whose deliveries fail ``WEBHOOK_DISABLE_AFTER`` times in a row is
disabled (audited) until an agency admin enables it again.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone

from audit.services import audit_record
from notifications.models import DeliveryStatus, Webhook, WebhookDelivery
from notifications.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed

WEBHOOK_NOT_FOUND = "webhook_not_found"
WEBHOOK_URL_REFUSED = "webhook_url_refused"


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)


def webhook_admin_require(user: User) -> None:
    if not action_allowed(user=user, action="webhooks.manage"):
        raise ApiError(
            errors.PERMISSION_DENIED, "Only agency admins manage webhooks.", http_status=403
        )


def webhook_url_check(url: str) -> None:
    """Refuse a URL the service will not post to: https only, unless plain http is allowed."""
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ApiError(
            WEBHOOK_URL_REFUSED,
            "Give an https:// URL without credentials in it.",
            fields={"url": ["Not an accepted webhook URL."]},
        )


def webhook_create(
    *, user: User, url: str, events: list[str], description: str = ""
) -> tuple[Webhook, str]:
    """Register a webhook for the user's agency; return it and its secret (shown only now)."""
    webhook_admin_require(user)
    webhook_url_check(url)
    assert user.agency_id is not None  # noqa: S101
    secret = secrets.token_urlsafe(32)
    with agency_transaction(user.agency_id):
        webhook = Webhook.objects.create(
            agency_id=user.agency_id,
            url=url,
            secret=secret,
            events=sorted(set(events)),
            description=description,
            created_by=user,
        )
        audit_record(
            agency_id=user.agency_id,
            actor=user,
            action="webhook.created",
            object_type="webhook",
            object_id=str(webhook.id),
            data={"url": url, "events": webhook.events},
        )
    return webhook, secret


def webhook_enable(*, user: User, webhook_id: uuid.UUID) -> Webhook:
    """Enable a webhook again (after it was disabled for failing); audited."""
    webhook_admin_require(user)
    assert user.agency_id is not None  # noqa: S101
    with agency_transaction(user.agency_id):
        webhook = (
            Webhook.objects.select_for_update()
            .filter(agency_id=user.agency_id, id=webhook_id)
            .first()
        )
        if webhook is None:
            raise ApiError(WEBHOOK_NOT_FOUND, "No such webhook.", http_status=404)
        webhook.active, webhook.consecutive_failures, webhook.disabled_at = True, 0, None
        webhook.save(update_fields=["active", "consecutive_failures", "disabled_at"])
        audit_record(
            agency_id=user.agency_id,
            actor=user,
            action="webhook.enabled",
            object_type="webhook",
            object_id=str(webhook.id),
        )
    return webhook


def webhook_deliveries_claim(*, agency_id: str, limit: int = 100) -> list[uuid.UUID]:
    """Return the agency's due deliveries, leased so a second dispatcher skips them."""
    now = timezone.now()
    with agency_transaction(agency_id):
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(agency_id=agency_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(id__in=due).update(next_attempt_at=now + _lease())
    return due


@dataclass(frozen=True)
class _Attempt:
    url: str
    secret: str
    event: str
    body: bytes


def _attempt_start(agency_id: str, delivery_id: uuid.UUID) -> _Attempt | None:
    with agency_transaction(agency_id):
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(agency_id=agency_id, id=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        if not delivery.webhook.active:
            delivery.status = DeliveryStatus.ABANDONED
            delivery.last_error = "webhook disabled"
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + _lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        body = json.dumps(
            {"id": str(delivery.id), **delivery.payload}, sort_keys=True, separators=(",", ":")
        ).encode()
        return _Attempt(delivery.webhook.url, delivery.webhook.secret, delivery.event, body)


def _post(attempt: _Attempt, delivery_id: uuid.UUID) -> tuple[int | None, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Probity-Webhooks/1",
        EVENT_HEADER: attempt.event,
        DELIVERY_HEADER: str(delivery_id),
        SIGNATURE_HEADER: signature_header(
            secret=attempt.secret, timestamp=int(time.time()), body=attempt.body
        ),
    }
    try:
        reply = httpx.post(
            attempt.url,
            content=attempt.body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return reply.status_code, "" if 200 <= reply.status_code < 300 else f"HTTP {reply.status_code}"


def retry_delay(attempts: int) -> float:
    """Return the wait before attempt ``attempts + 1``: doubling, capped."""
    return float(
        min(
            settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
            settings.WEBHOOK_RETRY_MAX_SECONDS,
        )
    )


def webhook_delivery_attempt(*, agency_id: str, delivery_id: uuid.UUID) -> float | None:
    """Send one delivery once; return the seconds to wait before retrying, or None when done."""
    attempt = _attempt_start(agency_id, delivery_id)
    if attempt is None:
        return None
    status_code, error = _post(attempt, delivery_id)
    now = timezone.now()
    with agency_transaction(agency_id):
        delivery = WebhookDelivery.objects.select_for_update().get(
            agency_id=agency_id, id=delivery_id
        )
        webhook = Webhook.objects.select_for_update().get(
            agency_id=agency_id, id=delivery.webhook_id
        )
        delivery.last_status_code, delivery.last_error = status_code, error[:300]
        if not error:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            webhook.consecutive_failures = 0
            retry = None
        else:
            delivery.failures += 1
            retry = retry_delay(delivery.attempts)
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.status, retry = DeliveryStatus.FAILED, None
                webhook.consecutive_failures += 1
                if webhook.active and (
                    webhook.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER
                ):
                    webhook.active, webhook.disabled_at = False, now
                    audit_record(
                        agency_id=agency_id,
                        actor="system",
                        action="webhook.disabled",
                        object_type="webhook",
                        object_id=str(webhook.id),
                        data={
                            "consecutive_failures": webhook.consecutive_failures,
                            "last_error": error,
                        },
                    )
            else:
                delivery.next_attempt_at = now + timedelta(seconds=retry) + _lease()
        delivery.save()
        webhook.save(update_fields=["consecutive_failures", "active", "disabled_at"])
    return retry
