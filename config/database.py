"""Turn one DATABASE_URL into the owner and the row-level-security-bound app connections.

The owner connection runs migrations and per-agency DDL. Every request and task uses the app
role, which owns nothing and has no BYPASSRLS, so PostgreSQL enforces tenant isolation even when
application code forgets a filter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

APP_ROLE = "probity_app"


def database_settings(
    url: str, *, name: str, app_user: str, app_password: str
) -> dict[str, dict[str, Any]]:
    """Build Django's DATABASES for the owner (``owner``) and the app role (``default``)."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    common: dict[str, Any] = {
        "ENGINE": "config.postgresql",
        "NAME": name,
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"application_name": "probity"},
        "TEST": {"NAME": name},
    }
    owner = {
        **common,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
    }
    app = {**common, "USER": app_user, "PASSWORD": app_password}
    return {"default": app, "owner": owner}
