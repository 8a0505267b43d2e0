"""The sign-in settings, read strictly. Imported by settings.py: no models here."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

AUTH_MODES = ("none", "login", "remote-user")
DEFAULT_REMOTE_USER_HEADER = "X-Remote-User"
# Letters, digits and single hyphens: a name with an underscore reaches the
# app under the same key as its hyphenated twin, which a proxy may not strip.
_HEADER_RE = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def auth_mode(raw: str) -> str:
    """EVENTSUI_AUTH: none (the default), login or remote-user; anything else is refused."""
    mode = raw.strip().lower() or "none"
    if mode not in AUTH_MODES:
        raise ImproperlyConfigured(f"EVENTSUI_AUTH must be none, login or remote-user, not {raw!r}")
    return mode


def remote_user_header(raw: str) -> str:
    """EVENTSUI_REMOTE_USER_HEADER: the HTTP header the proxy names the user in."""
    name = raw.strip() or DEFAULT_REMOTE_USER_HEADER
    if not _HEADER_RE.fullmatch(name):
        raise ImproperlyConfigured(
            "EVENTSUI_REMOTE_USER_HEADER must be an HTTP header name of letters, digits "
            f"and hyphens (no underscores), like {DEFAULT_REMOTE_USER_HEADER}, not {raw!r}"
        )
    return name


def meta_key(header: str) -> str:
    """Where a WSGI server puts an HTTP header in request.META."""
    return "HTTP_" + header.upper().replace("-", "_")
