"""Secrets kept in files of mode 0600, generated on first use on a single machine.

Deployments may also give any secret in ``SECRET_NAMES`` as ``NAME_FILE``, a file holding the
value (Docker and Kubernetes secrets are mounted this way): ``secrets_from_files`` reads them
into the environment before the production settings are built, so the value never appears in
the environment an orchestrator shows. Only these names are read: other software's ``*_FILE``
variables mean something else.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Callable, MutableMapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def secret_file_read(path: Path, *, generate: Callable[[], bytes], setting: str) -> bytes:
    """Return the bytes of the secret at ``path``, creating it when generation is allowed.

    Creation is atomic (a hard link that fails if the file exists), so processes starting at
    once agree on one secret. Outside embedded mode a missing secret is a configuration error:
    a production key is provisioned, never invented.
    """
    if not path.exists():
        if not settings.SECRETS_GENERATE:
            raise ImproperlyConfigured(f"{setting}: {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(generate())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(staging, path)
        finally:
            staging.unlink(missing_ok=True)
    return path.read_bytes()


def secret_key_bytes(value: str, *, path: Path, setting: str, length: int = 32) -> bytes:
    """Return a symmetric key: ``value`` (base64) if configured, else the key file's bytes."""
    if value:
        key = base64.b64decode(value, validate=True)
    else:
        key = secret_file_read(
            path, generate=lambda: base64.b64encode(secrets.token_bytes(length)), setting=setting
        )
        key = base64.b64decode(key.strip(), validate=True)
    if len(key) < length:
        raise ImproperlyConfigured(f"{setting}: the key must be at least {length} bytes")
    return key


SUFFIX = "_FILE"
SECRET_NAMES = (
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "POLICY_BUNDLE_TOKEN",
    "OPA_TOKEN",
    "METRICS_TOKEN",
    "OPA_DECISION_LOG_TOKENS",
    "AUDIT_MAC_KEY",
    "DATAKEY_KEK",
)


def secrets_from_files(
    environ: MutableMapping[str, str], *, names: tuple[str, ...] = SECRET_NAMES
) -> list[str]:
    """Set ``NAME`` from the file named by ``NAME_FILE``; return the names set this way.

    Setting both to different values is refused: which one wins would be a guess, and a stale
    value silently overriding a rotated secret is worse than not starting. Reading again (the
    settings module may be imported twice) finds the same value and is harmless.
    """
    loaded = []
    for name in names:
        key = name + SUFFIX
        if not environ.get(key):
            continue
        path = Path(environ[key])
        try:
            value = path.read_text().rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{key}: cannot read {path}: {exc.strerror}") from exc
        if not value:
            raise ImproperlyConfigured(f"{key}: {path} is empty")
        if environ.get(name, value) != value:
            raise ImproperlyConfigured(f"set {name} or {key}, not both")
        environ[name] = value
        loaded.append(name)
    return loaded
