"""Passwords checked without their hashes ever leaving the database.

The app role cannot read ``tenants_user.password``. To check a password the service asks the
directory for the hash without its last field (algorithm, parameters and salt), hashes the
candidate with them, and lets the database compare the two strings. Sign-in resolves the
username through the directory too, since no agency is known before it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.hashers import get_hasher, make_password

from tenants.context import agency_transaction
from tenants.directory import (
    directory_password_prefix,
    directory_password_set,
    directory_password_verify,
    directory_user_agency,
    directory_user_sign_in,
)
from tenants.models import User


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
    return directory_password_verify(user_id=user_id, candidate=hasher.encode(raw_password, salt))


def password_set(*, user: User, raw_password: str | None) -> bool:
    """Store a new hash of ``raw_password`` (None: unusable) for one of the agency's users."""
    if user.agency_id is None:
        return False
    with agency_transaction(user.agency_id):
        return directory_password_set(user_id=user.pk, password_hash=make_password(raw_password))


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
