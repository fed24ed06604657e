"""Test settings: the real settings with a fixed key and everything on-disk in a temp dir."""

import os
import tempfile

# A developer's .env (written by `make setup`) must not change what the tests see.
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="smartcity-test-"))
# Tests speak plain HTTP to 127.0.0.1; production keeps the HTTPS redirect and secure cookies.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
# Tests drain the index journal synchronously after each commit (or call
# search.indexing.index_pending); the worker-mode tests set "worker" themselves.
os.environ.setdefault("SEARCH_INDEXER", "inline")

from smartcity.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)

# A typo in one of our templates fails the test that renders it (tests/strict_templates.py).
from tests.strict_templates import STRING_IF_INVALID  # noqa: E402

TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = STRING_IF_INVALID  # noqa: F405
