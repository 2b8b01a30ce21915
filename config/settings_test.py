"""Test settings: a separate database on the same server, a real broker, a test-only queue.

The broker is ``CELERY_BROKER_URL`` if set, else Redis on 127.0.0.1:6379 when it answers,
else kombu's filesystem transport (``PROBITY_TEST_BROKER=filesystem`` forces it); the worker
the tests start consumes a queue of its own.
"""

from __future__ import annotations

import os

from config.embedded import operator_owner_url_default
from config.redis_probe import redis_answers

# One database and one queue per test run, so concurrent runs cannot disturb each other.
TEST_RUN_ID = os.environ.setdefault("PROBITY_TEST_RUN", str(os.getpid()))
os.environ.setdefault("PROBITY_DB_NAME", f"probity_test_{TEST_RUN_ID}")
# The test session is an operator: it creates the database and agencies, so it also gets the
# owner's URL (the embedded superuser unless one is given). Code under test uses ``default``.
operator_owner_url_default()


_forced_filesystem = os.environ.get("PROBITY_TEST_BROKER") == "filesystem"
if _forced_filesystem:
    os.environ.pop("CELERY_BROKER_URL", None)
elif not os.environ.get("CELERY_BROKER_URL") and redis_answers():
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
if not os.environ.get("CELERY_BROKER_URL"):
    os.environ["PROBITY_TEST_FILESYSTEM_BROKER"] = "1"

from config.settings import *  # noqa: E402, F403
from config.settings import VAR_DIR  # noqa: E402

if os.environ.get("PROBITY_TEST_FILESYSTEM_BROKER"):
    _broker_dir = VAR_DIR / "test-broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }

AUDIT_CHECKPOINT_LOG = VAR_DIR / "test-audit" / f"checkpoints-{TEST_RUN_ID}.jsonl"
DATAKEY_STORE_DIR = VAR_DIR / "test-datakeys" / TEST_RUN_ID
AUDIT_EXPORT_DIR = VAR_DIR / "test-exports" / TEST_RUN_ID
CELERY_TASK_DEFAULT_QUEUE = f"probity-test-{TEST_RUN_ID}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# One process runs the tests: a local cache keeps one run's throttle counters from another's.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Webhook receivers in the tests listen on plain http on 127.0.0.1, and retry quickly.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_RETRY_BASE_SECONDS = 0.2
WEBHOOK_MAX_ATTEMPTS = 3
WEBHOOK_DISABLE_AFTER = 2
# The tests' OpenID Connect provider listens on plain http on 127.0.0.1.
OIDC_ALLOW_HTTP = True
