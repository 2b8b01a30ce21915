"""Passwords checked without their hashes ever leaving the database, peppered.

The app role cannot read ``tenants_user.password``. To check a password the service asks the
directory for the hash without its last field (algorithm, parameters and salt), hashes the
candidate with them, and lets the database compare the two strings. Sign-in resolves the
username through the directory too, since no agency is known before it.

The stored hash's last field is not the hasher's but ``p1.`` + HMAC-SHA256 of the whole hash
under a pepper derived from the data-key KEK, which the database never sees. So SQL access as
the app role, which can call the comparison function, cannot test guesses with it: without the
pepper no candidate it computes can match. A hash stored before peppering (its last field has
no ``p1.``) is still accepted and replaced by its peppered form at that user's next sign-in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, get_hasher, make_password

from datakeys.services import kek_derived_key
from tenants.context import agency_transaction
from tenants.directory import (
    directory_password_prefix,
    directory_password_set,
    directory_password_verify,
    directory_user_agency,
    directory_user_sign_in,
)
from tenants.models import User

PEPPER_MARK = "p1."
_PEPPER_PURPOSE = b"probity-password-pepper-v1"


def password_peppered(encoded: str) -> str:
    """Return what the directory stores for the hasher's output ``encoded``."""
    if encoded.startswith(UNUSABLE_PASSWORD_PREFIX):
        return encoded
    prefix = encoded.rsplit("$", 1)[0]
    mac = hmac.new(kek_derived_key(_PEPPER_PURPOSE), encoded.encode(), hashlib.sha256).digest()
    # base64 keeps the stored form as long as the hasher's own (the column holds 128).
    return f"{prefix}${PEPPER_MARK}{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def password_hash(raw_password: str | None) -> str:
    """Return the directory's form of a new password (None: an unusable one)."""
    return password_peppered(make_password(raw_password))


def _salt(algorithm: str, prefix: str) -> str | None:
    """Return the salt string the hasher was given, from the last field of ``prefix``."""
    field = prefix.rsplit("$", 1)[-1]
    if algorithm != "argon2":
        return field
    try:  # argon2 stores the salt base64-encoded without padding
        return base64.b64decode(field + "=" * (-len(field) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def password_check(*, user_id: int, raw_password: str | None) -> bool:
    """Return whether ``raw_password`` is the user's password (the database compares)."""
    prefix = directory_password_prefix(user_id=user_id)
    if prefix is None or raw_password is None:
        make_password(raw_password)  # the same work either way
        return False
    algorithm = prefix.split("$", 1)[0]
    try:
        hasher = get_hasher(algorithm)
    except ValueError:
        return False
    salt = _salt(algorithm, prefix)
    if salt is None:
        return False
    encoded = hasher.encode(raw_password, salt)
    if directory_password_verify(user_id=user_id, candidate=password_peppered(encoded)):
        return True
    if not directory_password_verify(user_id=user_id, candidate=encoded):
        return False
    agency_id = directory_user_agency(user_id=user_id)  # stored before peppering: pepper it
    if agency_id is not None:
        with agency_transaction(agency_id):
            directory_password_set(user_id=user_id, password_hash=password_peppered(encoded))
    return True


def password_set(*, user: User, raw_password: str | None) -> bool:
    """Store a new hash of ``raw_password`` (None: unusable) for one of the agency's users."""
    if user.agency_id is None:
        return False
    with agency_transaction(user.agency_id):
        return directory_password_set(user_id=user.pk, password_hash=password_hash(raw_password))


def user_of_session(*, user_id: int) -> User | None:
    """Load a signed-in user in their own agency's context, or None if disabled or gone."""
    agency_id = directory_user_agency(user_id=user_id)
    if agency_id is None:
        return None
    with agency_transaction(agency_id):
        return User.objects.select_related("agency").filter(pk=user_id).first()


class DirectoryAuthenticationBackend(AuthenticationBackend):  # type: ignore[misc]
    """allauth's backend, finding users and checking passwords through the directory."""

    def _authenticate_by_username(self, username: str, password: str) -> User | None:
        found = directory_user_sign_in(username=username) if username else None
        user = user_of_session(user_id=found[0]) if found else None
        if user is None:
            return None  # allauth does the same hashing work when no password was checked
        return user if self._check_password(user, password) else None

    def _authenticate_by_email(self, email: str, password: str) -> None:
        return None  # staff sign in by username only

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = user_of_session(user_id=pk)
        return user if user is not None and self.user_can_authenticate(user) else None
