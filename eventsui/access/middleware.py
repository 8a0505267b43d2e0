"""Signing in, by mode. All are always installed and do nothing with EVENTSUI_AUTH=none.

The mode is read per request rather than by choosing MIDDLEWARE at start-up,
so one setting decides, and a test (or the live server) can switch it.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from .backends import RemoteUserBackend, acceptable_remote_user, normalise_remote_user
from .config import meta_key

logger = logging.getLogger(__name__)


class RemoteUserMiddleware:
    """In remote-user mode, signs in the user the proxy names in EVENTSUI_REMOTE_USER_HEADER.

    - The header is believed only from EVENTSUI_REMOTE_USER_PROXIES (REMOTE_ADDR,
      the direct peer: X-Forwarded-For is the client's to write).
    - The name is normalised (NFKC, case-folded) and must match
      EVENTSUI_REMOTE_USER_PATTERN; otherwise 403 with a page that says so.
    - A request without a believed header is signed out, however its session
      was made (a password session from /admin/login/ too): the proxy sets the
      header on every request it lets through.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.EVENTSUI_AUTH != "remote-user":
            return self.get_response(request)
        raw = request.META.get(meta_key(settings.EVENTSUI_REMOTE_USER_HEADER), "")
        if raw and not _from_proxy(request):
            logger.warning(
                "remote-user header ignored from %s, not in EVENTSUI_REMOTE_USER_PROXIES",
                request.META.get("REMOTE_ADDR", "-"),
            )
            raw = ""
        name = normalise_remote_user(raw)
        if name and not acceptable_remote_user(name):
            _sign_out(request)
            return render(request, "access/remote_user_refused.html", status=403)
        if not name:
            _sign_out(request)
            return self.get_response(request)
        user = request.user
        same = (
            user.is_authenticated
            and user.get_username() == name
            and request.session.get(auth.BACKEND_SESSION_KEY) == _BACKEND
        )
        if not same:
            _sign_out(request)
            found = auth.authenticate(request, remote_user=name)
            if found is not None:
                request.user = found
                auth.login(request, found, backend=_BACKEND)
        return self.get_response(request)


_BACKEND = f"{RemoteUserBackend.__module__}.{RemoteUserBackend.__qualname__}"


def _sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        auth.logout(request)


@functools.lru_cache(maxsize=4)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _from_proxy(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(settings.EVENTSUI_REMOTE_USER_PROXIES))


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """In login and remote-user modes, anonymous requests go to the sign-in page.

    Views marked @login_not_required (health checks, the sign-in page) answer
    anyway. An htmx request is sent there with HX-Redirect, so the browser
    loads the sign-in page as a page instead of swapping it into a fragment,
    and comes back to the page it was on, not to the fragment's URL.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        if settings.EVENTSUI_AUTH == "none":
            return None
        response = super().process_view(request, view_func, view_args, view_kwargs)
        if response is None:
            return None
        htmx = getattr(request, "htmx", None)
        # A history restore (Back after a cache miss) wants a whole page: the
        # plain redirect gives it one.
        if htmx and not htmx.history_restore_request:
            login = redirect_to_login(
                htmx.current_url_abs_path or request.get_full_path(),
                resolve_url(self.get_login_url(view_func)),
                self.get_redirect_field_name(view_func),
            )
            response = HttpResponseClientRedirect(login.url)
        patch_vary_headers(response, ["HX-Request"])
        return response


def private_pages(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Any:
    """Pages of a signed-in user are theirs: no shared cache in front may keep them.

    Cache-Control gains `private` (no-cache or no-store a view set stay), and in
    remote-user mode every answer varies on the header that names the user.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if settings.EVENTSUI_AUTH == "none":
            # No one is signed in to eventsui's pages; the admin's are never_cache.
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        if settings.EVENTSUI_AUTH == "remote-user":
            patch_vary_headers(response, [settings.EVENTSUI_REMOTE_USER_HEADER])
        return response

    return middleware
