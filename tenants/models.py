"""Agencies (tenants), their users, training records and API tokens.

The app role reads users, tokens and training of the acting agency only (row-level security)
and never writes them: every write, and the resolution of a token before any agency is known,
goes through the directory's ``SECURITY DEFINER`` functions (``tenants/directory.py``). Password
hashes and token digests are columns of the tables that no model here declares and the app role
may not select.
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
    NATIONAL_ADMIN = "national_admin"


# Roles within a police agency or an oversight body; ``national_admin`` belongs to the national
# program office alone (it grants oversight scopes, see ``oversight.services``).
AGENCY_ROLES = tuple(r for r in Role.values if r != Role.NATIONAL_ADMIN)


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
    """A person acting for exactly one agency.

    The password hash stays in the table but out of the model: the app role cannot read it.
    """

    password = None  # type: ignore[assignment]

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

    # The password lives in the directory (``tenants.passwords``), never on this object.

    def check_password(self, raw_password: str | None) -> bool:
        from tenants.passwords import password_check

        if self.pk is None:
            return False
        return password_check(user_id=self.pk, raw_password=raw_password)

    def set_password(self, raw_password: str | None) -> None:
        from django.contrib.auth.hashers import make_password

        from tenants.passwords import password_set

        if self.pk is None:
            make_password(raw_password)  # an unsaved user: only the work, for equal timing
            return
        password_set(user=self, raw_password=raw_password)

    def set_unusable_password(self) -> None:
        self.set_password(None)

    def has_usable_password(self) -> bool:
        from tenants.directory import directory_password_prefix

        return self.pk is not None and directory_password_prefix(user_id=self.pk) is not None

    def get_session_auth_hash(self) -> str:
        """Return what ends the user's sessions when the password changes (its salt does)."""
        from django.utils.crypto import salted_hmac

        from tenants.directory import directory_password_prefix

        prefix = directory_password_prefix(user_id=self.pk) if self.pk is not None else None
        return salted_hmac(
            "probity.session_auth_hash", prefix or "", algorithm="sha256"
        ).hexdigest()


class TrainingRecord(models.Model):
    """A completed facial-recognition course; it lapses on ``expires_at``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_records")
    course = models.CharField(max_length=200)
    completed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-expires_at"]


class TokenIssuer(models.TextChoices):
    """How a token came to be, which is what its ``mfa_verified`` rests on."""

    OPERATOR = "operator", "operator command"
    OPERATOR_MFA_CHECK = "operator_mfa_check", "operator command after checking the second factor"
    AGENCY_ADMIN = "agency_admin", "agency admin through the API"
    PORTAL = "portal", "the user, in a portal session signed in without a second factor"
    MFA_SESSION = "mfa_session", "the user, in a portal session signed in with a second factor"
    ROTATION = "rotation", "rotation of an earlier token"


class ApiToken(models.Model):
    """An API key; only its SHA-256 digest is kept, in a column the app role cannot read."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    issued_via = models.CharField(
        max_length=30, choices=TokenIssuer.choices, default=TokenIssuer.OPERATOR
    )
    mfa_verified = models.BooleanField(
        default=False,
        help_text="The user's second factor was checked when the token was issued "
        "(set only by an issuing path that checks it; inherited on rotation).",
    )
    rotated_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


from tenants.idempotency_models import IdempotencyKey  # noqa: E402, F401 - model of this app
from tenants.identity_provider_models import AgencyIdentityProvider  # noqa: E402, F401 - model of this app
