"""Django settings, read from the environment (or a .env file) by django-environ.

Every variable is documented in .env.example and the README.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from eventsui.access.config import (
    auth_mode,
    remote_user_header,
    remote_user_pattern,
    remote_user_proxies,
)
from eventsui.modelarts.projects import ProjectsConfigError, parse_projects
from eventsui.modelarts.signing import require_signer

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _bool(name: str, default: bool) -> bool:
    # django-environ reads any unknown word as False; a typo in DJANGO_DEBUG
    # must not silently mean something, so only the usual spellings pass.
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc.strerror}") from None
    return str(env.str(name, default=default))


DEBUG = _bool("DJANGO_DEBUG", False)

SECRET_KEY = _secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")
    SECRET_KEY = "insecure-development-key-used-only-with-DJANGO_DEBUG"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# -- ModelArts --------------------------------------------------------------------------
# Unset: the embedded sandbox answers instead (no credentials, no network).
MODELARTS_ENDPOINT = env.str("MODELARTS_ENDPOINT", default="").rstrip("/")
MODELARTS_PROJECT_ID = env.str("MODELARTS_PROJECT_ID", default="")
MODELARTS_AUTH_TOKEN = _secret("MODELARTS_AUTH_TOKEN")
MODELARTS_CONNECT_TIMEOUT = env.float("MODELARTS_CONNECT_TIMEOUT", default=3.0)
MODELARTS_READ_TIMEOUT = env.float("MODELARTS_READ_TIMEOUT", default=10.0)
# How the events call's `offset` is read upstream: the API reference says a
# record offset ("records"), the SDKs a page index ("pages"). Unconfirmed.
MODELARTS_EVENTS_OFFSET = env.str("MODELARTS_EVENTS_OFFSET", default="records")
if MODELARTS_EVENTS_OFFSET not in ("records", "pages"):
    raise ImproperlyConfigured("MODELARTS_EVENTS_OFFSET must be 'records' or 'pages'")
if MODELARTS_CONNECT_TIMEOUT <= 0 or MODELARTS_READ_TIMEOUT <= 0:
    raise ImproperlyConfigured("MODELARTS_*_TIMEOUT must be positive numbers of seconds")
# Several projects and regions, each with its credentials: a JSON list (see
# the README), inline or in a file. Unset: the single-project variables above.
_projects_json = env.str("EVENTSUI_PROJECTS", default="")
_projects_file = env.str("EVENTSUI_PROJECTS_FILE", default="")
if _projects_file:
    try:
        _projects_json = Path(_projects_file).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"EVENTSUI_PROJECTS_FILE cannot be read: {exc.strerror}"
        ) from None
try:
    EVENTSUI_PROJECTS = parse_projects(_projects_json) if _projects_json.strip() else ()
    # AK/SK signing needs the optional extra: refused now, not on the first call.
    require_signer(EVENTSUI_PROJECTS)
except ProjectsConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Whether the sandbox applies the `source` filter (the real service may not).
SANDBOX_APPLIES_SOURCE = _bool("SANDBOX_APPLIES_SOURCE", True)
# Upstream answers are cached (eventsui/modelarts/cache.py) for TTL_ACTIVE
# seconds while a job may change, TTL_FINISHED once it is finished.
MODELARTS_CACHE_TTL_ACTIVE = env.int("MODELARTS_CACHE_TTL_ACTIVE", default=5)
MODELARTS_CACHE_TTL_FINISHED = env.int("MODELARTS_CACHE_TTL_FINISHED", default=3600)
if MODELARTS_CACHE_TTL_ACTIVE < 0 or MODELARTS_CACHE_TTL_FINISHED < 0:
    raise ImproperlyConfigured("MODELARTS_CACHE_TTL_* must be whole seconds, 0 or more")
# The project's ModelArts call budget (eventsui/modelarts/budget.py): calls a
# second per project, shared by every process and instance through Redis, and
# the burst saved up while quiet. A page waits at most MAX_WAIT seconds for a
# slot, then answers 429. A rate of 0 turns the budget off.
EVENTSUI_UPSTREAM_RATE = env.float("EVENTSUI_UPSTREAM_RATE", default=50.0)
EVENTSUI_UPSTREAM_BURST = env.int("EVENTSUI_UPSTREAM_BURST", default=100)
EVENTSUI_UPSTREAM_MAX_WAIT = env.float("EVENTSUI_UPSTREAM_MAX_WAIT", default=1.0)
if EVENTSUI_UPSTREAM_RATE < 0 or EVENTSUI_UPSTREAM_BURST < 1 or EVENTSUI_UPSTREAM_MAX_WAIT < 0:
    raise ImproperlyConfigured(
        "EVENTSUI_UPSTREAM_RATE must be 0 or more, EVENTSUI_UPSTREAM_BURST 1 or more, "
        "EVENTSUI_UPSTREAM_MAX_WAIT 0 or more seconds"
    )
# locmemcache:// is one cache per process; redis://host:6379/0 (or
# rediscache:///path/to/redis.sock) is shared by all processes.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# The cache is optional (eventsui/modelarts/cache.py skips a failing one): a
# Redis that hangs or cannot be reached costs a cache call a fraction of a
# second, not the kernel's TCP timeouts. Options in CACHE_URL's query win.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 0.25)
    _redis_options.setdefault("socket_timeout", 0.25)

# -- Metrics ---------------------------------------------------------------------------
# /metrics (eventsui/metrics.py) answers 404 unless this is set, then only to
# "Authorization: Bearer <token>".
EVENTSUI_METRICS_TOKEN = _secret("EVENTSUI_METRICS_TOKEN")

# -- Signing in and per-project access (README, "Signing in") --------------------------
# none: no sign-in, every configured project visible. login: Django's sign-in
# form. remote-user: the user named by a header the reverse proxy sets.
EVENTSUI_AUTH = auth_mode(env.str("EVENTSUI_AUTH", default=""))
EVENTSUI_REMOTE_USER_HEADER = remote_user_header(env.str("EVENTSUI_REMOTE_USER_HEADER", default=""))
# remote-user: the proxy's addresses (required), and the names it may send.
EVENTSUI_REMOTE_USER_PROXIES = remote_user_proxies(
    env.str("EVENTSUI_REMOTE_USER_PROXIES", default=""), EVENTSUI_AUTH
)
EVENTSUI_REMOTE_USER_PATTERN = remote_user_pattern(
    env.str("EVENTSUI_REMOTE_USER_PATTERN", default="")
)
# Whom a signed-in user without projects should ask, shown on their home page.
EVENTSUI_ACCESS_CONTACT = env.str("EVENTSUI_ACCESS_CONTACT", default="").strip()
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "eventsui.access.backends.RemoteUserBackend",
]
# Sign-in throttling (eventsui/access/throttling.py): after 5 failures for one
# username, or from one address, sign-in is refused for 15 minutes, the right
# password included, on eventsui's own page (429). Failures are in the database.
AXES_FAILURE_LIMIT = env.int("EVENTSUI_SIGN_IN_FAILURES", default=5)
_cool_off_minutes = env.int("EVENTSUI_SIGN_IN_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or _cool_off_minutes < 1:
    raise ImproperlyConfigured(
        "EVENTSUI_SIGN_IN_FAILURES and EVENTSUI_SIGN_IN_COOLOFF_MINUTES must be 1 or more"
    )
AXES_COOLOFF_TIME = timedelta(minutes=_cool_off_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_CLIENT_IP_CALLABLE = "eventsui.access.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "eventsui.access.throttling.locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# A success does not clear the address's failures: one's own account must not
# buy more guesses at another's.
AXES_RESET_ON_SUCCESS = False
# Failures are logged (and kept) with the username and address, as sshd does;
# the password is always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # intcomma: counts with thousands separators in the active language's way.
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "eventsui.core",
    "eventsui.access",
    "eventsui.jobs",
    "eventsui.timeline",
    "eventsui.failures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag from the body and 304 for If-None-Match, pages and htmx fragments alike.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the django_language cookie (the header's switch),
    # else Accept-Language, else LANGUAGE_CODE. No URL prefixes: a shared link
    # shows the same events in each reader's own language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # These three do nothing unless EVENTSUI_AUTH asks for signing in. The
    # first marks a signed-in user's pages private (and varies on the
    # remote-user header); it wraps the others to see their answers too.
    "eventsui.access.middleware.private_pages",
    "eventsui.access.middleware.RemoteUserMiddleware",
    "eventsui.access.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # X-Language for ModelArts calls, from the language LocaleMiddleware chose.
    "eventsui.core.middleware.modelarts_language",
    # A view's Http404 answers eventsui's own 404 page even with DEBUG on.
    "eventsui.core.middleware.OwnNotFoundPage",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: turns a refused sign-in into eventsui's lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "eventsui.urls"
WSGI_APPLICATION = "eventsui.wsgi.application"

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
                "eventsui.core.context_processors.upstream",
                "eventsui.access.context_processors.access",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
# The languages of the pages (README, "Languages"); X-Language follows them.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the switch's choice outlives the browser session
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Under DEBUG (make run) static files come straight from the source folders;
# otherwise from STATIC_ROOT, filled by `manage.py collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# -- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Event text is written by arbitrary training code: nothing inline runs, and
# htmx is configured (meta htmx-config in base.html) to need no eval and no
# inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Served over HTTPS (directly or behind a TLS-terminating proxy that sets
# X-Forwarded-Proto): secure cookies, HSTS and a redirect from plain HTTP.
HTTPS = _bool("DJANGO_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    # Probes and Prometheus scrape the pod itself, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "eventsui": {
            "handlers": ["console"],
            "level": env.str("LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}

if MODELARTS_PROJECT_ID:
    from eventsui.modelarts.ids import is_project_id

    if not is_project_id(MODELARTS_PROJECT_ID):
        raise ImproperlyConfigured("MODELARTS_PROJECT_ID must be 1-64 letters, digits or hyphens")
