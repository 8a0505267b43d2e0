"""/failures/: the failed jobs of every project the user may see, with their causes.

The upstream cost is listing.py's (one search per project, at most two event
calls per listed job, on each page); bad filters answer 400 before any call.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie, vary_on_headers
from django_htmx.http import push_url

from eventsui.access.grants import visible_projects
from eventsui.core.forms import is_canonical
from eventsui.core.htmx import wants_fragment
from eventsui.core.templatetags.eventsui import duration
from eventsui.timeline.export import spreadsheet_safe
from eventsui.timeline.zones import ViewerZone, viewer_zone

from .causes import CAUSES
from .forms import FailureFiltersForm, canonical_params, failures_url
from .listing import FailureRow, list_failures

TEMPLATE = "failures/failures.html"
CSV_HEADER = ("job", "job id", "project", "phase", "created", "duration", "cause", "reason")


def _csv(rows: list[FailureRow], zone: ViewerZone) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        job = row.job
        created = job.created.astimezone(zone.tz).isoformat() if job.created else ""
        cells = (job.name, job.id, row.project.name, job.phase, created,
                 duration(job.duration_ms), row.diagnosis.cause.slug, row.reason)  # fmt: skip
        writer.writerow([spreadsheet_safe(c) for c in cells])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="failures.csv"'
    return response


@require_GET
@vary_on_headers("HX-Request")
@vary_on_cookie
def failures(request: HttpRequest) -> HttpResponse:
    partial = wants_fragment(request)
    template = f"{TEMPLATE}#results" if partial else TEMPLATE
    path = reverse("failures")
    projects = visible_projects(request)
    form = FailureFiltersForm(request.GET, [(p.project_id, p.name) for p in projects])
    context: dict[str, Any] = {"form": form, "failures_url": path, "zone": viewer_zone(request)}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    query = form.to_query()
    as_csv = form.cleaned_data["format"] == "csv"
    canonical_url = failures_url(path, query)
    if not partial and not as_csv and not is_canonical(request.GET, canonical_params(query)):
        return HttpResponseRedirect(canonical_url)
    shown = tuple(p for p in projects if not query.projects or p.project_id in query.projects)
    listing = list_failures(shown, query.phases, query.window(timezone.now()), query.page)
    counts = Counter(r.diagnosis.cause.slug for r in listing.rows)
    rows = [r for r in listing.rows if not query.cause or r.diagnosis.cause.slug == query.cause]
    if as_csv:
        return _csv(rows, context["zone"])
    context.update(
        query=query,
        rows=rows,
        listing=listing,
        causes=[
            (c, counts[c.slug], failures_url(path, query, cause=c.slug, page=1))
            for c in CAUSES
            if counts[c.slug]
        ],
        all_causes_url=failures_url(path, query, cause="", page=1),
        next_url=failures_url(path, query, page=query.page + 1) if listing.more else None,
        previous_url=failures_url(path, query, page=query.page - 1) if query.page > 1 else None,
        csv_url=canonical_url + ("&" if "?" in canonical_url else "?") + "format=csv",
    )
    response = render(request, template, context)
    return push_url(response, canonical_url) if partial else response
