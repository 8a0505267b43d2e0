"""The header's language switch: a plain link that sets the django_language cookie.

A GET link rather than a POST to Django's set_language, so that pages carry
no CSRF token (their ETags stay stable) and the switch works without
JavaScript. LocaleMiddleware reads the cookie on the next request. The reader
comes back to the page they were on: `next`, or the Referer when it names the
same page (htmx may have pushed newer filters into the address since the
header was drawn) or when there is no `next` (error pages leave it out).
Only the cookie changes: the URL stays the state.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _safe(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _local(url: str) -> str:
    """The path and query of a URL, so that the redirect stays on this site."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def return_url(request: HttpRequest) -> str:
    """Where the switch sends the reader back to."""
    next_url = request.GET.get("next", "")
    referer = request.META.get("HTTP_REFERER", "")
    if not next_url:
        # Error pages leave their address out of the page.
        return _local(referer) or "/" if _safe(request, referer) else "/"
    if not (_safe(request, next_url) and next_url.startswith("/")):
        return "/"
    # `next` is the page's path_info (no SCRIPT_NAME in the page, which could
    # make a link name another host); a safe script prefix goes back in front.
    prefixed = get_script_prefix().rstrip("/") + next_url
    if not (_safe(request, prefixed) and prefixed.startswith("/")):
        prefixed = next_url
    if _safe(request, referer) and urlsplit(referer).path == urlsplit(prefixed).path:
        return _local(referer)
    return _local(prefixed) or "/"


@login_not_required
@require_GET
@never_cache
def set_language(request: HttpRequest) -> HttpResponse:
    """/language/?language=zh-hans&next=/failures/: the cookie, then back to the page."""
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return render(
            request,
            "core/error.html",
            {
                "status": 400,
                "title": _("Unknown language"),
                "message": _("eventsui is available in English and Simplified Chinese."),
            },
            status=400,
        )
    response = HttpResponseRedirect(return_url(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",  # settings.LANGUAGE_COOKIE_SAMESITE
    )
    return response
