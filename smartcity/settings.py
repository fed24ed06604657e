"""Settings for Smart City Search, read from the environment.

Every setting has a safe embedded default for one machine (SQLite under var/, a Whoosh index
under var/index) except SECRET_KEY, which must be given once DEBUG is off.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from smartcity import dotenv
from smartcity.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Local use: `make setup` writes .env (DEBUG=1, a generated SECRET_KEY), so manage.py commands
# typed by hand work as the README shows them. The environment wins over the file.
_env_file = env_str("ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    dotenv.load(Path(_env_file))
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable; for local "
            "development, `make setup` writes a .env file with DEBUG=1 and a generated key."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost of those that touch the body, so it compresses what the others produced.
    "search.middleware.CompressPublicPagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a parameter: the API's errors in JSON, control characters a 400.
    "search.middleware.ApiJsonErrorsMiddleware",
    "search.middleware.RejectControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which would read the form first and fail under Django's debug page.
    "smartcity.error_pages.OversizedRequestMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "smartcity.csp.ContentSecurityPolicyMiddleware",
    "search.middleware.IndexUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smartcity.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # The project's templates without their indentation (smartcity/template_loaders.py),
            # then the apps' (the admin's) as written; kept in memory as Django does by default.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "smartcity.template_loaders.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "smartcity.wsgi.application"
ASGI_APPLICATION = "smartcity.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_bool("DB_PERSISTENT", False) and 60 or 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the import command write while the server reads.
    # IMMEDIATE: a writing transaction takes SQLite's write lock when it begins, so two
    # admins saving at once queue (up to the timeout) instead of one failing with
    # "database is locked" when its read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A fresh checkout has no var/ yet; SQLite would only say "unable to open database file".
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Failed admin sign-ins are limited per user name and per address (django-axes): after
# AXES_FAILURE_LIMIT failures either one is locked for AXES_COOLOFF_MINUTES, even with the
# right password. `manage.py axes_reset` (or axes_reset_username / axes_reset_ip) lifts it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(env_str("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
# Failures count against the client's address: REMOTE_ADDR, or behind TRUSTED_PROXIES reverse
# proxies (each appending to X-Forwarded-For) the address the outermost one saw. 0 = none.
TRUSTED_PROXIES = int(env_str("TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "smartcity.client_address.client_address"

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
# ISO dates in the admin's inputs, "3 Apr 2024" in its lists (smartcity/formats/).
FORMAT_MODULE_PATH = ["smartcity.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))

# Production: whitenoise serves hashed, compressed static files (after collectstatic).
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

# Security headers and cookies. With DEBUG off they are on unless the environment says
# otherwise; `manage.py check --deploy` is clean with the production defaults.
# Behind a load balancer that terminates TLS, set SECURE_PROXY_SSL_HEADER=1 so Django trusts
# its X-Forwarded-Proto header (only when the balancer always sets or strips that header).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# smartcity/csp.py: same-origin scripts and styles only, no inline code, no framing.
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

# Search: the engine and where the embedded Whoosh index lives.
SEARCH_BACKEND = env_str("SEARCH_BACKEND", "whoosh")
SEARCH_INDEX_DIR = Path(env_str("SEARCH_INDEX_DIR", str(VAR_DIR / "index")))
# Who writes saved articles to the index (search/indexing.py): "worker" - a background
# `manage.py run_indexer` drains the journal in batches (web requests never wait for the
# index); "inline" - the process that saved drains right after its commit, waiting at most
# SEARCH_INDEX_REQUEST_WAIT seconds for the index lock (what was not written stays queued).
SEARCH_INDEXER = env_str("SEARCH_INDEXER", "worker")
if SEARCH_INDEXER not in ("worker", "inline"):
    raise ImproperlyConfigured(f"SEARCH_INDEXER={SEARCH_INDEXER!r}; expected worker or inline")
SEARCH_INDEX_REQUEST_WAIT = float(env_str("SEARCH_INDEX_REQUEST_WAIT", "1.0"))
# Processes analysing documents in a Whoosh rebuild (default: up to 2, one below 2000 articles).
SEARCH_INDEX_PROCS = int(env_str("SEARCH_INDEX_PROCS", "0")) or None

# Search answers cached per process by (index identity, query) (search/caching.py); a
# changed index changes the key, so nothing stale is served. 500 pages of a few kB each.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "search": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "search-pages",
        "OPTIONS": {"MAX_ENTRIES": int(env_str("SEARCH_CACHE_ENTRIES", "500"))},
    },
    # Whole rendered answers of the search views, keyed by their ETag (search.caching.rendered),
    # in files shared by every worker process of the machine: a page rendered by one worker is
    # not rendered again by the others (a file read costs about a tenth of a millisecond, a
    # render 50). Stored compressed, about 10 kB each.
    "rendered": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("SEARCH_RENDERED_CACHE_DIR", str(VAR_DIR / "cache" / "rendered")),
        "OPTIONS": {"MAX_ENTRIES": int(env_str("SEARCH_RENDERED_ENTRIES", "2000"))},
    },
}

SEARCH_CACHE_SECONDS = int(env_str("SEARCH_CACHE_SECONDS", "600"))  # 0: no cache

# How long one search may run (PostgreSQL statement_timeout, the Whoosh evaluator's
# deadline); a search that takes longer is stopped and answered with a note.
SEARCH_TIMEOUT_MS = int(env_str("SEARCH_TIMEOUT_MS", "5000"))
# The PostgreSQL engine ranks broad queries from the RUM index where the database has one
# (migration 0009 makes it when the extension is installed); "off" ranks with GIN alone.
SEARCH_POSTGRES_RUM = env_str("SEARCH_POSTGRES_RUM", "auto")
# Each app process counts facets, timelines and pairs from its own copy of the articles'
# facet columns (search/engines/postgres/facets.py), checked against the data version with
# every search; "off" counts in SQL. A changed version reloads the copy at most once per
# this many seconds (under a stream of writes, the searches between count in SQL).
SEARCH_POSTGRES_FACET_COLUMNS = env_str("SEARCH_POSTGRES_FACET_COLUMNS", "on")
SEARCH_POSTGRES_FACET_RELOAD_SECONDS = float(env_str("SEARCH_POSTGRES_FACET_RELOAD_SECONDS", "5"))
# Per process: the matches of query words (and other atoms of conditions) kept with the
# facet columns until the next write, as bits (12.5 kB per word at 100,000 articles).
SEARCH_POSTGRES_MATCH_CACHE_MB = float(env_str("SEARCH_POSTGRES_MATCH_CACHE_MB", "64"))

# Read replicas: DATABASE_REPLICA_URLS (comma-separated) adds databases "replica1", ...;
# the PostgreSQL engine sends search queries to them (smartcity/routers.py picks one per
# request) while every write stays on the primary.
for _n, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica{_n}"] = dj_database_url.parse(
        _url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES[f"replica{_n}"]["TEST"] = {"MIRROR": "default"}
SEARCH_REPLICAS = [alias for alias in DATABASES if alias.startswith("replica")]
DATABASE_ROUTERS = ["smartcity.routers.PrimaryReplicaRouter"]

# The public address of the site (scheme, host, any path prefix): exports, feeds, alert mails
# and citation tags link to it, whatever host name a request came in on.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
# An export streams every match up to this many articles.
SEARCH_EXPORT_MAX = int(env_str("SEARCH_EXPORT_MAX", "100000"))

# Mail (email alerts): Django's SMTP backend configured from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env_str("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Smart City Search <alerts@localhost>")

# Uploads and pasted articles larger than this are refused with a message.
ARTICLE_MAX_BYTES = int(env_str("ARTICLE_MAX_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = ARTICLE_MAX_BYTES + 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
