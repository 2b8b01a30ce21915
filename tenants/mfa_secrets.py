"""Second-factor secrets sealed before they reach the database.

django-allauth keeps each TOTP secret and recovery-code seed in ``mfa_authenticator``, a table
the app role reads and writes (it is sign-in state). Read as it is stored, a secret would let
whoever holds the app role's SQL access compute any user's codes. Here allauth's ``encrypt`` and
``decrypt`` hooks seal them with AES-256-GCM under a key derived (HKDF-SHA256) from the data-key
KEK, which the database never sees: the table holds ``psm1:`` + base64 of nonce and ciphertext.

A value without the prefix is a secret stored before sealing; it is read as it is, and sealed
the next time the authenticator is provisioned.
"""

from __future__ import annotations

import base64
import secrets

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from datakeys.services import kek_derived_key

PREFIX = "psm1:"
_AAD = b"probity-mfa-secret-v1"
_NONCE_BYTES = 12


class MfaSecretError(ValueError):
    """A sealed second-factor secret does not open under this deployment's key."""


def _aead() -> AESGCM:
    return AESGCM(kek_derived_key(_AAD))


def mfa_secret_seal(text: str) -> str:
    """Return ``text`` sealed for storage."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _aead().encrypt(nonce, text.encode(), _AAD)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def mfa_secret_open(stored: str) -> str:
    """Return the secret ``stored`` holds (a value stored before sealing is returned as is)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
        return _aead().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD).decode()
    except (InvalidTag, ValueError) as exc:
        raise MfaSecretError("a second-factor secret does not open under this key") from exc


class SealedSecretsMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]  # allauth is untyped
    """allauth's MFA adapter with its secrets sealed (see the module)."""

    def encrypt(self, text: str) -> str:
        return mfa_secret_seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secret_open(encrypted_text)
