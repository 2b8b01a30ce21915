"""Read secrets from files, so containers can mount them instead of passing them as variables.

For each secret ``NAME`` in ``SECRET_NAMES`` the deployment may set ``NAME_FILE`` to a file
holding the value (Docker and Kubernetes secrets are mounted this way); the value then never
appears in the environment an orchestrator shows, only in a file readable by the service's user.
Only these names are read: other software's ``*_FILE`` variables mean something else.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

SUFFIX = "_FILE"
SECRET_NAMES = (
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "DATABASE_APP_PASSWORD",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "POLICY_BUNDLE_TOKEN",
    "OPA_TOKEN",
    "METRICS_TOKEN",
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
