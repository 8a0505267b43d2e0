"""Pages for failures: what the reader sees when input or the upstream is wrong."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eventsui.modelarts import ModelArtsError


def bad_identifier(request: HttpRequest, what: str, rule: str) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "status": 400,
            "title": _("That is not a valid %(what)s") % {"what": what},
            "message": _("A %(what)s is %(rule)s. Check the link you followed.")
            % {"what": what, "rule": rule},
        },
        status=400,
    )


def upstream_error(
    request: HttpRequest, template: str, context: dict[str, Any], exc: ModelArtsError
) -> HttpResponse:
    """Render the page (or its partial) with the failure in place of results.

    The message and codes are ours or ModelArts' own words, never a header,
    a URL or a credential.
    """
    context = {
        **context,
        "error": {
            "status": exc.status,
            "title": exc.title,
            "message": exc.message,
            "upstream_status": exc.upstream_status,
            "error_code": exc.error_code,
            "error_msg": exc.error_msg,
            "request_id": exc.request_id,
        },
    }
    response = render(request, template, context, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response
