"""Settings for the test suite: the real settings with a fixed, fake environment."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")
# EVENTSUI_AUTH too: a .env that turns sign-in on must not change the suite;
# the access tests choose their mode with the settings fixture.
for name in (
    "MODELARTS_ENDPOINT",
    "MODELARTS_PROJECT_ID",
    "MODELARTS_AUTH_TOKEN",
    "EVENTSUI_AUTH",
):
    os.environ[name] = ""
# No cached upstream answers leak from one test to the next; the cache's own
# tests choose a cache (tests/test_modelarts_cache.py).
os.environ["CACHE_URL"] = "dummycache://"

from .settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from the app folders: no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
# Test users' passwords need no strength: a fast hasher keeps sign-in tests quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The call budget runs in every test but never binds; its own tests lower it
# (tests/test_modelarts_budget.py).
EVENTSUI_UPSTREAM_RATE = 1_000_000.0
EVENTSUI_UPSTREAM_BURST = 1_000_000
