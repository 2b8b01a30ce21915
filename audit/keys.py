"""The audit trail's secrets, which the database never sees.

The MAC key lets the service vouch for each event it writes, so a row inserted with SQL alone
is told apart; the Ed25519 key signs checkpoints of every chain's head, so removing or
re-hashing events after a checkpoint is detected even by someone holding the owner role.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.secret_files import secret_file_read, secret_key_bytes


def audit_mac_key() -> bytes:
    """Return the HMAC key for event content (``AUDIT_MAC_KEY``, base64, at least 32 bytes)."""
    return _mac_key(settings.AUDIT_MAC_KEY, settings.AUDIT_MAC_KEY_FILE)


@functools.lru_cache(maxsize=4)
def _mac_key(value: str, path: Path) -> bytes:
    return secret_key_bytes(value, path=path, setting="AUDIT_MAC_KEY")


def _generate_signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def checkpoint_signing_key() -> Ed25519PrivateKey:
    """Return the Ed25519 key that signs checkpoints (PEM file ``AUDIT_SIGNING_KEY_FILE``)."""
    pem = secret_file_read(
        settings.AUDIT_SIGNING_KEY_FILE,
        generate=_generate_signing_key,
        setting="AUDIT_SIGNING_KEY_FILE",
    )
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY_FILE: not an Ed25519 private key")
    return key


def checkpoint_public_key() -> Ed25519PublicKey:
    """Return the public key checkpoints verify against."""
    return checkpoint_signing_key().public_key()


def public_key_pem(key: Ed25519PublicKey) -> str:
    """Return ``key`` as SubjectPublicKeyInfo PEM, the form given to oversight bodies."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_id(key: Ed25519PublicKey) -> str:
    """Return a short, stable name for ``key``: the SHA-256 of its raw bytes, first 16 hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
