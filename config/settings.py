"""Accord Monitor settings: one module, driven by environment variables.

Defaults give the embedded single-machine mode (SQLite, Celery tasks in-process).
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_database, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "simple_history",
    "accounts",
    "agreements",
    "reports",
    "monitor",
    "notify",
    "audit",
    "ops",
    "demo",
]

MIDDLEWARE = [
    # First: the request id covers every line the rest of the stack logs (core.logs).
    "core.request_id.RequestIdMiddleware",
    # Before SecurityMiddleware: an API call over plain HTTP gets an error, not a redirect.
    "core.security.ApiHttpsRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit trail records the request's user (DRF's token user too: docs/audit.md).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode serves the web process and in-process tasks from one file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed names (cached for ever); run collectstatic before starting.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

# --- HTTPS and security headers (production: DEBUG off) -----------------------------------
# Only behind a proxy that sets X-Forwarded-Proto/-For itself (and strips the client's):
# otherwise a client could claim HTTPS, or any IP address for the login throttling.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Pages redirect to HTTPS; API calls over HTTP get an error (core.security). Probes and
# the metrics scraper inside the network may speak plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and Prometheus probe over plain HTTP inside the network (ops.health).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a promise to browsers that is slow to take back: the operator opts in.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Set but empty (docker-compose.yml passes it through) means none.
CSRF_TRUSTED_ORIGINS = (
    env_list("CSRF_TRUSTED_ORIGINS", []) if env_str("CSRF_TRUSTED_ORIGINS") else []
)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The covering indexes (INCLUDE columns) are for PostgreSQL; SQLite builds them as plain
    # indexes on their key columns, which is all the embedded mode needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# Content security policy (django-csp 4): our own scripts only, nothing framed, no plugins.
# Inline style attributes stay allowed (the scorecards' SVG charts and the admin use them);
# the Swagger UI's setup script is served as a file (config.urls), so no inline script is needed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Login throttling (django-axes) -------------------------------------------------------
# Every login form (the admin's, which the scorecards also use) goes through authenticate();
# API tokens do not, so they are not throttled here (they have their own rate limit).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
# The client address: REMOTE_ADDR, or behind a proxy the X-Forwarded-For entry it added.
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"

# --- Celery -------------------------------------------------------------------------------
# Unset broker = embedded mode: tasks run in-process, eagerly, so one command gives a demo.
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
# (An in-memory transport with a host named, so kombu has nothing to warn about.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "memory://localhost//"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "ingest"

# --- Workers and Redis (issue 12) ---------------------------------------------------------
# Every Redis client has a bound (docs/operations.md, "Redis timeouts"): a Redis that stops
# answering costs a request REDIS_TIMEOUT seconds, then the web process leaves it alone for
# REDIS_RETRY_AFTER seconds (the throttle lets requests through, the sweep rings the doorbell).
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 2, minimum=1)  # seconds, per connect and per reply
REDIS_RETRY_AFTER = env_int("REDIS_RETRY_AFTER", 10, minimum=0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the task time limit, so a slow task is not redelivered while it still runs.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
    "max_retries": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
# An ack that fails while Redis hangs must not stall the worker for good (ops.broker).
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "ops.broker:Transport"
# No result backend is configured (results are ignored); should one be, it is bounded too.
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
# A claim on a payload is a lease the worker's heartbeat renews while the process holding it
# lives; a payload whose worker died is claimed again after at most the lease and a sweep.
INGEST_LEASE_SECONDS = env_int("INGEST_LEASE_SECONDS", 30, minimum=3)
INGEST_SWEEP_SECONDS = env_int("INGEST_SWEEP_SECONDS", 30, minimum=1)
# A payload whose claims ended this many times with the worker gone is quarantined at once.
INGEST_MAX_CRASHES = env_int("INGEST_MAX_CRASHES", 2, minimum=1)
# Address-space ceiling of each worker pool process (0: none): a payload that needs more
# fails itself with MemoryError instead of taking the machine down.
INGEST_WORKER_MEMORY_MB = env_int("INGEST_WORKER_MEMORY_MB", 2048, minimum=0)
# A pool process whose resident memory grew past half the ceiling is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = INGEST_WORKER_MEMORY_MB * 1024 // 2 or None  # KiB
# --- end of Workers and Redis (issue 12) ---------------------------------------------------

# --- Accord Monitor -----------------------------------------------------------------------
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", default=False)

# JSON lines for a log shipper in production; every line names its request or task (core.logs).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not one of: json, text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {
            "()": "core.logs.ContextFilter",
            "default": "-" if LOG_FORMAT == "text" else None,
        }
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(task_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # One line per task is noise in the embedded mode; workers log with -l INFO anyway.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "reports.ingest": {
            "level": env_str("INGEST_LOG_LEVEL", "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO")
        },
        # Its version banner at every start-up of every process; logins and lockouts (the
        # "axes.*" handlers' lines) stay at INFO: they are the record of who tried what.
        "axes.apps": {"level": "WARNING"},
    },
}

# Health and metrics (ops.health, ops.metrics; docs/operations.md). Seconds.
READY_WORKER_MAX_AGE = env_int("READY_WORKER_MAX_AGE", 60, minimum=1)
READY_BACKLOG_MAX_AGE = env_int("READY_BACKLOG_MAX_AGE", 600, minimum=1)
READY_EVALUATION_MAX_AGE = env_int("READY_EVALUATION_MAX_AGE", 600, minimum=1)  # beat: 300 s
# Failing checks that make /readyz answer 503; the others only warn.
READY_CRITICAL_CHECKS = env_list("READY_CRITICAL_CHECKS", ["database", "broker", "worker"])
METRICS_TOKEN = env_str("METRICS_TOKEN")  # scrapers send "Authorization: Bearer <token>"
# Addresses that may scrape /metrics without the token; "" for none.
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])

# Ingestion limits and timings (seconds).
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 150 * 1024 * 1024, minimum=1024)
INGEST_MAX_ATTEMPTS = env_int("INGEST_MAX_ATTEMPTS", 5, minimum=1)
INGEST_CLAIM_TIMEOUT = env_int("INGEST_CLAIM_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
INGEST_REQUEUE_AFTER = env_int("INGEST_REQUEUE_AFTER", 60, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Evidence files (reports.evidence): the type is read from the content, never the client.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 25 * 1024 * 1024, minimum=1)
EVIDENCE_ALLOWED_TYPES = env_list(
    "EVIDENCE_ALLOWED_TYPES",
    ["image/jpeg", "image/png", "application/pdf", "text/plain", "text/csv", "video/mp4"],
)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorById",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_RATE_LIMIT", "1200/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# The throttle counts live in the cache: Redis in production (shared by all web processes).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # Workers and Redis (issue 12): a Redis that hangs must not hang the request.
        "OPTIONS": {
            "socket_connect_timeout": REDIS_TIMEOUT,
            "socket_timeout": REDIS_TIMEOUT,
            "retry_on_timeout": False,
        },
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord Monitor API",
    "DESCRIPTION": "Agreements, observer reports, ingestion status and violation alerts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the docs page works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ObservationKindEnum": "reports.models.Observation.Kind",
        "AlertStateEnum": "monitor.models.Alert.State",
        "AgreementKindEnum": "agreements.models.Agreement.Kind",
        "MechanismKindEnum": "agreements.models.VerificationMechanism.Kind",
        "ReportStatusEnum": "reports.models.ReportStatus",
        "TransitionKindEnum": "monitor.models.AlertTransition.Kind",
        "PayloadStateEnum": "reports.models.InboundPayload.State",
    },
}

# --- Audit trail (docs/audit.md) ---------------------------------------------------------
# Read-only: no revert from the admin, and the history views need the historical model's
# view permission (administrators), not only the model's.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Webhooks -----------------------------------------------------------------------------
# Targets on private, loopback, link-local or reserved addresses are refused (SSRF) unless
# this allows them, e.g. for a receiver on the same machine.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5, minimum=1)  # seconds, per connect and read
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)  # per run (replays restart)
# The public address of this site, for the links in webhook bodies.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Input limits (issue 12) --------------------------------------------------------------
# Enforced while a payload is parsed, before its memory is spent; a breach rejects the payload
# with a message naming the setting (docs/operations.md, "Input limits").
INGEST_MAX_DEPTH = env_int("INGEST_MAX_DEPTH", 32, minimum=4)  # JSON nesting, report = 1
INGEST_MAX_KEYS = env_int("INGEST_MAX_KEYS", 1000, minimum=10)  # keys in one JSON object
INGEST_MAX_ITEMS = env_int("INGEST_MAX_ITEMS", 10_000, minimum=10)  # items in a JSON array
INGEST_MAX_ROWS = env_int("INGEST_MAX_ROWS", 1_000_000, minimum=1)  # observations or data rows
INGEST_MAX_COLUMNS = env_int("INGEST_MAX_COLUMNS", 1000, minimum=10)  # CSV and sheet columns
INGEST_MAX_STRING_CHARS = env_int("INGEST_MAX_STRING_CHARS", 100_000, minimum=1000)
INGEST_MAX_ROW_CHARS = env_int("INGEST_MAX_ROW_CHARS", 1_000_000, minimum=1000)
INGEST_MAX_XLSX_EXPANDED_BYTES = env_int(
    "INGEST_MAX_XLSX_EXPANDED_BYTES", 256 * 1024 * 1024, minimum=65536
)
INGEST_MAX_XLSX_MEMBERS = env_int("INGEST_MAX_XLSX_MEMBERS", 10_000, minimum=10)
INGEST_MAX_XLSX_SHARED_STRINGS = env_int("INGEST_MAX_XLSX_SHARED_STRINGS", 1_000_000, minimum=1)
INGEST_MAX_XLSX_SHARED_CHARS = env_int("INGEST_MAX_XLSX_SHARED_CHARS", 50_000_000, minimum=1000)
# An observation dated further ahead than this is a row error (clocks and zones differ a bit).
INGEST_FUTURE_TOLERANCE_HOURS = env_int("INGEST_FUTURE_TOLERANCE_HOURS", 48, minimum=0)
# A report whose period ended more than this many days before it was filed is archival: it
# counts for its own period, never as present-day monitoring (docs/time.md).
ARCHIVAL_MARGIN_DAYS = env_int("ARCHIVAL_MARGIN_DAYS", 7, minimum=0)
