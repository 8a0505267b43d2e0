from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventsui import metrics as eventsui_metrics
from eventsui.modelarts import ModelArtsError, default_project, get_client
from eventsui.modelarts.tolerant_cache import cache_problem


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
    The cache is optional: one that fails a probe read (bounded by the Redis
    socket timeouts in settings.py) is reported in the body, still 200.
    """
    project = default_project()
    if project is None:
        return _not_ready("MODELARTS_PROJECT_ID is not set")
    try:
        # Past the cache: a cached answer would say nothing about ModelArts now.
        get_client(project).uncached.list_jobs(project.project_id, limit=1)
    except ModelArtsError as exc:
        code = f" ({exc.error_code})" if exc.error_code else ""
        return _not_ready(f"{exc.title}{code}")
    problem = cache_problem()
    cache = f"cache: degraded ({problem})\n" if problem else ""
    return HttpResponse(f"ready\n{cache}", content_type="text/plain")


@login_not_required
@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (eventsui/metrics.py), for a scraper sending EVENTSUI_METRICS_TOKEN.

    404 while no token is configured; 401 without the right bearer token.
    """
    token = settings.EVENTSUI_METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        response = HttpResponse(
            "A bearer token is required.\n", content_type="text/plain", status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = eventsui_metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 404, "title": _("Page not found"), "message": _("No page has this address.")},
        status=404,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 400, "title": _("Bad request"), "message": _("The request could not be read.")},
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors can be trusted here; the template needs none.
    return render(
        request,
        "core/error.html",
        {
            "status": 500,
            "title": _("Something went wrong in eventsui"),
            "message": _("The error has been logged. Try again, or go back."),
        },
        status=500,
    )
