"""Agencies (tenants), their users, training records and API tokens.

The directory is not row-level secured: authentication must resolve a token before any agency
is known. Every selector over it still takes the acting agency.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models

AGENCY_ID_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
JURISDICTIONS = ("CA", *(f"CA-{p}" for p in PROVINCES))


class AgencyKind(models.TextChoices):
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    FEDERAL = "federal"
    OVERSIGHT = "oversight"


class Role(models.TextChoices):
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    COMPLIANCE_OFFICER = "compliance_officer"
    AGENCY_ADMIN = "agency_admin"
    AUDITOR = "auditor"


class Agency(models.Model):
    """A police service or oversight body; the unit of tenancy."""

    id = models.CharField(
        primary_key=True,
        max_length=40,
        validators=[RegexValidator(AGENCY_ID_PATTERN)],
        help_text="Slug; also names the agency's vector partition and policy overlay package.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    jurisdiction = models.CharField(
        max_length=5, choices=[(j, j) for j in JURISDICTIONS], help_text="ISO 3166-2 or CA"
    )
    municipality = models.CharField(max_length=120, blank=True)
    service_area_municipalities = ArrayField(
        models.CharField(max_length=120), default=list, blank=True
    )
    pia_completed = models.BooleanField(default=False)
    cai_disclosure_filed = models.BooleanField(default=False)
    fr_program_approved = models.BooleanField(default=False)
    oversees = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="overseen_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.id


class User(AbstractUser):
    """A person acting for exactly one agency."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    roles = ArrayField(
        models.CharField(max_length=30, choices=Role.choices), default=list, blank=True
    )
    mfa_enabled = models.BooleanField(default=False)

    def has_role(self, role: Role) -> bool:
        """Return whether the user holds ``role``."""
        return role.value in self.roles


class TrainingRecord(models.Model):
    """A completed facial-recognition course; it lapses on ``expires_at``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_records")
    course = models.CharField(max_length=200)
    completed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-expires_at"]


class ApiToken(models.Model):
    """An API key, stored only as its SHA-256 digest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    mfa_verified = models.BooleanField(
        default=False, help_text="The token was issued after a multi-factor check."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
from tenants.idempotency_models import IdempotencyKey  # noqa: E402, F401 - model of this app
