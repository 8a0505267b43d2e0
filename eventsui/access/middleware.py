"""Signing in, by mode. All are always installed and do nothing with EVENTSUI_AUTH=none.

The mode is read per request rather than by choosing MIDDLEWARE at start-up,
so one setting decides, and a test (or the live server) can switch it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from .config import meta_key


class RemoteUserMiddleware(auth_middleware.RemoteUserMiddleware):
    """In remote-user mode, signs in the user the proxy names in EVENTSUI_REMOTE_USER_HEADER.

    A request without the header is signed out (not the Persistent variant):
    the proxy sets it on every request it lets through.
    """

    # Read per request, like the mode: a class attribute in Django's.
    @property
    def header(self) -> str:  # type: ignore[override]
        return meta_key(settings.EVENTSUI_REMOTE_USER_HEADER)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if settings.EVENTSUI_AUTH != "remote-user":
            return self.get_response(request)
        return super().__call__(request)


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
