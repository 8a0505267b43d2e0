from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches neither the upstream nor the database."""
    return HttpResponse("ok\n", content_type="text/plain")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 404, "title": "Page not found", "message": "No page has this address."},
        status=404,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 400, "title": "Bad request", "message": "The request could not be read."},
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors can be trusted here; the template needs none.
    return render(
        request,
        "core/error.html",
        {
            "status": 500,
            "title": "Something went wrong in eventsui",
            "message": "The error has been logged. Try again, or go back.",
        },
        status=500,
    )
