from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventsui.modelarts import ModelArtsError, default_project, get_client
from eventsui.modelarts.client import ModelArtsClient


def _not_ready(reason: str) -> HttpResponse:
    return HttpResponse(f"not ready: {reason}\n", content_type="text/plain", status=503)


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches neither the upstream nor the database."""
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: configured, and ModelArts answers a cheap call made past the cache.

    503 with a short reason otherwise: names of settings and the kind of
    failure, never the endpoint, a token or the upstream's own message. With
    MODELARTS_ENDPOINT unset the sandbox is the upstream, and is checked the same way.
    """
    project = default_project()
    if project is None:
        return _not_ready("MODELARTS_PROJECT_ID is not set")
    try:
        # The class's own method: a caching client would answer from the cache.
        ModelArtsClient.list_jobs(get_client(project), project.project_id, limit=1)
    except ModelArtsError as exc:
        code = f" ({exc.error_code})" if exc.error_code else ""
        return _not_ready(f"{exc.title}{code}")
    return HttpResponse("ready\n", content_type="text/plain")


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
