"""A failed job's first Error event, as a shareable timeline link around it.

The link is an absolute window, oldest first, that shows the error row marked,
found as any event's context is (context.py: the window from the 20 events
before it to the job's end, at the offset of the page holding it). With a
cache, following the link asks ModelArts nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Event, EventQuery, ModelArtsError, get_client
from eventsui.modelarts.projects import Project

from .anchors import event_key
from .context import CONTEXT_BEFORE, PAGE_LIMIT, Target, locate, window_end, window_start
from .forms import canonical_params

logger = logging.getLogger(__name__)

__all__ = ["CONTEXT_BEFORE", "failure"]


def _same_event(row: Event, error: Event) -> bool:
    same = (row.time, row.source, row.message) == (error.time, error.source, error.message)
    return same and row.level.casefold() == "error"


def _is_error(error: Event) -> Target:
    return lambda row, _anchor: _same_event(row, error)


@job_view
@require_GET
@never_cache  # a running job's window ends at the moment of the request
def failure(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id = project.project_id

    template = "timeline/failure.html"
    context: dict[str, object] = {"project_id": project_id, "job_id": job_id}
    client = get_client(project)
    try:
        job = client.get_job(project_id, job_id)
        context["job"] = job
        first = client.list_events(
            project_id, job_id, EventQuery(level="Error", order="asc", limit=1)
        )
        if not first.total or not first.events:
            return render(request, template, context)
        error = first.events[0]
        if error.time is None:
            # No time to build a window on: the job's Error events, oldest first.
            window = EventQuery(level="Error", order="asc", limit=PAGE_LIMIT)
            offset, anchor = 0, event_key(error)
        else:
            window = EventQuery(
                start=window_start(client, project_id, job_id, job, error.time),
                end=window_end(job, error.time),
                order="asc",
                limit=PAGE_LIMIT,
            )
            offset, found = locate(client, project_id, job_id, window, error.time, _is_error(error))
            if found is None:
                logger.warning("the first Error event is not where its count puts it")
            anchor = found or event_key(error)
    except ModelArtsError as exc:
        return upstream_error(request, template, context, exc)

    qs = encode(canonical_params(replace(window, offset=offset), anchor))
    path = reverse("events", args=[project_id, job_id])
    return HttpResponseRedirect(f"{path}?{qs}#{anchor}")
