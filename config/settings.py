"""Settings for the incident-review tracker: one file, read from the environment.

DATABASE_URL   sqlite:///... (default: db.sqlite3 beside manage.py) or postgres://user@host:port/db
SECRET_KEY     required when DEBUG is off; a development default is used only while DEBUG is on
DEBUG          1/0, true/false (default: on, for the two-command quick start)
ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1 and testserver)

Running in production (HTTPS, cache, e-mail, logs, static files) reads more variables: see the
"Deployment" block below and the README's configuration table.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from whitenoise.compress import Compressor

from config.env import (
    env_bool,
    env_cache,
    env_database,
    env_email,
    env_int,
    env_list,
    env_logging,
    env_mapping,
    env_origins,
    env_proxy_ssl_header,
    env_rate,
    env_secret_key,
    env_site_url,
)
from config.sso.conf import env_local_login, env_sso

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_secret_key(
    "SECRET_KEY", debug=DEBUG, development_default="dev-only-insecure-key-do-not-deploy"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # django.contrib.admin, on a site that keeps private incidents out of its site-wide pages.
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "csp",
    "incidents",
    "reviews",
    "dashboards",
    "integrations",
    "api",
]

MIDDLEWARE = [
    # Outermost, so it times the whole stack and every line logged in a request has its id.
    "config.request_log.RequestLogMiddleware",
    # /healthz and /readyz, answered before the host check, the HTTPS redirect and the login.
    "config.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight after the security headers, before sessions and the CSP.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a NUL in the path, query or cookies is a 404/400.
    "config.middleware.RefuseNulCharactersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless a view is marked public with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Recomputes the monthly rollups a write marked, after its response is sent.
    "dashboards.rollups.middleware.RefreshRollupsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Deployment: static files, HTTPS behind a proxy, cache, e-mail, logs -------------------
# Every value comes from the environment (README, "Run it in production"); the defaults are
# safe for production and relaxed only while DEBUG is on.

# Static files: `collectstatic` writes them to STATIC_ROOT at deploy time, with hashed names
# and compressed copies; whitenoise serves them with far-future caching. While DEBUG is on
# they are served straight from the app folders, so development needs no collectstatic.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# From the environment's DEBUG, not Django's: the test runner turns DEBUG off but keeps the
# development storage above, so whitenoise must keep looking in the app folders too.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Pages only ever ask for the hashed names; and source maps (megabytes, for the API docs'
# bundles) are fetched by developer tools alone: compressing them took most of collectstatic.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# HTTPS. Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER (opt-in, e.g.
# X-Forwarded-Proto=https) tells Django which requests came in over HTTPS.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# HSTS for subdomains, and the browsers' preload list, commit the whole domain, beyond this
# app: the operator opts in with the two variables above, so the deploy check's reminders
# that they are off are silenced rather than turned on for everyone.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Sessions live in the database (Django's default), so any replica serves any user. The cache
# is shared through Redis when REDIS_URL is set; without it each process has its own.
CACHES = {"default": env_cache("REDIS_URL")}

# E-mail (password resets): EMAIL_URL, or EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/...
_email = env_email(debug=DEBUG)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "webmaster@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The absolute address links in reminders point to (`manage.py send_reminders`); no request
# tells a scheduled command which host the app answers on.
SITE_URL = env_site_url("SITE_URL")

# Logs: one JSON object a line in production, readable text in development.
# LOG_FORMAT (json|text) and LOG_LEVEL; gunicorn's own lines use the same (config/gunicorn.conf.py).
LOGGING = env_logging(debug=DEBUG)
# --- end of deployment ----------------------------------------------------------------------

# A strict Content-Security-Policy: no inline scripts, styles or event handlers in our pages.
# The Django admin ships inline bits of its own, so it is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# History is for reading who changed what; reverting from it would bypass the publish freeze.
SIMPLE_HISTORY_REVERT_DISABLED = True

REST_FRAMEWORK = {
    # Knox first: an unauthenticated API call then gets 401 with `WWW-Authenticate: Token`
    # (DRF answers 403 when the first class has no authenticate header, as sessions do not).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TrackedTokenAuthentication",  # knox's, noting each token's last use
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.pagination.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # No browsable API: its pages use inline scripts the CSP forbids; /api/docs/ replaces it.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (a form body is a 415: form fields cannot carry nested lists, which were
    # dropped without a word); the import takes a CSV file as multipart too. The JSON parser
    # refuses deep nesting (a RecursionError otherwise).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# API tokens are stored hashed; they expire after TOKEN_TTL and can be revoked (admin, logout).
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": False,
}
# Named (knox's default), so a migration that refers to the token model (api.TokenLabel) can.
KNOX_TOKEN_MODEL = "knox.AuthToken"

SPECTACULAR_SETTINGS = {
    "TITLE": "Incident-review tracker API",
    "DESCRIPTION": "Incidents, the five learning signals, reviews, follow-ups and dashboard reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public: they describe the API, not its data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Group operations by resource (incidents, reports, ...) rather than all under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a `status`, `kind` or `source`: name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "incidents.models.Severity",
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "IncidentSourceEnum": "incidents.models.Incident.Source",
        "DeploymentSourceEnum": "incidents.models.Deployment.Source",
        "DifficultySourceEnum": "incidents.models.Difficulty.Source",
        "OwnershipGapKindEnum": "incidents.models.OwnershipGap.Kind",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "ReviewWritableStatusEnum": ["not_started", "scheduled", "in_progress"],
        "TimelineEntryKindEnum": "incidents.models.TimelineEntry.Kind",
        "ActionItemStatusEnum": "reviews.models.ActionItem.Status",
        "ActionItemKindEnum": "reviews.models.ActionItem.Kind",
        "IncidentSystemRoleEnum": "incidents.models.IncidentSystem.Role",
        "ParticipantRoleEnum": "reviews.models.Participant.Role",
        "AlertStatusEnum": ["firing", "resolved"],
        "DeploymentOutcomeEnum": "incidents.models.Deployment.Outcome",
        "DeliveryOutcomeEnum": "integrations.models.Delivery.Outcome",
    },
}

# --- Abuse: login lockout (django-axes) and API throttling (DRF) ------------------------------
# Every deployment-tunable value here comes from the environment (README, "Configuration").
#
# Lockout: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is refused for LOGIN_COOLOFF_MINUTES on the web login, the admin login and the API login
# alike (a 429 saying so), whatever the password, and for usernames that do not exist too, so
# the answer tells neither. A failure during the lock restarts the cool-off; a successful login
# resets the count. Failures are database rows (axes' AccessAttempt), so every replica sees
# them; a superuser unlocks in the admin (Axes > Access attempts) or with `manage.py axes_reset`
# (or axes_reset_username NAME).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is the
# connection's address and the header is ignored (a client could forge it).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks: it sees the view's answer
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Keep the failures the lockout needs, not a row for every successful login forever.
AXES_DISABLE_ACCESS_LOG = True
AXES_CLIENT_IP_CALLABLE = "config.login_lockout.client_ip"
AXES_USERNAME_CALLABLE = "config.login_lockout.username"
AXES_LOCKOUT_CALLABLE = "config.login_lockout.lockout_response"
AXES_COOLOFF_MESSAGE = (
    "Too many failed logins for this username from your address. Try again in "
    f"{LOGIN_COOLOFF_MINUTES} minutes, or ask an administrator to unlock it."
)

# Throttles (api/throttling.py): API logins per client address, API writes (POST, PUT, PATCH,
# DELETE, the import too) per user; reads are not throttled. Over the rate: JSON 429 with
# Retry-After. The counts live in Django's default cache, per process unless REDIS_URL names a
# shared one: with several processes or replicas, use the shared cache or each counts alone.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["api.throttling.WriteRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "login": env_rate("API_LOGIN_RATE", "10/minute"),
    "write": env_rate("API_WRITE_RATE", "120/minute"),
}
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
# --- end of Abuse -------------------------------------------------------------------------------

# --- Single sign-on (OpenID Connect, config/sso/): off unless OIDC_ISSUER and OIDC_CLIENT_ID
# are set (README, "Single sign-on"). LOCAL_LOGIN=0 then turns usernames and passwords off on
# the web, admin and API logins; API tokens keep working.
SSO = env_sso()
LOCAL_LOGIN = env_local_login(SSO)
if SSO is not None:
    AUTHENTICATION_BACKENDS += ["config.sso.backend.OIDCBackend"]
# --- end of Single sign-on ---------------------------------------------------------------------
# --- Backups (README, "Backups"): `manage.py backup`, `restore`, `verify_backup` -------------
# BACKUP_DIR: where `backup` writes when given no path (files readable by their owner only).
# BACKUP_MAX_AGE_HOURS: older than this, the dashboard and /readyz warn (daily, with slack).
# BACKUP_VERIFY_DATABASE: the scratch PostgreSQL database a verification restores into, made
# and dropped each time (default: this database's name + "_verify"). APP_COMMIT: the release's
# commit, written into each snapshot's manifest (a checkout finds it with git instead).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or BASE_DIR / "var" / "backups")
BACKUP_MAX_AGE_HOURS = env_int("BACKUP_MAX_AGE_HOURS", 26)
BACKUP_VERIFY_DATABASE = os.environ.get("BACKUP_VERIFY_DATABASE", "").strip()
APP_COMMIT = os.environ.get("APP_COMMIT", "").strip()
# The bottom layer: it knows tables and migrations, and every app may ask it for the status.
INSTALLED_APPS += ["backups"]
# --- end of Backups ---------------------------------------------------------------------------
# --- Deployments: the webhooks that record them (README, "Deployments") ---------------------
# Each is off until its secret is set: every delivery is then refused with a 401.
# DEPLOY_WEBHOOK_TOKEN: the bearer token of POST /api/v1/deployments/webhook/.
# GITHUB_WEBHOOK_SECRET: the secret of GitHub's webhook (X-Hub-Signature-256), and
# GITHUB_REPOSITORY_SYSTEMS the systems of repositories whose name is not a system's slug
# (`owner/repo=system-slug,...`).
DEPLOY_WEBHOOK_TOKEN = os.environ.get("DEPLOY_WEBHOOK_TOKEN", "")
GITHUB_WEBHOOK_SECRET = os.environ.get("GITHUB_WEBHOOK_SECRET", "")
GITHUB_REPOSITORY_SYSTEMS = env_mapping("GITHUB_REPOSITORY_SYSTEMS")
