"""An agency's own OpenID Connect identity provider, through which its staff may sign in."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class AgencyIdentityProvider(models.Model):
    """One agency's OpenID Connect provider; written by an operator on the owner's connection.

    The client secret is stored sealed (``tenants.oidc_secrets``): the app role reads this table
    (the sign-in page lists the configured agencies) but the database never holds the secret.
    """

    agency = models.OneToOneField(
        "tenants.Agency",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="identity_provider",
    )
    name = models.CharField(max_length=120, help_text="Shown on the sign-in button.")
    issuer = models.URLField(max_length=500, help_text="The provider's issuer identifier.")
    client_id = models.CharField(max_length=255)
    client_secret_sealed = models.TextField()
    mfa_acr_values = ArrayField(
        models.CharField(max_length=255),
        default=list,
        blank=True,
        help_text="acr values that attest a second factor at the provider.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.issuer}"
