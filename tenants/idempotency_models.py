"""The stored outcome of a create request sent with an ``Idempotency-Key``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """One client key of one user: the request it named and the response it got."""

    agency = models.ForeignKey("tenants.Agency", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=200, help_text="method and path")
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="null while in progress"
    )
    response_body = models.JSONField(null=True, blank=True)
    response_location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        app_label = "tenants"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "user", "key"], name="idempotency_agency_user_key"
            ),
        ]
        indexes = [models.Index(fields=["agency", "expires_at"], name="idempotency_expiry")]
