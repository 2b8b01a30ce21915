"""Sign-in through an agency's own OpenID Connect provider: its configuration and who it admits.

An operator configures one provider per agency (issuer, client id, sealed client secret, and
the ``acr`` values that attest a second factor) on the owner's connection; every change is
audited in the same transaction and the secret is never part of an event or an output.

Who a provider signs in, decided here and nowhere else:

- only an active user of the provider's own agency, found by the link from the provider's
  ``sub`` to that user (``socialaccount_socialaccount``, provider = the agency's id);
- with no link yet, the user of that agency whose e-mail address is the one the ID token (or
  userinfo) states with ``email_verified`` true, when exactly one active user has it and that
  user is not already linked to another ``sub``; the link is then made and audited, and later
  sign-ins follow the ``sub`` alone;
- anyone else is refused, with the reason in the agency's audit chain.

A session signed in this way is ``mfa_verified`` only when the ID token attests a second factor
(``amr`` names one of ``MFA_AMR_VALUES``, or ``acr`` is one the agency configured); otherwise
Probity's own second factor is asked, as after a password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record
from config.database import OWNER_ALIAS
from tenants.context import agency_transaction
from tenants.identity_provider_models import AgencyIdentityProvider
from tenants.models import Agency, User
from tenants.oidc_secrets import oidc_secret_open, oidc_secret_seal

OWNER_DB = OWNER_ALIAS
# RFC 8176 values that name a second factor (or several factors) at the provider.
MFA_AMR_VALUES = frozenset({"mfa", "otp", "hwk", "swk"})
# The provider class allauth registers; an agency may not take its name as a provider id.
RESERVED_PROVIDER_IDS = frozenset({"openid_connect"})


class Refusal:
    """Why a provider's sign-in was refused (the ``reason`` of ``sign_in.oidc_refused``)."""

    UNKNOWN_SUBJECT = "unknown_subject"
    OTHER_AGENCY = "other_agency"
    DISABLED = "user_disabled"
    AMBIGUOUS_EMAIL = "ambiguous_email"
    LINKED_TO_ANOTHER_SUBJECT = "linked_to_another_subject"
    SUBJECT_MISMATCH = "subject_mismatch"
    NOT_CONFIGURED = "provider_not_configured"
    CONNECT = "connect_refused"


@dataclass(frozen=True)
class AgencyOidc:
    """An agency's provider as the sign-in needs it (the secret only when asked for)."""

    agency_id: str
    name: str
    issuer: str
    client_id: str
    mfa_acr_values: tuple[str, ...]


@dataclass(frozen=True)
class OidcSignIn:
    """Whom a provider's sign-in admits (``user``), or why not (``refusal``)."""

    user: User | None
    refusal: str = ""
    linked: bool = False


def _public(row: AgencyIdentityProvider) -> AgencyOidc:
    return AgencyOidc(
        agency_id=row.agency_id,
        name=row.name,
        issuer=row.issuer,
        client_id=row.client_id,
        mfa_acr_values=tuple(row.mfa_acr_values),
    )


def issuer_check(issuer: str) -> str:
    """Return ``issuer`` if it is an issuer URL this deployment accepts, else raise."""
    parts = urlsplit(issuer)
    allowed = ("https", "http") if settings.OIDC_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError({"issuer": "the issuer must be an https:// URL"})
    if parts.query or parts.fragment:
        raise ValidationError({"issuer": "the issuer has no query or fragment"})
    return issuer


def agency_oidc_set(
    *,
    agency_id: str,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    mfa_acr_values: Sequence[str] = (),
    actor: str,
) -> AgencyOidc:
    """Configure (or replace) the agency's provider; audited without the secret."""
    if agency_id in RESERVED_PROVIDER_IDS:
        raise ValidationError({"agency": f"{agency_id!r} cannot have a provider"})
    issuer_check(issuer)
    if not name.strip() or not client_id.strip():
        raise ValidationError({"name": "a name and a client id are required"})
    if not client_secret:
        raise ValidationError({"client_secret": "the client secret is empty"})
    acr_values = sorted({v.strip() for v in mfa_acr_values if v.strip()})
    with transaction.atomic(using=OWNER_DB):
        agency = Agency.objects.using(OWNER_DB).filter(id=agency_id).first()
        if agency is None:
            raise ValidationError({"agency": f"no agency {agency_id!r}"})
        previous = AgencyIdentityProvider.objects.using(OWNER_DB).filter(agency=agency).first()
        row = previous or AgencyIdentityProvider(agency=agency)
        secret_changed = previous is None or (
            oidc_secret_open(agency_id=agency_id, stored=previous.client_secret_sealed)
            != client_secret
        )
        row.name, row.issuer, row.client_id = name.strip(), issuer, client_id.strip()
        row.mfa_acr_values = acr_values
        row.client_secret_sealed = oidc_secret_seal(agency_id=agency_id, secret=client_secret)
        row.full_clean(exclude=["agency"])
        row.save(using=OWNER_DB)
        audit_record(
            agency_id=agency_id,
            actor=actor,
            action="agency.oidc_configured",
            object_type="agency",
            object_id=agency_id,
            data={
                "name": row.name,
                "issuer": issuer,
                "client_id": row.client_id,
                "mfa_acr_values": acr_values,
                "client_secret_changed": secret_changed,
                "replaced": previous is not None,
            },
            using=OWNER_DB,
        )
    return _public(row)


def agency_oidc_remove(*, agency_id: str, actor: str) -> bool:
    """Remove the agency's provider and every link to it; False when it had none."""
    with transaction.atomic(using=OWNER_DB):
        row = AgencyIdentityProvider.objects.using(OWNER_DB).filter(agency_id=agency_id).first()
        if row is None:
            return False
        links, _ = SocialAccount.objects.using(OWNER_DB).filter(provider=agency_id).delete()
        row.delete(using=OWNER_DB)
        audit_record(
            agency_id=agency_id,
            actor=actor,
            action="agency.oidc_removed",
            object_type="agency",
            object_id=agency_id,
            data={"issuer": row.issuer, "links_removed": links},
            using=OWNER_DB,
        )
    return True


def agency_oidc_unlink(*, agency_id: str, username: str, actor: str) -> bool:
    """Remove a user's link to the agency's provider; False when there was none."""
    with agency_transaction(agency_id, using=OWNER_DB):
        user = User.objects.using(OWNER_DB).filter(agency_id=agency_id, username=username).first()
        if user is None:
            return False
        deleted, _ = (
            SocialAccount.objects.using(OWNER_DB)
            .filter(provider=agency_id, user_id=user.pk)
            .delete()
        )
        if not deleted:
            return False
        audit_record(
            agency_id=agency_id,
            actor=actor,
            action="user.oidc_unlinked",
            object_type="user",
            object_id=str(user.pk),
            data={"username": username},
            using=OWNER_DB,
        )
    return True


def agency_oidc_list() -> list[AgencyOidc]:
    """Return every configured provider, by agency (no secrets)."""
    return [_public(r) for r in AgencyIdentityProvider.objects.order_by("agency_id")]


def agency_oidc_get(*, agency_id: str) -> AgencyOidc | None:
    """Return the agency's provider, if it has one."""
    row = AgencyIdentityProvider.objects.filter(agency_id=agency_id).first()
    return _public(row) if row is not None else None


def agency_oidc_client_secret(*, agency_id: str) -> str | None:
    """Return the agency's client secret, opened (for the token request alone)."""
    row = AgencyIdentityProvider.objects.filter(agency_id=agency_id).first()
    if row is None:
        return None
    return oidc_secret_open(agency_id=agency_id, stored=row.client_secret_sealed)


def oidc_mfa_attested(*, claims: Mapping[str, Any], mfa_acr_values: Sequence[str]) -> bool:
    """Return whether ID token ``claims`` attest a second factor at the provider."""
    amr = claims.get("amr")
    if isinstance(amr, list) and any(isinstance(v, str) and v in MFA_AMR_VALUES for v in amr):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and bool(acr) and acr in mfa_acr_values


def oidc_verified_email(claims: Sequence[Mapping[str, Any]]) -> str:
    """Return the first e-mail address a claim set states as verified ('' when none)."""
    for source in claims:
        email = source.get("email")
        if isinstance(email, str) and email and source.get("email_verified") is True:
            return email.strip()
    return ""


def oidc_refusal_record(
    *, agency_id: str, reason: str, subject: str, user: User | None = None
) -> None:
    """Record a refused sign-in through the agency's provider in its audit chain."""
    audit_record(
        agency_id=agency_id,
        actor="anonymous",
        action="sign_in.oidc_refused",
        object_type="user" if user is not None else "",
        object_id=str(user.pk) if user is not None else "",
        data={
            "reason": reason,
            "subject": subject,
            **({"username": user.username} if user is not None else {}),
        },
    )


def _link_by_email(*, agency_id: str, subject: str, email: str) -> OidcSignIn:
    if not email:
        return OidcSignIn(user=None, refusal=Refusal.UNKNOWN_SUBJECT)
    candidates = list(
        User.objects.filter(agency_id=agency_id, email__iexact=email).order_by("pk")[:2]
    )
    if not candidates:
        return OidcSignIn(user=None, refusal=Refusal.UNKNOWN_SUBJECT)
    if len(candidates) > 1:
        return OidcSignIn(user=None, refusal=Refusal.AMBIGUOUS_EMAIL)
    user = candidates[0]
    if not user.is_active:
        return OidcSignIn(user=user, refusal=Refusal.DISABLED)
    if SocialAccount.objects.filter(provider=agency_id, user_id=user.pk).exists():
        return OidcSignIn(user=user, refusal=Refusal.LINKED_TO_ANOTHER_SUBJECT)
    return OidcSignIn(user=user, linked=True)


def oidc_sign_in_resolve(
    *, agency_id: str, subject: str, linked_user: User | None, email: str
) -> OidcSignIn:
    """Decide whom a sign-in of ``subject`` at the agency's provider admits.

    ``linked_user`` is the user the subject is already linked to (None: no link); ``email`` the
    address the provider states as verified ('' if none). Runs in the agency's transaction.
    """
    if agency_oidc_get(agency_id=agency_id) is None:
        return OidcSignIn(user=None, refusal=Refusal.NOT_CONFIGURED)
    if linked_user is None:
        return _link_by_email(agency_id=agency_id, subject=subject, email=email)
    if linked_user.agency_id != agency_id:
        return OidcSignIn(user=None, refusal=Refusal.OTHER_AGENCY)
    if not linked_user.is_active:
        return OidcSignIn(user=linked_user, refusal=Refusal.DISABLED)
    return OidcSignIn(user=linked_user)


def oidc_link_record(*, agency_id: str, user: User, subject: str, email: str) -> None:
    """Record the link just made from ``subject`` to ``user`` (same transaction as the link)."""
    audit_record(
        agency_id=agency_id,
        actor=user,
        action="user.oidc_linked",
        object_type="user",
        object_id=str(user.pk),
        data={"username": user.username, "subject": subject, "matched_email": email},
    )
