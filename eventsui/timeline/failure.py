"""A failed job's first Error event, as a shareable timeline link around it.

The link is an absolute window, oldest first, that shows the error row marked:
- it starts at the earliest of the CONTEXT_BEFORE events up to the error (so
  the lead-up is on the page), and ends at the job's end: its start (or its
  creation) plus its duration once finished, the moment of the request while
  it runs, never before the error and never open;
- its offset is that of the page holding the error: the events in the window
  before the error's second are counted, and as events share seconds, that
  page is fetched to find the row and its anchor (one page further if the
  error's second spilled over). With a cache, following the link asks
  ModelArts nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Event, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import MAX_PAGE_SIZE

from .anchors import anchors, event_key
from .forms import canonical_params

logger = logging.getLogger(__name__)

CONTEXT_BEFORE = 20
PAGE_LIMIT = MAX_PAGE_SIZE
# How far back to look for the lead-up when the job's creation time is unknown.
LOOKBACK = timedelta(days=1)
_MS = timedelta(milliseconds=1)


def _same_event(row: Event, error: Event) -> bool:
    same = (row.time, row.source, row.message) == (error.time, error.source, error.message)
    return same and row.level.casefold() == "error"


def _window_end(job: Job, error_time: datetime) -> datetime:
    """When the job ended, or now while it runs; never before the error."""
    began = job.started or job.created
    if job.finished and job.duration_ms and began is not None:
        end = began + timedelta(milliseconds=job.duration_ms)
        if end >= error_time:
            return end
    # Running, or an end that cannot be right: events are to the second.
    return max(timezone.now().replace(microsecond=0), error_time)


def _window_start(
    client: ModelArtsClient, project_id: str, job_id: str, job: Job, error_time: datetime
) -> datetime:
    """The time of the earliest of the CONTEXT_BEFORE events up to the error."""
    lookback = error_time - LOOKBACK
    if job.created is not None and job.created <= error_time:
        lookback = job.created.replace(microsecond=0)
    before = client.list_events(
        project_id,
        job_id,
        EventQuery(start=lookback, end=error_time, order="desc", limit=CONTEXT_BEFORE),
    )
    times = [e.time for e in before.events if e.time is not None]
    return min([*times, error_time])


def _locate(
    client: ModelArtsClient, project_id: str, job_id: str, window: EventQuery, error: Event
) -> tuple[int, str]:
    """The offset of the page of window that shows error, and the error row's anchor."""
    assert window.start is not None and error.time is not None
    offset = 0
    if window.start <= error.time - _MS:
        earlier = client.list_events(
            project_id,
            job_id,
            EventQuery(start=window.start, end=error.time - _MS, order="asc", limit=1),
        )
        offset = earlier.total // window.limit * window.limit
    # Rows of the error's own second may come before it and push it onto the
    # next page; the anchor's suffix depends on the rows shown with it.
    for candidate in (offset, offset + window.limit):
        page = client.list_events(project_id, job_id, replace(window, offset=candidate))
        for row, anchor in zip(page.events, anchors(page.events, page.order), strict=True):
            if _same_event(row, error):
                return candidate, anchor
        if candidate + window.limit >= page.total:
            break
    logger.warning("the first Error event is not where its count puts it")
    return offset, event_key(error)


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
                start=_window_start(client, project_id, job_id, job, error.time),
                end=_window_end(job, error.time),
                order="asc",
                limit=PAGE_LIMIT,
            )
            offset, anchor = _locate(client, project_id, job_id, window, error)
    except ModelArtsError as exc:
        return upstream_error(request, template, context, exc)

    qs = encode(canonical_params(replace(window, offset=offset), anchor))
    path = reverse("events", args=[project_id, job_id])
    return HttpResponseRedirect(f"{path}?{qs}#{anchor}")
