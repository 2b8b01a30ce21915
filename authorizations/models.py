"""Lawful authority as records: judicial authorizations, exigent approvals, agreements.

Each is entered once per case with its document, verified (or approved) by a supervisor who is
not the person who entered it, machine-checkable by the policy, and expires on its own. A search
references records by id; the service, never the client, turns them into policy input.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from tenants.models import Agency


class RecordStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    REVOKED = "revoked"


class WarrantKind(models.TextChoices):
    SEARCH_WARRANT = "search_warrant"
    GENERAL_WARRANT = "general_warrant"
    PRODUCTION_ORDER = "production_order"


class InteragencyKind(models.TextChoices):
    JOINT_FORCES_OPERATION = "joint_forces_operation"
    ASSISTANCE_REQUEST = "assistance_request"
    INFORMATION_SHARING_AGREEMENT = "information_sharing_agreement"
    MLAT = "mlat"
    INTERNATIONAL_ARRANGEMENT = "international_arrangement"


class AuthorizationRecord(models.Model):
    """What every authority record has: owner, document, who entered, verified, revoked it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.PENDING
    )
    document = models.BinaryField(null=True)
    document_name = models.CharField(max_length=255, blank=True)
    document_type = models.CharField(max_length=60, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Warrant(AuthorizationRecord):
    """A judicial authorization (search warrant, general warrant, production order)."""

    case_number = models.CharField(max_length=100)
    kind = models.CharField(max_length=30, choices=WarrantKind.choices)
    number = models.CharField(max_length=100)
    issuing_court = models.CharField(max_length=200)
    issuing_jurisdiction = models.CharField(max_length=10)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    authorized_purposes = ArrayField(models.CharField(max_length=60))
    authorized_case_number = models.CharField(max_length=100)
    endorsed_jurisdictions = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    applicant_agency_id = models.CharField(max_length=40, blank=True)


class ExigentApproval(AuthorizationRecord):
    """A supervisor's approval of a warrantless search under exigent circumstances.

    It is granted for one case, to one officer, for one purpose: a search relying on it for
    anything else is denied by the policy (E-09). ``entered_by`` is who entered the request;
    ``verified_by``/``verified_at`` are the approving supervisor and the time of approval.
    """

    case_number = models.CharField(max_length=100)
    granted_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The officer who may rely on the approval.",
    )
    purpose = models.CharField(
        max_length=60, help_text="The search purpose the approval was granted for."
    )
    category = models.CharField(max_length=80)
    reason = models.TextField()


class InteragencyAgreement(AuthorizationRecord):
    """A cooperation agreement that can make an out-of-territory probe usable."""

    reference = models.CharField(max_length=100, help_text="The agreement's own identifier.")
    kind = models.CharField(max_length=40, choices=InteragencyKind.choices)
    partner_agency_id = models.CharField(max_length=40, blank=True)
    partner_jurisdiction = models.CharField(max_length=10)
    expires_at = models.DateTimeField()
