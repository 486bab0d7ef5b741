"""
Arrears settings: the one settings module.

Every deployment knob is read from the environment (or a `.env` file beside
manage.py) through django-environ: https://django-environ.readthedocs.io/
docs/operations.md lists them all. The defaults suit the one-command demo:
SQLite and Celery's filesystem transport under `var/`, nothing else to install.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# Runtime state of a local install: the SQLite database, Celery's folders,
# uploaded and generated files. Never committed.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# The one-command demo (`make run` writes DEMO=true into .env): this machine's
# own install, served by runserver over plain http on 127.0.0.1, with invented
# borrowers and well-known staff passwords. It runs with DEBUG off, as a
# deployment does, so a user sees the app's own error pages in their language
# (never Django's debug pages listing every URL) and static files come from
# whitenoise after collectstatic; DEMO only gives the knobs below defaults
# that suit a local http server and lets the seed_demo commands run. Never set
# it on a real deployment.
DEMO = env.bool("DEMO", default=False)
LOCAL = DEBUG or DEMO

# No default outside DEBUG and the demo: a production deployment must bring its own key.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable (it has no default when DEBUG is off).")
    SECRET_KEY = "django-insecure-arrears-demo-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if LOCAL else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_config.ArrearsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    # Before accounts, whose admin re-registers axes' AccessAttempt with auditing.
    "axes",
    "documents",
    "accounts",
    "lending",
    "collection",
    "legal",
    "portfolio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lending.intake.middleware.api_json_errors",  # the intake API answers JSON only (docs/intake.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# PostgreSQL in production (postgres://user:pass@host:5432/name, psycopg 3);
# SQLite under var/ for the demo.

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'arrears.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web server and Celery worker write at the same time: WAL lets
    # readers go on during a write, IMMEDIATE takes the write lock up front so a
    # transaction never fails half-way on "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
# Use Redis when more than one web process runs (CACHE_URL=redis://127.0.0.1:6379/1).

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://arrears")}

# --- Authentication and sessions --------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A working day, not a month: a session ends after 10 idle hours.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=10 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = False

# --- Login throttling (django-axes: https://django-axes.readthedocs.io/en/latest/4_configuration.html)
# Failures are counted in the database (AccessAttempt rows, which an
# administrator deletes in the admin to unlock) per user name *and* client
# address: LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
# address lock that name out from that address only, so nobody can lock a
# collector out of their own desk from elsewhere; LOGIN_ADDRESS_FAILURE_LIMIT
# failures from one address across every user name lock that address out
# (higher, because a call centre's staff share one address). A lock lasts
# LOGIN_LOCKOUT_MINUTES after the last counted failure; attempts refused
# during it are not counted, so it ends when the page says it does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client address as the audit trail records it: REMOTE_ADDR, or the
# X-Forwarded-For entry of our own TRUSTED_PROXY_COUNT proxies.
AXES_CLIENT_IP_CALLABLE = "accounts.audit_context.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
# Logins and logouts are already in the audit trail; axes keeps only failures.
AXES_DISABLE_ACCESS_LOG = True
# Failures and lockouts are in the audit trail; axes' own INFO lines would only repeat them.
AXES_VERBOSE = False

# --- Security (https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/)
# Secure by default outside DEBUG and the demo (which is plain http on
# 127.0.0.1); behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_ENABLED=true.

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOCAL)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not LOCAL)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not LOCAL)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOCAL else 60 * 60 * 24 * 365)
# These two affect every sub-domain of the lender's domain, so they are opt-in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append to X-Forwarded-For; 0 trusts
# none of it and records REMOTE_ADDR in the audit trail.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation ---------------------------------------------------
# The UI speaks English and Simplified Chinese; each user's choice is stored
# on the user and activated on every request (accounts.middleware).

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Amounts are grouped by thousands in both languages (config/formats/zh_Hans);
# the money filter asks for grouping, so USE_THOUSAND_SEPARATOR stays off and
# ids and counts printed in templates and URLs are never grouped.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
# The lender's time zone: due dates are dates in this zone.
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")

# --- Static and media files -------------------------------------------------
# whitenoise serves static files from the app server; nothing comes from a CDN.

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Letters and bundles go through "default", litigation evidence through "evidence": on
# object storage in production (docs/operations.md), never served by the web server —
# only through views that check the user may see the case.
EVIDENCE_ROOT = Path(env.str("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence")))
# The largest exhibit a legal officer may upload (legal/litigation/evidence.py), in bytes.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(EVIDENCE_ROOT)}},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail -----------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="arrears@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Messages to borrowers (docs/messages.md) ---------------------------------
# Which backend sends each channel; the demo writes files under var/messages/.
# Production: MESSAGES_SMS_BACKEND=collection.messaging.backends.http.HttpSmsBackend
# with SMS_HTTP_URL and its credentials, and e-mail through EMAIL_URL (SMTP).
ARREARS_MESSAGE_BACKENDS = {
    "sms": env.str("MESSAGES_SMS_BACKEND", default="collection.messaging.backends.files.SmsFileBackend"),
    "email": env.str("MESSAGES_EMAIL_BACKEND", default="collection.messaging.backends.email.EmailBackend"),
    "in_app": env.str("MESSAGES_IN_APP_BACKEND", default="collection.messaging.backends.files.InAppFileBackend"),
}
MESSAGES_DIR = Path(env.str("MESSAGES_DIR", default=str(VAR_DIR / "messages")))
ARREARS_MESSAGE_BACKEND_OPTIONS = {
    "sms_files": {"folder": str(MESSAGES_DIR)},
    "in_app_files": {"folder": str(MESSAGES_DIR)},
    "files": {"folder": str(MESSAGES_DIR)},
    "email": {
        # Blank: EMAIL_BACKEND above (SMTP in production). The demo's e-mails go to files beside the SMS.
        "django_backend": env.str(
            "MESSAGES_EMAIL_DJANGO_BACKEND", default="django.core.mail.backends.filebased.EmailBackend" if DEMO else ""
        ),
        "django_backend_options": {"file_path": str(MESSAGES_DIR / "email")} if DEMO else {},
        "from_email": env.str("MESSAGES_FROM_EMAIL", default=DEFAULT_FROM_EMAIL),
        "message_id_domain": env.str("MESSAGES_MESSAGE_ID_DOMAIN", default="arrears.invalid"),
    },
    "sms_http": {
        "url": env.str("SMS_HTTP_URL", default=""),
        "username": env.str("SMS_HTTP_USERNAME", default=""),
        "password": env.str("SMS_HTTP_PASSWORD", default=""),
        "token": env.str("SMS_HTTP_TOKEN", default=""),
        "sender": env.str("SMS_HTTP_SENDER", default=""),
        "timeout": env.float("SMS_HTTP_TIMEOUT", default=10.0),
        "payload": env.json(
            "SMS_HTTP_PAYLOAD", default={"to": "recipient", "text": "body", "reference": "idempotency_key"}
        ),
        "extra": env.json("SMS_HTTP_EXTRA", default={}),
        "id_field": env.str("SMS_HTTP_ID_FIELD", default="id"),
        "idempotency_header": env.str("SMS_HTTP_IDEMPOTENCY_HEADER", default="Idempotency-Key"),
        "callback_url": env.str("SMS_HTTP_CALLBACK_URL", default=""),
    },
    # In-app messages to the lender's app (MESSAGES_IN_APP_BACKEND=collection.messaging.backends.http.HttpInAppBackend).
    "in_app_http": {
        "url": env.str("IN_APP_HTTP_URL", default=""),
        "token": env.str("IN_APP_HTTP_TOKEN", default=""),
        "timeout": env.float("IN_APP_HTTP_TIMEOUT", default=10.0),
        "payload": env.json(
            "IN_APP_HTTP_PAYLOAD", default={"customer": "recipient", "text": "body", "reference": "idempotency_key"}
        ),
        "id_field": env.str("IN_APP_HTTP_ID_FIELD", default="id"),
        "idempotency_header": "Idempotency-Key",
    },
}
# A transient failure (timeout, 5xx) is tried again after 30 s, 60 s, 120 s...
# up to MESSAGES_MAX_ATTEMPTS tries in all, then the message is failed.
MESSAGES_MAX_ATTEMPTS = env.int("MESSAGES_MAX_ATTEMPTS", default=5)
MESSAGES_RETRY_BASE_SECONDS = env.int("MESSAGES_RETRY_BASE_SECONDS", default=30)
MESSAGES_RETRY_MAX_SECONDS = env.int("MESSAGES_RETRY_MAX_SECONDS", default=60 * 60)
# How long a sender holds a claimed message before another may take it (a worker killed mid-send).
MESSAGES_CLAIM_SECONDS = env.int("MESSAGES_CLAIM_SECONDS", default=5 * 60)
# The providers' delivery reports: HMAC-SHA256 over "<timestamp>.<body>" with this secret.
MESSAGES_CALLBACK_SECRET = env.str("MESSAGES_CALLBACK_SECRET", default="")
MESSAGES_CALLBACK_MAX_AGE_SECONDS = env.int("MESSAGES_CALLBACK_MAX_AGE_SECONDS", default=5 * 60)

# --- Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html)
# Redis in production (CELERY_BROKER_URL=redis://127.0.0.1:6379/0). With no
# broker configured, Kombu's filesystem transport under var/ lets the demo run
# a worker with beat and nothing else installed.

CELERY_DATA_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("queue", "processed", "results"):
        (CELERY_DATA_DIR / folder).mkdir(parents=True, exist_ok=True)
    # The transport needs the in and out folders to be the same one.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
    }
    _default_result_backend = f"file://{CELERY_DATA_DIR / 'results'}"
else:
    _default_result_backend = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "cache+memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_result_backend)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work (docs/operations.md, "Workers and queues"): a long
# letter batch or the nightly chain never holds up a reminder. Every task is
# routed by name; a task not named here goes to "default".
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each queue its own direct exchange and routing key (a bare Queue(name) would bind all four to the
# default key, and a task sent to one would be copied into every one).
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("messages", "documents", "nightly", "default")
]
CELERY_TASK_ROUTES = {
    # Sending one message, and the dispatcher that sends the queued ones that are due.
    "collection.messaging.tasks.*": {"queue": "messages"},
    "collection.reminders.tasks.*": {"queue": "messages"},
    # Letters and court bundles: WeasyPrint, minutes for a large batch.
    "legal.letters.tasks.*": {"queue": "documents"},
    "legal.bundles.tasks.*": {"queue": "documents"},
    # The nightly chain, and the parts of it that can still be run alone.
    "collection.nightly.tasks.*": {"queue": "nightly"},
    "collection.tasks.collection_nightly_task": {"queue": "nightly"},
    "lending.tasks.nightly_run_task": {"queue": "nightly"},
    "legal.limitation.tasks.limitation_refresh_all_task": {"queue": "nightly"},
    # Imports, strategies run by hand, credit-line deliveries, session clean-up: "default".
}
# Soft and hard time limits per queue, in seconds: config/celery.py gives each
# task its queue's (CELERY_TASK_TIME_LIMIT, the fallback, is the default
# queue's). The soft limit raises SoftTimeLimitExceeded in the task, which a
# service turns into its own "failed" state; the hard one kills the worker
# process (prefork pool only: the demo's solo pool cannot enforce limits).
ARREARS_QUEUE_TIME_LIMITS = {
    "messages": (
        env.int("CELERY_MESSAGES_SOFT_TIME_LIMIT", default=60),
        env.int("CELERY_MESSAGES_TIME_LIMIT", default=90),
    ),
    "documents": (
        env.int("CELERY_DOCUMENTS_SOFT_TIME_LIMIT", default=30 * 60),
        env.int("CELERY_DOCUMENTS_TIME_LIMIT", default=35 * 60),
    ),
    "nightly": (
        env.int("CELERY_NIGHTLY_SOFT_TIME_LIMIT", default=3 * 60 * 60),
        env.int("CELERY_NIGHTLY_TIME_LIMIT", default=3 * 60 * 60 + 10 * 60),
    ),
    "default": (
        env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60),
        env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60),
    ),
}
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = ARREARS_QUEUE_TIME_LIMITS["default"]
CELERY_TASK_ANNOTATIONS = ["config.celery.QueueTimeLimits"]
# A task is acknowledged when it has finished, not when it is received: a worker that dies mid-task
# leaves it on the broker for another. Every task is therefore safe to run twice (it takes ids and
# claims its rows). Retries are for transient errors only (a timeout, a 5xx, a lost connection), with
# exponential backoff, and each task names them (autoretry_for=...); a permanent error (a 4xx, a bad
# template, a refused contact) marks the row failed at once and is never retried.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis hands an unacknowledged task to another worker after the visibility timeout: it must
    # outlast the longest task (the nightly chain's hard limit) or a long night would run twice, and
    # the longest countdown a retry waits.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=ARREARS_QUEUE_TIME_LIMITS["nightly"][1] + 30 * 60
        ),
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The schedule lives here, in the lender's time zone (CELERY_TIMEZONE = TIME_ZONE); other parts add
# their entries. Beat must run exactly once in a deployment (docs/operations.md).
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.sessions_clear_expired_task",
        "schedule": 60 * 60,
    },
    # The nightly chain (docs/nightly-run.md): lending's run, the collection lifecycle, segments and
    # strategies, reminders, credit lines, limitation periods, each after the one before succeeded.
    # Each night is recorded (NightlyRun) and shown on automation/nightly/.
    "nightly-run": {
        "task": "collection.nightly.tasks.nightly_chain_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # Every minute: the queued messages whose moment has come (reminders, strategy steps,
    # bulk messages) go out through the dispatcher (collection/reminders/dispatch.py).
    "messages-dispatch": {
        "task": "collection.reminders.tasks.messages_dispatch_fanout_task",
        "schedule": 60,
    },
}

# --- Intake from the core system (docs/intake.md) ------------------------------

INTAKE_MAX_FILE_BYTES = env.int("INTAKE_MAX_FILE_BYTES", default=200 * 1024 * 1024)

# --- Credit-line actions to the core system (docs/operations.md, "Core-system outbox")
# Each freeze, cut and restore is an outbox row POSTed as JSON to CORE_SYSTEM_URL,
# signed with CORE_SYSTEM_SECRET (accounts/signing.py), until a 2xx answers.
# Unset, the rows wait as pending and the deliveries page says why; a file://
# folder (the demo's default) receives each change as a JSON file instead.
CORE_SYSTEM_URL = env.str("CORE_SYSTEM_URL", default=f"file://{VAR_DIR / 'core-system'}" if DEMO else "")
CORE_SYSTEM_SECRET = env.str("CORE_SYSTEM_SECRET", default="")
CORE_SYSTEM_CONNECT_TIMEOUT = env.float("CORE_SYSTEM_CONNECT_TIMEOUT", default=5.0)
CORE_SYSTEM_TIMEOUT = env.float("CORE_SYSTEM_TIMEOUT", default=15.0)
# Retries with exponential backoff (base * 2^(attempt-1), capped); after the
# last attempt a row is "failed" and waits for a manual retry.
CORE_SYSTEM_MAX_ATTEMPTS = env.int("CORE_SYSTEM_MAX_ATTEMPTS", default=10)
CORE_SYSTEM_RETRY_BASE_SECONDS = env.int("CORE_SYSTEM_RETRY_BASE_SECONDS", default=30)
CORE_SYSTEM_RETRY_MAX_SECONDS = env.int("CORE_SYSTEM_RETRY_MAX_SECONDS", default=60 * 60)
CORE_SYSTEM_BATCH_SIZE = env.int("CORE_SYSTEM_BATCH_SIZE", default=200)
# A line frozen or cut for delinquency is restored after this many months current.
CREDIT_LINE_RESTORE_AFTER_MONTHS = env.int("CREDIT_LINE_RESTORE_AFTER_MONTHS", default=3)
CELERY_BEAT_SCHEDULE["core-system-outbox"] = {
    "task": "lending.credit_lines.tasks.core_system_deliver_task",
    "schedule": 60,
    "options": {"queue": "default"},
}
# Every 5 minutes: payments received on cases placed with an agency get their commission
# lines, reversed ones their clawbacks (docs/agencies.md, "Commission and statements").
CELERY_BEAT_SCHEDULE["commission-attribute"] = {
    "task": "collection.tasks.commission_attribute_task",
    "schedule": 5 * 60,
    "options": {"queue": "default"},
}

# --- The lender on its letters (docs/letters.md) ------------------------------
# Who the letters come from and where borrowers may pay: the designated payment
# channels only (a letter never names another account). A text that differs by
# language is a dict keyed by language code; "{reference}" in an instruction
# becomes the case number, which the borrower quotes with the payment. The
# defaults are the demo's invented lender; a deployment sets its own here.
ARREARS_LENDER = {
    "name": {"en": "Arrears Demo Consumer Finance Co., Ltd.", "zh-hans": "示范消费金融有限公司"},
    "address_lines": {
        "en": ["18F, 100 Century Avenue", "Pudong New Area, Shanghai 200120", "China"],
        "zh-hans": ["上海市浦东新区世纪大道100号18楼", "邮编：200120"],
    },
    "phone": "400-800-1234",
    "email": "collections@lender.example",
    "licence": {
        "en": "Consumer finance licence No. DEMO-0001 (for demonstration only)",
        "zh-hans": "消费金融业务许可证编号：DEMO-0001（仅供演示）",
    },
    "signatory_name": {"en": "Li Ming", "zh-hans": "李明"},
    "signatory_title": {"en": "Head of Collections", "zh-hans": "催收管理部负责人"},
    # The outside law firm that signs lawyer's letters on the lender's behalf.
    "law_firm": {"en": "Demo & Partners Law Firm", "zh-hans": "示范律师事务所"},
    "payment_channels": [
        {
            "name": {"en": "Bank transfer", "zh-hans": "银行转账"},
            "instructions": {
                "en": "Industrial Bank Shanghai Branch, account 2160 1010 0100 8888 6, "
                "account name Arrears Demo Consumer Finance Co., Ltd.; quote {reference}",
                "zh-hans": "户名：示范消费金融有限公司；开户行：兴业银行上海分行；"
                "账号：2160 1010 0100 8888 6；附言请注明 {reference}",
            },
        },
        {
            "name": {"en": "In the lender's app", "zh-hans": "官方App还款"},
            "instructions": {
                "en": "My account → Repay → Overdue; the case {reference} is shown there",
                "zh-hans": "“我的”→“还款”→“逾期账单”，案件编号 {reference}",
            },
        },
    ],
    # The buyer named in a notice of assignment until the debt sale (a later issue) passes its own.
    "assignee_name": {"en": "Demo Asset Management Co., Ltd.", "zh-hans": "示范资产管理有限公司"},
}

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every layout step at INFO, fontTools and pikepdf their internals: only their warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

# --- Third-party apps -------------------------------------------------------

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
