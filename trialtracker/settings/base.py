"""Settings shared by every environment, read from the environment with django-environ.

``DATABASE_URL`` unset means the embedded default: a SQLite file under ``var/``. Set, it names
PostgreSQL (``postgres://user@host:5432/name``), used with connection health checks.
``REDIS_URL`` unset means Celery runs tasks in-process; set, it is the broker.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The embedded default's files: its SQLite database and its own secrets (made on first run).
VAR_DIR = Path(os.environ.get("TRIALTRACKER_VAR_DIR") or BASE_DIR / "var")

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# No default: the embedded default makes its own (settings/local.py), production requires one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "testserver"])

INSTALLED_APPS = [
    "core.apps.AdminConfig",  # Django's admin, on a site that asks for the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pgtrigger",
    "pghistory",
    "rules.apps.AutodiscoverRulesConfig",
    "core.apps.CoreConfig",
    "trials",
    "review",
    "participants",
    "outcomes",
    "reminders",
    "trialtracker.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.errors.RefuseNulCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.sessions.SessionLifetimeMiddleware",
    "core.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked account or address before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "trialtracker.urls"
# Forms render through core/templates/core/forms/: label, hint and error tied to their input.
FORM_RENDERER = "core.web.FormRenderer"
WSGI_APPLICATION = "trialtracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "trialtracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.audit_trail",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(VAR_DIR / "trialtracker.sqlite3")),
            # Writers wait for each other instead of failing with "database is locked"; WAL with
            # NORMAL sync keeps a local run from waiting on a disk flush after every transaction.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- the audit trail (django-pghistory) -----------------------------------------------------
# Every tracked model records insert, update and delete; event tables refuse UPDATE and DELETE.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- signing in (docs/operations.md#signing-in) ---------------------------------------------------
# How many reverse proxies in front of the application append to X-Forwarded-For. 0: the header is
# ignored and the client is the connection's address; 1: the last address the proxy appended; ...
# A client's own X-Forwarded-For is never believed beyond that count (core/network.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Lockout (django-axes): after this many failed sign-ins, of an account or from an address, both
# are refused, even with the right password, for the cool-off time or until an administrator unlocks.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
# Token requests per client address (DRF's throttle, kept in the shared cache).
LOGIN_THROTTLE_RATE = env("LOGIN_THROTTLE_RATE", default="20/min")
# A second factor (TOTP) for everyone, not only administrators and roles that see a factor.
SECOND_FACTOR_FOR_ALL = env.bool("SECOND_FACTOR_FOR_ALL", default=False)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Trial tracker")
# API tokens end this many hours after they were issued.
API_TOKEN_HOURS = env.int("API_TOKEN_HOURS", default=8)
# A web session ends after this long without a request, and this long after signing in whatever.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)

SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True  # each request moves the idle deadline on
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_CLIENT_IP_CALLABLE = "core.network.client_address"
AXES_LOCKOUT_CALLABLE = "core.login.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed sign-in kept, with its address
# Masked in what axes keeps of a failed request (the password always is).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "code", "csrfmiddlewaretoken"]
# Unlocking goes through an audited service (core.login.account_unlock), not axes' own admin.
AXES_ENABLE_ADMIN = False

# --- caches: DRF's throttles live here, shared by every process when Redis is there -------------
CACHE_URL = env("CACHE_URL", default=env("REDIS_URL", default=""))
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiTokenAuthentication",
        "core.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The client's address for DRF's throttles: the same count of trusted proxies as the lockout.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trial tracker API",
    "DESCRIPTION": (
        "Clinical trial protocol and outcome tracker. Every 4xx answer has one shape: "
        '`{"error": {"status", "code", "message", "fields"}}`.'
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # An id in a path is 1 to 18 digits (core.converters).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}},
    "ENUM_NAME_OVERRIDES": {
        "ReportRecipientEnum": ["sponsor", "regulator"],
        "NotificationKindEnum": "reminders.models.Kind",
        "DeviationKindEnum": "participants.models.DeviationKind",
        # what an event may say of its relatedness (read) and what an assessment may give (write)
        "CausalityEnum": "participants.models.Causality",
        "AssessedCausalityEnum": "participants.safety.services.ASSESSED",
        # why an item is empty: the same four reasons wherever they are given or shown
        "MissingCodeEnum": "core.missing.MissingCode",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.errors.add_error_responses",
    ],
}

# --- Celery ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection after every task unless this is set; with it
# the fix-up reopens only every this many tasks and CONN_MAX_AGE rules as for requests (trialtracker/celery.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=10_000)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
# Only one beat process may run (docs/operations.md). Due times live in the database, not here.
# The dispatcher claims due reminders this often: paced rows are due at their slots, so the cadence
# bounds how late a slot is taken (a claim with nothing due is one indexed query).
REMINDERS_DISPATCH_EVERY_SECONDS = env.float("REMINDERS_DISPATCH_EVERY_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE = {
    "reminders-dispatch": {
        "task": "reminders.tasks.dispatch_reminders",
        "schedule": REMINDERS_DISPATCH_EVERY_SECONDS,
        "options": {"expires": max(REMINDERS_DISPATCH_EVERY_SECONDS - 1, 1)},
    },
    "reminders-plan": {"task": "reminders.tasks.plan_reminders", "schedule": crontab(hour=1, minute=0)},
    "reminders-digest": {"task": "reminders.tasks.coordinator_digest", "schedule": crontab(hour=7, minute=0)},
    "edit-checks": {"task": "outcomes.tasks.run_edit_checks", "schedule": crontab(hour=2, minute=0)},
}

# --- email ------------------------------------------------------------------------------------
# EMAIL_URL like smtp+tls://user:password@smtp.example.org:587; the console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="trials@localhost")
# django-anymail for a real provider: REMINDERS_EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and
# ANYMAIL='{"POSTMARK_SERVER_TOKEN": "...", "WEBHOOK_SECRET": "user:password"}' (JSON).
ANYMAIL = env.json("ANYMAIL", default={})

# --- participant reminders (docs/reminders.md) ------------------------------------------------
# The reminders' sender: a neutral address ("appointments", never "trials"); each site's contact in
# the protocol gives the display name and the reply-to. Per site, the address (verified with the
# provider) and the SMS number: "exeter=appointments.exeter@example.org,london=...".
REMINDERS_FROM_EMAIL = env("REMINDERS_FROM_EMAIL", default="appointments@localhost")
REMINDERS_SITE_SENDERS = env.dict("REMINDERS_SITE_SENDERS", default={})
REMINDERS_SITE_SMS_SENDERS = env.dict("REMINDERS_SITE_SMS_SENDERS", default={})
# Pacing (reminders.pacing): a token bucket per channel and sender in Redis, shared by the workers.
# Messages per second and how many may go at once; a channel without a rate is not paced.
REMINDERS_PACING_URL = env("REMINDERS_PACING_URL", default=REDIS_URL)
# Written "sms=1,email=10": django-environ's typed dicts split on ";", so the pairs are read as
# strings (split on ",") and converted here.
REMINDERS_RATE_PER_SECOND = {
    k: float(v) for k, v in env.dict("REMINDERS_RATE_PER_SECOND", default={"sms": 1.0, "email": 10.0}).items()
}
REMINDERS_RATE_BURST = {k: int(v) for k, v in env.dict("REMINDERS_RATE_BURST", default={"sms": 5, "email": 50}).items()}
REMINDERS_PACE_SLEEP_SECONDS = env.float("REMINDERS_PACE_SLEEP_SECONDS", default=0.5)
# True: a send's commit does not wait for the disk (reminders.sending), faster, but a database crash
# can lose the last fraction of a second of outcomes and their audit, whose rows are then sent again
# with the same idempotency key. Off by default: an outcome committed is an outcome kept.
REMINDERS_SEND_ASYNC_COMMIT = env.bool("REMINDERS_SEND_ASYNC_COMMIT", default=False)
# A send's two reads are prepared once per database connection (PostgreSQL), not planned at every
# send. Turn off behind a pooler in transaction mode, which does not keep a session's statements.
REMINDERS_PREPARED_STATEMENTS = env.bool("REMINDERS_PREPARED_STATEMENTS", default=True)
REMINDERS_EMAIL_BACKEND = env("REMINDERS_EMAIL_BACKEND", default="")  # empty: EMAIL_BACKEND
# A worker's email connection idle longer than this is closed and a new one opened: mail servers drop idle ones.
REMINDERS_EMAIL_IDLE_SECONDS = env.int("REMINDERS_EMAIL_IDLE_SECONDS", default=30)
REMINDERS_EMAIL_MAX_PER_CONNECTION = env.int("REMINDERS_EMAIL_MAX_PER_CONNECTION", default=100)
REMINDERS_SMS_BACKEND = env("REMINDERS_SMS_BACKEND", default="reminders.sms.ConsoleSmsBackend")
REMINDERS_RECORDING_URL = env("REMINDERS_RECORDING_URL", default="")  # the recording backends' Redis
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=5)
REMINDERS_RETRY_BASE_SECONDS = env.int("REMINDERS_RETRY_BASE_SECONDS", default=60)
REMINDERS_RETRY_MAX_SECONDS = env.int("REMINDERS_RETRY_MAX_SECONDS", default=3600)
REMINDERS_CLAIM_TIMEOUT_SECONDS = env.int("REMINDERS_CLAIM_TIMEOUT_SECONDS", default=900)
REMINDERS_DISPATCH_BATCH = env.int("REMINDERS_DISPATCH_BATCH", default=500)
REMINDERS_DISPATCH_MAX_PER_RUN = env.int("REMINDERS_DISPATCH_MAX_PER_RUN", default=20000)
REMINDERS_DIARY_HORIZON_DAYS = env.int("REMINDERS_DIARY_HORIZON_DAYS", default=3)
REMINDERS_LINK_MAX_AGE_DAYS = env.int("REMINDERS_LINK_MAX_AGE_DAYS", default=14)
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env("TWILIO_FROM", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_URL = env("TWILIO_API_URL", default="https://api.twilio.com")  # or a regional edge

# --- logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every step of laying out a PDF at INFO
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# --- encryption at rest of identity and contact details (django-fernet-encrypted-fields) -----
# Keys derive from SECRET_KEY (and SECRET_KEY_FALLBACKS, for rotation) with these salts.
# No default: the embedded default makes its own (settings/local.py), production requires them.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=[])

# --- the tracker -----------------------------------------------------------------------------
PROTOCOLS_DIR = BASE_DIR / "protocols"
SITE_URL = env("SITE_URL", default="http://localhost:8000")
