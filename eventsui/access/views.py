"""The sign-in and sign-out pages, and the page of a user who may see no project."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _


class _LoginView(LoginView):
    redirect_authenticated_user = True

    # `request` only to match django-stubs; Django passes none.
    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        # A signed-in user sent back to this page would loop (Django raises
        # ValueError, a 500): home instead.
        url = super().get_redirect_url()
        if urlsplit(url).path.rstrip("/") == self.request.path.rstrip("/"):
            return ""
        return url


_login = _LoginView.as_view()
_logout = LogoutView.as_view()


@login_not_required
def login(request: HttpRequest) -> HttpResponseBase:
    """Django's sign-in form in login mode; in remote-user mode, why there is none."""
    if settings.EVENTSUI_AUTH == "none":
        raise Http404(_("Signing in is off"))
    if settings.EVENTSUI_AUTH == "remote-user":
        return _signed_in_at_the_proxy(request)
    return _login(request)


def _signed_in_at_the_proxy(request: HttpRequest) -> HttpResponse:
    """Remote-user mode has no password sign-in: no form, and a POST signs no one in."""
    return render(request, "access/proxy_sign_in.html", status=403)


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponseBase:
    """One sign-in page: the admin's own only when eventsui has none.

    A signed-in user who is not staff still gets the admin's, which says so
    (sending them to ours would bounce them back to the admin). In remote-user
    mode there is no password sign-in, here either: a proxied user could
    otherwise make a password session as someone else.
    """
    if settings.EVENTSUI_AUTH == "remote-user":
        return _signed_in_at_the_proxy(request)
    if settings.EVENTSUI_AUTH == "none" or request.user.is_authenticated:
        return admin.site.login(request)
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


def logout(request: HttpRequest) -> HttpResponseBase:
    """POST only (Django's LogoutView); in login mode only."""
    if settings.EVENTSUI_AUTH != "login":
        raise Http404(_("Signing out is handled elsewhere"))
    return _logout(request)


def no_projects(request: HttpRequest) -> HttpResponse:
    """The home page of a signed-in user who has been granted no project."""
    return render(request, "access/no_projects.html")
