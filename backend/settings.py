"""Parcelrun settings: one env-driven module.

With nothing set it runs on SQLite, an in-memory channel layer and eager Celery, so ``make run``
needs no servers. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` switches Channels and
Celery to Redis, ``PARCELRUN_PROFILE=production`` turns on the hardened profile that passes
``manage.py check --deploy``. Every value can come from ``NAME_FILE`` instead of ``NAME``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import django_stubs_ext

from backend.common.env import (
    EnvError,
    channel_prefix_from_url,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

# Lets the admin and forms write ModelAdmin[Model] / ModelForm[Model] (generic only in django-stubs).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

PROFILE = env_str("PARCELRUN_PROFILE", "dev")
if PROFILE not in ("dev", "production"):
    raise EnvError(f"PARCELRUN_PROFILE must be dev or production, got {PROFILE!r}")
PRODUCTION = PROFILE == "production"

# The development key is public (it is in this file): anyone could forge sessions and customer links
# signed with it. Only a laptop with DEBUG on may run with it; `check --deploy` flags it too.
DEV_SECRET_KEY = "dev-only-insecure-key-parcelrun-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise EnvError("SECRET_KEY (or SECRET_KEY_FILE) is required in the production profile")
    SECRET_KEY = DEV_SECRET_KEY

DEBUG = env_bool("DEBUG", not PRODUCTION)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise EnvError(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off: the development key is public"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
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
    "channels",
    "backend.common",
    "backend.accounts",
    "backend.couriers",
    "backend.shipments",
    "backend.dispatch",
    "backend.realtime",
    "backend.sync",
    "backend.locations",
    "backend.waybills",
    "backend.pickup",
    "backend.cod",
    "backend.stations",
    "backend.demo",
    "backend.negotiation",
    "backend.notify",
    "backend.calls",
    "backend.console",
    "backend.kpis",
    "backend.exceptions",
    "backend.incidents",
    "backend.forecast",
]

MIDDLEWARE = [
    # First, so the latency it records covers every other middleware (docs/operations.md, "Metrics").
    "backend.monitoring.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (vendored JavaScript, Swagger UI) from the app itself: stations run on closed networks.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The console's language: the user's choice (cookie), else the browser's, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A full database pool answers 503 with Retry-After, not 500 (backend/common/busy.py).
    "backend.common.busy.BusyMiddleware",
]

ROOT_URLCONF = "backend.urls"
# The supervisor console's login is the front door (backend/console/).
LOGIN_URL = "console:front-door"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
# Under ASGI every request runs in a fresh thread context, so Django's persistent connections do
# not survive between requests and each request would open a PostgreSQL connection (10–15 ms).
# A psycopg pool keeps them. On by default in production; tests leave it off.
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 10 if PRODUCTION else 0)
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    if DATABASE_POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": DATABASE_POOL_MAX, "timeout": 10}
        }
    # Statements prepared on the server: psycopg prepares a statement once a connection has run it
    # five times, and PostgreSQL plans it once instead of on every call (it needs server-side
    # binding). Measured on the realtime bench (2026-12-05, 90 s at 200 reassignments/s): the
    # committing processes' backends 0.35 → 0.22 of a core, PostgreSQL in all 0.46 → 0.30.
    # Django leaves them off for transaction-mode PgBouncer, which cannot keep a connection's
    # prepared statements; Parcelrun pools in process (psycopg's pool), so they are on. Behind
    # such a pooler set DATABASE_PREPARED_STATEMENTS=False.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        assert isinstance(options, dict)
        options.update(server_side_binding=True, prepare_threshold=5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "parcelrun.sqlite3")),
            # Writers wait for each other instead of failing at once with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Tests and the demo hash many passwords; production keeps Django's default hasher list.
if env_bool("FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves the apps' static folders directly, so `make run` and the tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
# Until `collectstatic` has filled STATIC_ROOT (production does), WhiteNoise would warn on every start.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["backend.accounts.authentication.DeviceTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "backend.common.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "backend.common.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["backend.common.parsers.JSONParser"],
    # Every anonymous request (login, public tracking) is rate-limited per address; logins also
    # have their own lockout rules (backend/accounts/lockout.py).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    # The client's address is the connection's (REMOTE_ADDR; behind the station's nginx, daphne's
    # --proxy-headers sets it): 0 tells DRF not to take X-Forwarded-For from the client, which
    # anyone could forge to escape every throttle.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("ANON_RATE", "300/min"),
        "track": env_str("TRACK_RATE", "30/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parcelrun API",
    "DESCRIPTION": "Courier field platform: intake, jobs, lifecycle actions, tracking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its Swagger UI: open on a development machine, staff only in production (a
    # map of every endpoint is no business of the internet; outside clients get docs/api.md).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"]
    if PRODUCTION
    else ["rest_framework.permissions.AllowAny"],
    # Swagger UI from the sidecar package's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-spectacular's own enum hook, then ours (backend/common/schema.py): inputs that refuse
    # unknown keys say additionalProperties: false.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.common.schema.close_objects",
    ],
    # Several serializers carry these choice sets under the same field names (status, kind).
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "backend.shipments.states.JobStatus",
        "ShipmentStatusEnum": "backend.shipments.states.ShipmentStatus",
        "JobKindEnum": "backend.shipments.states.JobKind",
        "EventKindEnum": "backend.shipments.states.EventKind",
        "ServiceLevelEnum": "backend.shipments.states.ServiceLevel",
        "DisruptionKindEnum": "backend.incidents.states.DisruptionKind",
        # How money was taken at the door (cod_method, a correction's method): one set, one name.
        "PaymentMethodEnum": "parcelkit.rules.cod.COLLECTION_METHOD_CHOICES",
    },
}

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "backend.broadcast.layers.PipelinedRedisPubSubChannelLayer",
            # Pub/sub channels ignore the database number; the prefix carries it (common/env.py).
            "CONFIG": {"hosts": [REDIS_URL], "prefix": channel_prefix_from_url(REDIS_URL)},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    if PRODUCTION:
        # Several server processes must share the anonymous rate limits' counters.
        CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: tasks run in-process when called, which is what a newcomer's laptop wants.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# No result backend: no caller reads a task's result (every task is fire-and-forget and commits its
# own effect). With one configured, each ``delay()`` built a Redis result client for its thread,
# and Django runs every request in a thread of its own: ~1 ms of CPU a task queued
# (importlib.metadata in redis-py's client setup), 7 % of a transition push's time in the sustained bench.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Late ack: a task whose worker dies (killed, out of memory, a deploy) is delivered again, so no
# task is lost half-way; every task is idempotent and commits its effect in one transaction, so
# the second run finishes what the first rolled back (tests/backend/test_celery_kill.py). A
# task running longer than the broker's visibility timeout would be delivered twice: the time
# limit (300 s) is below it (600 s).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Courier locations are kept for a bounded time; the purge deletes what is past it.
    "locations-purge": {"task": "locations.purge", "schedule": 3600.0},
    # Refresh ETAs and re-plan couriers who fell behind (docs/dispatch.md).
    "dispatch-watch-couriers": {"task": "dispatch.watch_couriers", "schedule": 300.0},
    # Apply the default of unanswered customer negotiations past their deadline (docs/negotiation.md).
    "negotiation-expire-due": {"task": "negotiation.expire_due", "schedule": 60.0},
    # Hourly; each station's closed days are rolled up in its own night (docs/kpis.md).
    "kpis-rollup-due": {"task": "kpis.rollup_due", "schedule": 3600.0},
    # Hourly; each station's forecast is made at 22:00 its local time (docs/forecast.md).
    "forecast-compute-due": {"task": "forecast.compute_due", "schedule": 3600.0},
    # Each station's morning prompt, once its local prompt time has passed (docs/negotiation.md).
    "negotiation-morning-prompts": {"task": "negotiation.morning_prompts", "schedule": 180.0},
    # Messages a lost task left queued, and retries past their back-off (docs/negotiation.md).
    "notify-send-due": {"task": "notify.send_due", "schedule": 60.0},
    # Uploads left unfinished past PARCELRUN_UPLOAD_ABANDON_HOURS (docs/sync-protocol.md).
    "sync-expire-uploads": {"task": "sync.expire_abandoned_uploads", "schedule": 3600.0},
    # Incidents: the playbooks' clocks, and the incidents nobody reported (docs/incidents.md).
    "incidents-timers": {"task": "incidents.timers", "schedule": 300.0},
    "incidents-detect-loss": {"task": "incidents.detect_loss", "schedule": 900.0},
    "incidents-detect-delays": {"task": "incidents.detect_delays", "schedule": 300.0},
}

# Domain knobs.
PARCELRUN_STATION_TZ_DEFAULT = "Asia/Shanghai"
PARCELRUN_TRACKING_LINK_MAX_AGE_S = env_int("TRACKING_LINK_MAX_AGE_S", 7 * 24 * 3600)
# Open sockets one device token may hold (backend/realtime/token_sockets.py); shared across server
# processes through the cache, which is Redis under the production profile.
PARCELRUN_WS_SOCKETS_PER_TOKEN = env_int("WS_SOCKETS_PER_TOKEN", 5)
# Each socket's place is a lease its heartbeat renews; 0 means three ping intervals.
PARCELRUN_WS_SOCKET_LEASE_S = env_int("WS_SOCKET_LEASE_S", 0)

# Messages to customers (docs/negotiation.md, "Prompts and the notification gateway").
# The origin customers' links start with (the site as the customer's phone reaches it).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFY_BACKEND = env_str("NOTIFY_BACKEND", "console")  # console | webhook | dotted.path.To.Class
NOTIFY_CHANNEL = env_str("NOTIFY_CHANNEL", "sms")
if NOTIFY_CHANNEL not in ("sms", "wechat"):
    raise EnvError(f"NOTIFY_CHANNEL must be sms or wechat, got {NOTIFY_CHANNEL!r}")
NOTIFY_LANGUAGE = env_str("NOTIFY_LANGUAGE", "zh")
if NOTIFY_LANGUAGE not in ("zh", "en"):
    raise EnvError(f"NOTIFY_LANGUAGE must be zh or en, got {NOTIFY_LANGUAGE!r}")
NOTIFY_FILE = env_str("NOTIFY_FILE", str(BASE_DIR / "var" / "notify" / "messages.jsonl"))
NOTIFY_WEBHOOK_URL = env_str("NOTIFY_WEBHOOK_URL", "")
NOTIFY_WEBHOOK_SECRET = env_str("NOTIFY_WEBHOOK_SECRET", "")
NOTIFY_WEBHOOK_TIMEOUT_S = env_int("NOTIFY_WEBHOOK_TIMEOUT_S", 10)
# The provider signs its delivery reports with this one (the webhook's secret unless set).
NOTIFY_CALLBACK_SECRET = env_str("NOTIFY_CALLBACK_SECRET", "") or NOTIFY_WEBHOOK_SECRET
if NOTIFY_BACKEND == "webhook" and not (NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET):
    raise EnvError("NOTIFY_BACKEND=webhook needs NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET")

# Calling the customer through a virtual number (隐私号), backend/calls/gateway.py and docs/operations.md.
CALLS_BACKEND = env_str("CALLS_BACKEND", "console")  # console | webhook | dotted.path.To.Class
CALLS_BINDING_MINUTES = env_int("CALLS_BINDING_MINUTES", 30)
if not 5 <= CALLS_BINDING_MINUTES <= 24 * 60:
    raise EnvError(f"CALLS_BINDING_MINUTES must be 5 to 1440, got {CALLS_BINDING_MINUTES}")
# The console backend's numbers (it adds a 4-digit extension per binding, as an AXN provider does).
CALLS_POOL = env_list("CALLS_POOL", ["17000000100", "17000000101", "17000000102"])
if any(not (n.isdigit() and len(n) == 11) for n in CALLS_POOL):
    raise EnvError("CALLS_POOL must list 11-digit numbers, comma-separated")
CALLS_FILE = env_str("CALLS_FILE", str(BASE_DIR / "var" / "calls" / "bindings.jsonl"))
CALLS_WEBHOOK_URL = env_str("CALLS_WEBHOOK_URL", "")
CALLS_WEBHOOK_SECRET = env_str("CALLS_WEBHOOK_SECRET", "")
CALLS_WEBHOOK_TIMEOUT_S = env_int("CALLS_WEBHOOK_TIMEOUT_S", 5)
if CALLS_BACKEND == "webhook" and not (CALLS_WEBHOOK_URL and CALLS_WEBHOOK_SECRET):
    raise EnvError("CALLS_BACKEND=webhook needs CALLS_WEBHOOK_URL and CALLS_WEBHOOK_SECRET")
# The console's exceptions queue (docs/console.md): a parcel in our hands with no scan for this
# long is stale; an on-duty courier silent this long is offline; closed facts shown this far back.
PARCELRUN_STALE_PARCEL_HOURS = env_int("STALE_PARCEL_HOURS", 24)
# GET /metrics (docs/operations.md): with a token, "Authorization: Bearer <token>"; without one,
# loopback clients outside production only.
PARCELRUN_METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Attachments (docs/sync-protocol.md): bytes a user may have announced and not finished, how long an
# idle upload is kept, and how long a proof may wait for its image before the supervisor is told.
PARCELRUN_UPLOAD_QUOTA_BYTES = env_int("UPLOAD_QUOTA_BYTES", 32 * 1024 * 1024)
PARCELRUN_UPLOAD_ABANDON_HOURS = env_int("UPLOAD_ABANDON_HOURS", 24)
PARCELRUN_PROOF_MEDIA_HOURS = env_int("PROOF_MEDIA_HOURS", 6)
PARCELRUN_COURIER_OFFLINE_MINUTES = env_int("COURIER_OFFLINE_MINUTES", 10)
PARCELRUN_EXCEPTION_LOOKBACK_HOURS = env_int("EXCEPTION_LOOKBACK_HOURS", 48)
# Incidents (docs/incidents.md): a parcel in our hands with no scan this long is a loss suspect; a
# delivery still open this long after its window ended is a delay.
PARCELRUN_LOSS_SUSPECT_HOURS = env_int("LOSS_SUSPECT_HOURS", 48)
PARCELRUN_DELAY_GRACE_MINUTES = env_int("DELAY_GRACE_MINUTES", 30)
# The working day a forecast staffs couriers for, in hours of stops (docs/forecast.md).
FORECAST_SHIFT_HOURS = env_int("FORECAST_SHIFT_HOURS", 8)
# The console's map draws the station's own data with no tile layer (a closed network has no tile
# CDN). A station with its own tile server names it here, e.g. http://tiles.lan/{z}/{x}/{y}.png.
CONSOLE_TILE_URL = env_str("CONSOLE_TILE_URL", "")
CONSOLE_TILE_ATTRIBUTION = env_str("CONSOLE_TILE_ATTRIBUTION", "")
if CONSOLE_TILE_URL and not all(part in CONSOLE_TILE_URL for part in ("{z}", "{x}", "{y}")):
    raise EnvError(f"CONSOLE_TILE_URL must contain {{z}}, {{x}} and {{y}}, got {CONSOLE_TILE_URL!r}")
# A customer can move a delivery until its courier is this many stops or minutes away (docs/negotiation.md).
PARCELRUN_NEGOTIATION_CUTOFF_STOPS = env_int("NEGOTIATION_CUTOFF_STOPS", 2)
PARCELRUN_NEGOTIATION_CUTOFF_MINUTES = env_int("NEGOTIATION_CUTOFF_MINUTES", 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes come from inside the host (plain HTTP, no proxy header): a redirect would fail them.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
