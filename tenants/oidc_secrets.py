"""Client secrets of agencies' identity providers, sealed before they reach the database.

AES-256-GCM under a key derived from the data-key KEK (which the database never sees), bound to
the agency: a sealed secret copied onto another agency's row does not open there.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from datakeys.services import kek_derived_key

PREFIX = "pos1:"
_PURPOSE = b"probity-oidc-client-secret-v1"
_NONCE_BYTES = 12


class OidcSecretError(ValueError):
    """A sealed client secret does not open under this deployment's key for this agency."""


def _aad(agency_id: str) -> bytes:
    return _PURPOSE + b":" + agency_id.encode()


def oidc_secret_seal(*, agency_id: str, secret: str) -> str:
    """Return ``secret`` sealed for ``agency_id``'s row."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(kek_derived_key(_PURPOSE)).encrypt(nonce, secret.encode(), _aad(agency_id))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def oidc_secret_open(*, agency_id: str, stored: str) -> str:
    """Return the client secret ``stored`` holds for ``agency_id``."""
    if not stored.startswith(PREFIX):
        raise OidcSecretError("the stored client secret is not sealed")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
        opened = AESGCM(kek_derived_key(_PURPOSE)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(agency_id)
        )
    except (InvalidTag, ValueError) as exc:
        raise OidcSecretError("the client secret does not open under this key") from exc
    return opened.decode()
