"""Django's DATABASES from two URLs: the app role's for serving, the owner's for DDL only.

``DATABASE_URL`` names the row-level-security-bound app role (no BYPASSRLS, owner of nothing):
it is all the web server, the workers and beat ever receive. ``DATABASE_OWNER_URL`` names the
role that owns the schema; only ``db_setup``, migrations and operator commands that need DDL
(creating an agency creates its vector partition) are started with it, and the ``owner`` alias
exists only then. Both are parsed by dj-database-url, so every query option (``sslmode``,
``sslrootcert``, ``host`` for a socket directory, …) reaches the driver unchanged.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dj_database_url

APP_ROLE = "probity_app"
OWNER_ALIAS = "owner"


def database_config(url: str, *, name: str | None = None) -> dict[str, Any]:
    """Return one Django database entry for ``url``, keeping every option it carries."""
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    # Django's PostgreSQL backend, counting what a request may have made durable (see
    # ``config.postgresql``), so a request that lost its connection is re-run only when safe.
    config["ENGINE"] = "config.postgresql"
    if name:
        config["NAME"] = name
    options = dict(config.get("OPTIONS") or {})
    options.setdefault("application_name", "probity")
    config["OPTIONS"] = options
    config["TEST"] = {"NAME": config["NAME"]}
    return config


def database_settings(
    *, app_url: str, owner_url: str | None = None, name: str | None = None
) -> dict[str, dict[str, Any]]:
    """Build DATABASES: ``default`` is the app role; ``owner`` only when its URL is given."""
    databases = {"default": database_config(app_url, name=name)}
    if owner_url:
        databases[OWNER_ALIAS] = database_config(owner_url, name=name)
    return databases


def embedded_app_url(superuser_url: str, *, password_file: Path) -> str:
    """Return the app role's URL on the embedded server, with its generated password.

    The password is created once and kept readable by its owner only (mode 0600).
    """
    if not password_file.exists():
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.touch(mode=0o600)
        password_file.write_text(secrets.token_urlsafe(32))
    password_file.chmod(0o600)
    password = password_file.read_text().strip()
    config = dj_database_url.parse(superuser_url)
    socket = config.get("OPTIONS", {}).get("host") or config["HOST"]
    return (
        f"postgresql://{APP_ROLE}:{quote(password, safe='')}@/{config['NAME']}"
        f"?host={quote(socket, safe='/')}"
    )
