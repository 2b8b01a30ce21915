"""Production settings: what the image runs (``DJANGO_SETTINGS_MODULE=config.settings_production``).

The single-machine defaults of ``config.settings`` (an embedded database and broker, a secret
key generated into ``var/``) are refused here: every external service and secret must be named,
so a misconfigured container stops at start instead of serving from a private, empty database.
Secrets may come from files (``NAME_FILE``, see ``config.secret_files``). TLS ends at the
reverse proxy, which sets ``X-Forwarded-Proto``; ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.secret_files import secrets_from_files

# CACHE_URL: sign-in rate limits and used one-time codes must be shared by every web process.
REQUIRED = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
)

secrets_from_files(os.environ)
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(f"production settings need {', '.join(_missing)}")
if os.environ["CELERY_BROKER_URL"].startswith("filesystem:"):
    raise ImproperlyConfigured("CELERY_BROKER_URL: the filesystem transport is for one machine")
if os.environ.get("DJANGO_DEBUG") == "1":
    raise ImproperlyConfigured("DJANGO_DEBUG=1 is refused in production")

from config.settings import *  # noqa: E402, F403
from config.settings import BASE_DIR  # noqa: E402

DEBUG = False

# The reverse proxy terminates TLS and says so; it must overwrite, never pass on, the header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# Callers inside the deployment speak plain HTTP to web:8000 on a private network: the health
# probes, and OPA fetching its bundle and returning decision logs (bearer-token protected).
SECURE_REDIRECT_EXEMPT = [
    r"^healthz$",
    r"^metrics$",
    r"^api/v1/policy/bundles/",
    r"^api/v1/policy/decision-logs$",
]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Collected into the image at build time (deploy/Dockerfile), read-only at run time.
STATIC_ROOT = Path(os.environ.get("PROBITY_STATIC_ROOT", str(BASE_DIR / "staticfiles")))

# One queue name per deployment, so the autoscaler and the operator know which list to watch.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "probity")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
