"""The data-key store: one file per key, outside PostgreSQL, removed for good on destruction.

A data key must not live in a database row: PostgreSQL keeps deleted rows in WAL, backups and
replicas, and the key-encryption key would unwrap them there. Each key is a file
``<store>/<agency>/<key id>.key`` holding the key wrapped with the key-encryption key
(AES-256-GCM, bound to the agency and the key id). Destroying a key overwrites and unlinks its
file and syncs the directory.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

WRAP_MAGIC = b"PDK1"
NONCE_BYTES = 12
KEY_BYTES = 32
_AGENCY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class DataKeyDestroyedError(LookupError):
    """The object's data key no longer exists: its bytes are unreadable everywhere."""


class DataKeyCorruptError(ValueError):
    """A key file does not unwrap under the configured key-encryption key."""


def _wrap_aad(agency_id: str, key_id: uuid.UUID) -> bytes:
    return f"probity-datakey-v1|{agency_id}|{key_id}".encode()


class KeyStore:
    """Data keys of every agency under one directory (mode 0700, files 0600)."""

    def __init__(self, root: Path, kek: bytes) -> None:
        if len(kek) != KEY_BYTES:
            raise ValueError("the key-encryption key must be 32 bytes")
        self.root = root
        self._kek = AESGCM(kek)

    def _path(self, agency_id: str, key_id: uuid.UUID) -> Path:
        if not _AGENCY.match(agency_id):
            raise ValueError(f"unusable agency id for the key store: {agency_id!r}")
        return self.root / agency_id / f"{key_id}.key"

    def create(self, *, agency_id: str) -> tuple[uuid.UUID, bytes]:
        """Create, persist (fsync) and return a new data key and its id."""
        key_id = uuid.uuid4()
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = WRAP_MAGIC + nonce + self._kek.encrypt(nonce, key, _wrap_aad(agency_id, key_id))
        path = self._path(agency_id, key_id)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(wrapped)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(path.parent)
        return key_id, key

    def get(self, *, agency_id: str, key_id: uuid.UUID) -> bytes:
        """Return the unwrapped data key, or raise :class:`DataKeyDestroyedError`."""
        try:
            wrapped = self._path(agency_id, key_id).read_bytes()
        except FileNotFoundError:
            raise DataKeyDestroyedError(str(key_id)) from None
        if not wrapped.startswith(WRAP_MAGIC):
            raise DataKeyCorruptError(str(key_id))
        nonce = wrapped[len(WRAP_MAGIC) : len(WRAP_MAGIC) + NONCE_BYTES]
        try:
            return self._kek.decrypt(
                nonce, wrapped[len(WRAP_MAGIC) + NONCE_BYTES :], _wrap_aad(agency_id, key_id)
            )
        except InvalidTag:
            raise DataKeyCorruptError(str(key_id)) from None

    def destroy(self, *, agency_id: str, key_id: uuid.UUID) -> bool:
        """Overwrite and remove the key's file; return whether it existed."""
        path = self._path(agency_id, key_id)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(os.fstat(handle.fileno()).st_size))
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
        _fsync_dir(path.parent)
        return True

    def key_ids(self, *, agency_id: str, older_than_seconds: float = 0.0) -> Iterator[uuid.UUID]:
        """Yield the ids of the agency's keys whose files are older than the given age."""
        directory = self._path(agency_id, uuid.UUID(int=0)).parent
        if not directory.is_dir():
            return
        cutoff = time.time() - older_than_seconds
        for path in directory.glob("*.key"):
            if path.stat().st_mtime <= cutoff:
                yield uuid.UUID(path.stem)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
