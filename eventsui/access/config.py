"""The sign-in settings, read strictly. Imported by settings.py: no models here."""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ImproperlyConfigured

AUTH_MODES = ("none", "login", "remote-user")
DEFAULT_REMOTE_USER_HEADER = "X-Remote-User"
# A name the proxy sends, once normalised (NFKC, case-folded), must match this:
# plain lower-case ASCII, so look-alikes (a Cyrillic "root") are refused.
DEFAULT_REMOTE_USER_PATTERN = r"^[a-z0-9][a-z0-9._@-]{0,149}$"
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


def remote_user_proxies(raw: str, mode: str) -> tuple[str, ...]:
    """EVENTSUI_REMOTE_USER_PROXIES: the addresses (IPs or CIDRs) the header is believed from.

    Required in remote-user mode: without it, anyone who reaches the port names
    themselves. Compared with REMOTE_ADDR, the direct peer, never X-Forwarded-For.
    """
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"EVENTSUI_REMOTE_USER_PROXIES: {item!r} is not an IP address or network "
                "(like 127.0.0.1 or 10.0.0.0/24)"
            ) from None
    if mode == "remote-user" and not networks:
        raise ImproperlyConfigured(
            "EVENTSUI_AUTH=remote-user needs EVENTSUI_REMOTE_USER_PROXIES: the addresses of "
            "the sign-in proxy, comma-separated IPs or networks (like 127.0.0.1 or "
            "10.0.0.0/24). The user header is believed from them only."
        )
    return tuple(networks)


def remote_user_pattern(raw: str) -> str:
    """EVENTSUI_REMOTE_USER_PATTERN: the names accepted from the proxy, after normalising."""
    pattern = raw.strip() or DEFAULT_REMOTE_USER_PATTERN
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ImproperlyConfigured(
            f"EVENTSUI_REMOTE_USER_PATTERN is not a regular expression: {exc}"
        ) from None
    return pattern
