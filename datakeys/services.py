"""Seal, open and destroy biometric bytes, each object under a data key of its own.

Sealed bytes are ``PSB1`` + a 12-byte nonce + AES-256-GCM ciphertext and tag, with the agency,
the key id and the object's purpose as associated data, so a ciphertext opens only as the object
it was sealed for. Only ciphertext ever reaches PostgreSQL; the data key stays in the key store
(``datakeys.store``). Destroying the key erases every copy of the ciphertext at once: in the
table, its WAL, backups and replicas.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction

from config.secret_files import secret_key_bytes
from datakeys.store import NONCE_BYTES, DataKeyDestroyedError, KeyStore

SEAL_MAGIC = b"PSB1"

__all__ = [
    "DataKeyDestroyedError",
    "SealedBytesError",
    "datakey_destroy_on_commit",
    "datakeys_sweep",
    "kek_derived_key",
    "key_store",
    "sealed_aad",
    "sealed_bytes_add",
    "sealed_bytes_create",
    "sealed_bytes_open",
]


class SealedBytesError(ValueError):
    """Sealed bytes do not open under their key, agency and purpose (tampered or swapped)."""


@dataclass(frozen=True)
class Sealed:
    """The ciphertext to store in the row and the id of the key that opens it."""

    key_id: uuid.UUID
    blob: bytes


def key_store() -> KeyStore:
    """Return the configured key store (``DATAKEY_STORE_DIR``, KEK from ``DATAKEY_KEK``)."""
    return _key_store(settings.DATAKEY_STORE_DIR, settings.DATAKEY_KEK, settings.DATAKEY_KEK_FILE)


@functools.lru_cache(maxsize=4)
def _key_store(root: Path, kek: str, kek_file: Path) -> KeyStore:
    return KeyStore(Path(root), secret_key_bytes(kek, path=Path(kek_file), setting="DATAKEY_KEK"))


def kek_derived_key(purpose: bytes) -> bytes:
    """Return a 32-byte key for ``purpose`` derived (HKDF-SHA256) from the KEK.

    For secrets the service keeps in the database's sign-in state and directory (second-factor
    secrets, the password pepper): one configured key, a separate key per use.
    """
    return _kek_derived(purpose, settings.DATAKEY_KEK, str(settings.DATAKEY_KEK_FILE))


@functools.lru_cache(maxsize=8)
def _kek_derived(purpose: bytes, kek: str, kek_file: str) -> bytes:
    master = secret_key_bytes(kek, path=Path(kek_file), setting="DATAKEY_KEK")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def sealed_aad(agency_id: str, key_id: uuid.UUID, purpose: str) -> bytes:
    """Return the associated data binding sealed bytes to their agency, key and object."""
    return f"probity-sealed-v1|{agency_id}|{key_id}|{purpose}".encode()


def sealed_bytes_create(*, agency_id: str, purpose: str, plaintext: bytes) -> Sealed:
    """Encrypt ``plaintext`` under a new data key of the agency; ``purpose`` names the object."""
    key_id, key = key_store().create(agency_id=agency_id)
    return Sealed(key_id=key_id, blob=_seal(key, sealed_aad(agency_id, key_id, purpose), plaintext))


def sealed_bytes_add(*, agency_id: str, purpose: str, key_id: uuid.UUID, plaintext: bytes) -> bytes:
    """Encrypt another part of an object under the object's existing key (a purpose of its own).

    The parts are erased together when the key is destroyed.
    """
    key = key_store().get(agency_id=agency_id, key_id=key_id)
    return _seal(key, sealed_aad(agency_id, key_id, purpose), plaintext)


def _seal(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return SEAL_MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def sealed_bytes_open(*, agency_id: str, purpose: str, key_id: uuid.UUID, blob: bytes) -> bytes:
    """Decrypt an object's bytes; :class:`DataKeyDestroyedError` once its key is destroyed."""
    key = key_store().get(agency_id=agency_id, key_id=key_id)
    raw = bytes(blob)
    if not raw.startswith(SEAL_MAGIC):
        raise SealedBytesError(f"not sealed bytes (key {key_id})")
    nonce = raw[len(SEAL_MAGIC) : len(SEAL_MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(
            nonce, raw[len(SEAL_MAGIC) + NONCE_BYTES :], sealed_aad(agency_id, key_id, purpose)
        )
    except InvalidTag:
        raise SealedBytesError(f"sealed bytes do not open under key {key_id}") from None


def datakey_destroy_on_commit(*, agency_id: str, key_id: uuid.UUID, using: str = "default") -> None:
    """Destroy the key once the transaction that drops its object commits.

    Destroying it earlier would lose the object if the transaction rolled back; a crash
    between the commit and the destruction leaves an unreferenced key that
    :func:`datakeys_sweep` removes.
    """
    store = key_store()
    transaction.on_commit(
        lambda: store.destroy(agency_id=agency_id, key_id=key_id), using=using, robust=True
    )


def datakeys_sweep(
    *, agency_id: str, referenced: Iterable[uuid.UUID], grace_seconds: float = 3600.0
) -> int:
    """Destroy the agency's keys that no row refers to, once older than ``grace_seconds``.

    The grace period covers transactions still in flight (a key is created before the row that
    refers to it commits); a key whose transaction rolled back, or whose object was deleted by
    a process that died before destroying it, goes at the next sweep.
    """
    store = key_store()
    keep = set(referenced)
    destroyed = 0
    for key_id in list(store.key_ids(agency_id=agency_id, older_than_seconds=grace_seconds)):
        if key_id not in keep and store.destroy(agency_id=agency_id, key_id=key_id):
            destroyed += 1
    return destroyed
