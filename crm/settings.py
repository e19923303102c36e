"""Settings for the partner CRM, driven by environment variables.

Local defaults are safe for a developer machine (SQLite in the repo root, DEBUG
on). With DEBUG off the project refuses to start without a real SECRET_KEY.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = envbool("DEBUG", "True")

_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = os.environ.get(
    "SECRET_KEY", _INSECURE_KEY_PREFIX + "local-development-only"
)
if not DEBUG and (
    SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)
    or len(set(SECRET_KEY)) < 5
    or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else ""
    ).split(",")
    if h.strip()
]
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    # First, so its admin/base_site.html (the "Two-factor login" link) wins.
    "accounts.apps.AccountsConfig",
    "crm.apps.CRMAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "django_filters",
    "crm.apps.CrmConfig",
    "partners.apps.PartnersConfig",
    "pledges.apps.PledgesConfig",
    "reports.apps.ReportsConfig",
    # Before drf_spectacular, whose docs page template it adjusts.
    "api.apps.ApiConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "outreach.apps.OutreachConfig",
    "documents.apps.DocumentsConfig",
    "demo.apps.DemoConfig",  # seed_demo, demo_user; never imported by the product
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts.apps.SignInRecordsConfig",  # django-axes
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Odd values in the address (NUL, numbers beyond any column): 400.
    "crm.middleware.QueryValuesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language the user chose in the top bar (else the browser's, above).
    "outreach.middleware.UserLanguageMiddleware",
    # request.user.is_verified(): signed in with a second factor this session.
    "django_otp.middleware.OTPMiddleware",
    # Sends a signed-in user who owes a second factor to the code page.
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records the signed-in user on each history row of a change made in a page.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out sign-in into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself (make serve); runserver
    # and the tests serve them from the apps' folders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "crm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Development on SQLite runs the web server and a task worker side by
    # side: the write-ahead log lets pages read while an import writes, and
    # writers wait for each other (up to 20 s) instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in. Axes counts failed sign-ins and refuses further attempts for a
# while once there are too many; it needs the request, so sign-in goes through
# the login page (tests use force_login, or pass request= to authenticate).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
)
# A username is locked from the address that failed, so one office behind a
# shared address is not locked out by one person's typos, and nobody can lock
# a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Behind a reverse proxy, the number of proxies in front of the application:
# the client's address is then read from X-Forwarded-For.
if os.environ.get("LOGIN_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = int(os.environ["LOGIN_PROXY_COUNT"])
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Two-factor sign-in (TOTP: an authenticator app's six-digit codes, plus
# single-use backup codes). Anyone may turn it on for their account; with
# OTP_REQUIRED_FOR_STAFF every staff user must set it up at their next
# sign-in before reaching the admin.
OTP_REQUIRED_FOR_STAFF = envbool("OTP_REQUIRED_FOR_STAFF")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Partner CRM")
# Device admin pages would show the secret keys: administrators reset a
# user's second factor from the user list instead.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Zurich")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Static files are served by WhiteNoise from STATIC_ROOT (collectstatic);
# uploads and generated files go through the default storage, local disk
# here, object storage in a multi-machine deployment (STORAGES below).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

LOGIN_URL = "admin:login"
# Where sign-in lands when the page asked for (``next``) is refused or missing.
LOGIN_REDIRECT_URL = "admin:index"

# Security. Everything the admin serves comes from this origin: no CDN, no
# remote fonts, no inline scripts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
# Cookies travel over HTTPS only in production; `make serve` on loopback
# without TLS turns this off explicitly (SECURE_COOKIES=False).
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", str(not DEBUG))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "False" if DEBUG else "True")
SECURE_HSTS_SECONDS = (
    0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if o.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Background work (large briefing packs, large imports): tasks are stored in
# the database and run by `manage.py db_worker` on any number of machines.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# E-mail (Django's MAILERS). DEBUG prints messages on the console; otherwise
# SMTP to the server in EMAIL_URL (smtp://user:password@host:587/?tls=1, or
# smtps:// for TLS from the start), or in EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL.
# EMAIL_BACKEND picks another backend (a dotted path).


def _smtp_options() -> dict:
    options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS"),
        "use_ssl": envbool("EMAIL_USE_SSL"),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
    }
    if os.environ.get("EMAIL_URL"):
        url = urlsplit(os.environ["EMAIL_URL"])
        if url.scheme not in {"smtp", "smtps"}:
            raise ImproperlyConfigured(
                f"EMAIL_URL must start with smtp:// or smtps://, not {url.scheme}://"
            )
        tls = parse_qs(url.query).get("tls", [""])[0].lower() in {"1", "true", "yes"}
        ssl = url.scheme == "smtps"
        options |= {
            "host": url.hostname or "localhost",
            "port": url.port or (465 if ssl else 587 if tls else 25),
            "username": unquote(url.username or ""),
            "password": unquote(url.password or ""),
            "use_tls": tls and not ssl,
            "use_ssl": ssl,
        }
    return options


_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": _smtp_options()
        if _EMAIL_BACKEND.endswith(".smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address users reach the CRM at, for links in e-mails and calendar feeds.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Digests (outreach/): planned from this hour (local time), each send tried
# up to DIGEST_MAX_ATTEMPTS times, waiting attempts x DIGEST_RETRY_MINUTES.
DIGEST_SEND_HOUR = int(os.environ.get("DIGEST_SEND_HOUR", "7"))
DIGEST_MAX_ATTEMPTS = int(os.environ.get("DIGEST_MAX_ATTEMPTS", "4"))
DIGEST_RETRY_MINUTES = int(os.environ.get("DIGEST_RETRY_MINUTES", "10"))

# Largest document (or e-mail file) kept on a record, in MB (documents/).
DOCUMENT_MAX_MB = int(os.environ.get("DOCUMENT_MAX_MB", "20"))

# Largest file the import page accepts, in MB.
IMPORT_MAX_UPLOAD_MB = int(os.environ.get("IMPORT_MAX_UPLOAD_MB", "200"))

# Limits on what an imported file may hold, checked before it is expanded
# (README "Hostile files"). A file over any of them is refused with a message
# naming the limit and the value found.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "250000"))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "256"))
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "5000000"))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "100000"))
IMPORT_MAX_UNCOMPRESSED_MB = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_MB", "300"))
IMPORT_MAX_COMPRESSION_RATIO = int(
    os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100")
)

# History pages show old versions; restoring one is not offered, so every
# change goes through the forms and services (crm/history.py).
SIMPLE_HISTORY_REVERT_DISABLED = True

# ITU reference figures used where the database holds no value for a year.
ITU_CONTRIBUTORY_UNIT_CHF = 318_000

# The REST API (api/): personal tokens or the admin session, the admin's model
# permissions, cursor pages, RFC 9457 problem details. See the README's "API".
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "api.permissions.TokenScope",
        "api.permissions.ModelPermissions",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": os.environ.get("API_TOKEN_RATE", "1200/minute"),
    },
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    # JSON only: the docs page is the browsable view. DRF's own HTML pages
    # would list every partner in their filter forms and need inline scripts.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner CRM API",
    "DESCRIPTION": (
        "Partners, contacts, engagements, pledges and payments of the partner "
        "CRM, with the admin's permissions and confidentiality."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs need a token or a signed-in admin session.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EngagementKind": "partners.models.Engagement.Kind",
        "EventKind": "partners.models.Event.Kind",
        "PledgeKind": "pledges.models.Pledge.Kind",
        "MembershipStatus": "partners.models.Membership.Status",
        "FollowUpStatus": "partners.models.FollowUp.Status",
    },
}
# Most records one bulk request may carry.
API_BULK_MAX = int(os.environ.get("API_BULK_MAX", "1000"))
# Longest life of a personal API token, in days.
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))
