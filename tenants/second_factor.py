"""Second factors of the directory's users (TOTP through django-allauth's MFA app).

The policy input's ``mfa_verified`` comes from how the current session signed in, never from a
flag on the user: ``session_mfa_verified`` reads the authentication steps allauth recorded.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.db import transaction
from django.http import HttpRequest

from audit.services import audit_record
from tenants.models import User

MFA_METHOD = "mfa"


def session_mfa_verified(request: HttpRequest) -> bool:
    """Return whether this session's signed-in user passed a second factor in this session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    return any(bool(record.get("method") == MFA_METHOD) for record in records)


def user_has_second_factor(*, user: User) -> bool:
    """Return whether the user has enrolled a TOTP app or a security key."""
    enrolled = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
    return bool(enrolled)


def totp_provision(*, user: User, actor: str = "system") -> str:
    """Give ``user`` a TOTP authenticator and return its secret (shown once, to enrol an app)."""
    secret = str(generate_totp_secret())
    with transaction.atomic():
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        TOTP.activate(user, secret)
        if user.agency_id is not None:
            audit_record(
                agency_id=user.agency_id,
                actor=actor,
                action="user.totp_provisioned",
                object_type="user",
                object_id=str(user.pk),
                data={"username": user.username},
            )
    return secret


def totp_secret(*, user: User) -> str | None:
    """Return the user's TOTP secret, or None when they have none."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return str(decrypt(authenticator.data["secret"]))


def totp_code(*, secret: str, at: float) -> str:
    """Return the TOTP code of ``secret`` at the Unix time ``at``."""
    return str(format_hotp_value(hotp_value(secret, int(at) // mfa_settings.TOTP_PERIOD)))
