"""Run the project's commands in a subprocess under the production settings the image uses."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_SETTINGS = "config.settings_production"


def production_env(tmp: Path, **overrides: str) -> dict[str, str]:
    """Return a production environment with every secret in a 0600 file, as the image gets it."""
    secret_file = tmp / "django_secret_key"
    secret_file.write_text(secrets.token_urlsafe(50) + "\n")
    secret_file.chmod(0o600)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "OPA_", "POLICY_", "PROBITY_")
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION_SETTINGS,
        DJANGO_SECRET_KEY_FILE=str(secret_file),
        DJANGO_ALLOWED_HOSTS="probity.test,localhost,127.0.0.1",
        DATABASE_URL="postgresql://probity_app:unused@db.invalid:5432/probity",
        CELERY_BROKER_URL="redis://:unused@redis.invalid:6379/0",
        CACHE_URL="redis://:unused@redis.invalid:6379/1",
        PROBITY_VAR_DIR=str(tmp / "var"),
        PYTHONWARNINGS="ignore",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def manage(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` with ``env`` and return what it printed."""
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
