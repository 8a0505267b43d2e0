"""Any event in context: the unfiltered timeline around it, with the event marked.

GET /projects/<project_id>/jobs/<job_id>/events/context/?at=<time>&mark=<anchor>
is the "Show in context" link of every row of a filtered view. It redirects
to the canonical timeline URL of an absolute window, oldest first, 100 a page,
at the page that holds the event, with `mark=<anchor>` and `#<anchor>`, so
the row is marked and scrolled into view, and the link can be shared as is.
The window and the page are found as for a failed job's first Error (the
failure view shares these functions):

- the window starts at the earliest of the CONTEXT_BEFORE (20) events up to
  the event, so the lead-up is on the page, and ends at the job's end: its
  start (or creation) plus its duration once finished, the moment of the
  request while it runs, never before the event and never open;
- its offset is that of the page holding the event: the events in the window
  before the event's second are counted, and as events share seconds, that
  page is fetched to find the row (one page further if its second spilled
  over). The row is the one whose id is `mark` (anchors.py), its twin's
  rank counted among the rows of that page.

Cost, stated and bounded: at most 5 ModelArts calls, each from the
project's budget, and all of them ordinary cached answers: the job (usually
cached by the page the link is on), the 20 events before it, the count
before its second, and its page (rarely the next one too).

Input: `at` (an instant, as the timeline reads times) and `mark` (an event
id) are required; anything else about them is a 400 and asks ModelArts
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Event, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import MAX_PAGE_SIZE

from .anchors import ANCHOR_RE, anchors, event_key
from .forms import InstantField, canonical_params
from .times import format_instant

logger = logging.getLogger(__name__)

CONTEXT_BEFORE = 20
PAGE_LIMIT = MAX_PAGE_SIZE
# How far back to look for the lead-up when the job's creation time is unknown.
LOOKBACK = timedelta(days=1)
_MS = timedelta(milliseconds=1)

# Whether a row (with its anchor on the page) is the event sought.
Target = Callable[[Event, str], bool]


def event_url(project_id: str, job_id: str, event: Event) -> str | None:
    """An event's "Show in context" link (this view), or None for a time eventsui cannot read.

    The mark is the event's own id; a twin of the same second is found by
    rank on the page, so the first of identical twins is the one marked.
    """
    if event.time is None:
        return None
    path = reverse("events_context", args=[project_id, job_id])
    return f"{path}?{encode({'at': format_instant(event.time), 'mark': event_key(event)})}"


def window_end(job: Job, at: datetime) -> datetime:
    """When the job ended, or now while it runs; never before the event at `at`."""
    began = job.started or job.created
    if job.finished and job.duration_ms and began is not None:
        end = began + timedelta(milliseconds=job.duration_ms)
        if end >= at:
            return end
    # Running, or an end that cannot be right: events are to the second.
    return max(timezone.now().replace(microsecond=0), at)


def window_start(
    client: ModelArtsClient, project_id: str, job_id: str, job: Job, at: datetime
) -> datetime:
    """The time of the earliest of the CONTEXT_BEFORE events up to `at`."""
    lookback = at - LOOKBACK
    if job.created is not None and job.created <= at:
        lookback = job.created.replace(microsecond=0)
    before = client.list_events(
        project_id,
        job_id,
        EventQuery(start=lookback, end=at, order="desc", limit=CONTEXT_BEFORE),
    )
    times = [e.time for e in before.events if e.time is not None]
    return min([*times, at])


def locate(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    window: EventQuery,
    at: datetime,
    is_target: Target,
) -> tuple[int, str | None]:
    """The offset of the page of window that shows the event at `at`, and its row's anchor.

    The anchor is None when no row of the pages where its count puts it is
    the one sought (the offset is then the count's).
    """
    assert window.start is not None
    offset = 0
    if window.start <= at - _MS:
        earlier = client.list_events(
            project_id,
            job_id,
            EventQuery(start=window.start, end=at - _MS, order="asc", limit=1),
        )
        offset = earlier.total // window.limit * window.limit
    # Rows of the event's own second may come before it and push it onto the
    # next page; the anchor's suffix depends on the rows shown with it.
    for candidate in (offset, offset + window.limit):
        page = client.list_events(project_id, job_id, replace(window, offset=candidate))
        for row, anchor in zip(page.events, anchors(page.events, page.order), strict=True):
            if is_target(row, anchor):
                return candidate, anchor
        if candidate + window.limit >= page.total:
            break
    return offset, None


def _id_and_rank(anchor: str) -> tuple[str, int]:
    """ "ev-0123456789ab-2" is ("ev-0123456789ab", 2); a bare id is rank 1."""
    bare, _, rank = anchor.partition("-")[2].partition("-")
    return f"ev-{bare}", int(rank) if rank else 1


def marked(mark: str) -> Target:
    """The row whose id is mark: its event's id, and the nth of identical twins for "-n".

    The rank is counted among the rows shown, so a twin's suffix in a filtered
    view may differ from the one it has in context: the nth twin is taken.
    """
    sought = _id_and_rank(mark)
    return lambda row, anchor: _id_and_rank(anchor) == sought


class ContextForm(forms.Form):
    at = InstantField(label=_("Event time"))
    mark = forms.RegexField(
        regex=ANCHOR_RE,
        max_length=40,
        label=_("Event id"),
        error_messages={"invalid": _("Enter an event id: ev- and 12 hex digits.")},
    )


@job_view
@require_GET
@never_cache  # a running job's window ends at the moment of the request
def event_context(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id = project.project_id
    form = ContextForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(
            f"{form[name].label}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        refused = {"status": 400, "title": _("This event cannot be shown"), "message": problems}
        return render(request, "core/error.html", refused, status=400)
    at: datetime = form.cleaned_data["at"]
    mark: str = form.cleaned_data["mark"]

    template = "timeline/context.html"
    client = get_client(project)
    context: dict[str, object] = {"project_id": project_id, "job_id": job_id}
    try:
        job = client.get_job(project_id, job_id)
        context["job"] = job
        at = at.replace(microsecond=0)
        window = EventQuery(
            start=window_start(client, project_id, job_id, job, at),
            end=window_end(job, at),
            order="asc",
            limit=PAGE_LIMIT,
        )
        offset, found = locate(client, project_id, job_id, window, at, marked(mark))
    except ModelArtsError as exc:
        return upstream_error(request, template, context, exc)
    if found is None:
        # Shown anyway at its time; the mark then names no row.
        logger.info("an event to show in context is not where its time puts it")
    anchor = found or mark
    qs = encode(canonical_params(replace(window, offset=offset), anchor))
    path = reverse("events", args=[project_id, job_id])
    return HttpResponseRedirect(f"{path}?{qs}#{anchor}")
