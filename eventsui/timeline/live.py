"""Live tail: the events newer than the newest row a timeline page shows.

A timeline URL with live=1 (the Live checkbox, offered for a job that has not
finished) renders a poller in its results (templates/timeline/live.html).
static/eventsui/live.js fires it every POLL_SECONDS while the tab is visible;
it asks GET /projects/<p>/jobs/<j>/events/live/?after=<cursor>&<the page's
filters> and gets back only the new rows (templates/timeline/live_rows.html),
never the page again. The choices made here:

- The cursor is the newest shown event's second (epoch seconds) and the
  anchors of the rows shown at that second: "1764223205~ev-0123456789ab~...".
  The API records times to the second, so one query from that second
  (start_time = the second, end_time = now, order asc, limit 100) returns the
  rows already shown there again, and they are dropped by their anchors: an
  event at a shared second is neither repeated nor lost. Anchors rank
  identical events oldest first among the rows at hand (anchors.py), and every
  copy at the cursor second is on both sides, so the ranks agree. An empty
  page starts a minute before it was rendered: it showed nothing to repeat.
- The answer: 204 when nothing is new (htmx swaps nothing); 200 with the new
  rows and the next poller; 286 (htmx's "stop polling") with the last rows and
  a stopped poller when the job has finished, the time window has ended, or a
  full 100 rows arrived at once (the page then offers a reload rather than
  trail behind). A job counts as finished for good FINAL_AFTER (2 minutes)
  after it ended, as the cache does, so events written just after the end
  still arrive. The phase comes from get_job, cached briefly for running jobs.
- An upstream failure keeps polling with the same cursor (the status line says
  why), except a job that is gone or a query ModelArts refuses: those stop.
- Bad filters or cursor answer 400 with a stopped poller, and nothing is asked
  of ModelArts; so do bad ids (job_view).
- The page's counts move with the rows: the poller's URL carries the page's
  total and its last row's number (total=, to=), and an answer with new rows
  swaps both, raised by the rows' number, into the summary out of band
  (hx-swap-oob): "Showing events 1-53 of 30,003" moves without an extra call.
- Live tail follows the newest end of the events: page one newest first, the
  last page oldest first, and a time window that has not ended. Elsewhere the
  page says so and links to the newest page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from eventsui import metrics
from eventsui.core.access import job_view
from eventsui.core.forms import with_query
from eventsui.modelarts import (
    Event,
    EventPage,
    EventQuery,
    Job,
    JobNotFound,
    ModelArtsError,
    get_client,
)
from eventsui.modelarts.cache import FINAL_AFTER, CachedModelArtsClient
from eventsui.modelarts.errors import NotFound, UpstreamBadRequest
from eventsui.modelarts.merge import list_events
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import MAX_PAGE_SIZE

from .anchors import anchors
from .forms import EventFiltersForm, canonical_params
from .search import Highlight
from .zones import ViewerZone, viewer_zone

POLL_SECONDS = 3
POLL_LIMIT = MAX_PAGE_SIZE
# Keeps the poll URL well inside a server's request-line limit (4 KB).
MAX_SEEN = 100
# An empty page shows no event at all, so none can be shown twice: it follows
# from a little before it was rendered, for events recorded a little late.
EMPTY_PAGE_LOOKBACK = timedelta(minutes=1)
# Why a page cannot follow new events (_not_newest), and what its status line says then.
WINDOW_ENDED, NOT_NEWEST, PAST_THE_END = "window_ended", "not_newest", "past_the_end"
_WAITING = {
    WINDOW_ENDED: gettext_noop(
        "Live: waiting. Live tail follows the newest events, and the chosen time window has ended."
    ),
    NOT_NEWEST: gettext_noop(
        "Live: waiting. Live tail follows the newest events, "
        "and this page does not hold the newest events."
    ),
    PAST_THE_END: gettext_noop(
        "Live: waiting. Live tail follows the newest events, and this page is past the last event."
    ),
}
ROWS_TEMPLATE = "timeline/live_rows.html"

_CURSOR_RE = re.compile(r"(?P<second>[0-9]{1,11})(?P<seen>(?:~ev-[0-9a-f]{12}(?:-[0-9]{1,6})?)*)")


@dataclass(frozen=True)
class Cursor:
    """Where a page's rows end: the newest second shown and the row ids shown at it."""

    second: int
    seen: frozenset[str] = frozenset()

    def encode(self) -> str:
        return "~".join([str(self.second), *sorted(self.seen)])

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = _CURSOR_RE.fullmatch(text)
        if match is None:
            raise ValueError("not a cursor")
        seen = frozenset(match["seen"].split("~")[1:])
        if len(seen) > MAX_SEEN:
            raise ValueError("too many ids in the cursor")
        return cls(int(match["second"]), seen)

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.second, tz=UTC)


def cursor_after(events: Sequence[Event], ids: Sequence[str], fallback: Cursor) -> Cursor:
    """The cursor past these rows, in any order: their newest second and the ids at it.

    Without a readable time among them, the fallback's second. Rows whose time
    could not be read join the seen ids, so a query that returns them again
    does not show them twice.
    """
    seconds = [int(e.time.timestamp()) if e.time is not None else None for e in events]
    newest = max((s for s in seconds if s is not None), default=fallback.second)
    seen = {i for i, s in zip(ids, seconds, strict=True) if s is None or s == newest}
    if newest == fallback.second:
        seen |= fallback.seen
    return Cursor(newest, frozenset(seen))


def _now() -> datetime:
    return timezone.now()


def _finished_for_good(job: Job, now: datetime) -> bool:
    """Finished long enough ago that no more events are expected."""
    return job.finished and (job.ended is None or now - job.ended >= FINAL_AFTER)


def _finished_message(job: Job) -> str:
    return gettext("Live: stopped. The job has finished (%(phase)s).") % {"phase": job.phase}


def _stopped_because(exc: ModelArtsError) -> str:
    return gettext("Live: stopped. %(reason)s") % {"reason": exc.message}


def _not_newest(query: EventQuery, total: int, now: datetime, relative: str) -> str:
    """Why this page cannot follow new events, or "" if it can.

    A relative range (the last hour, say) slides with the clock: it never ends.
    """
    if query.end is not None and query.end <= now and not relative:
        return WINDOW_ENDED
    if query.order == "desc" and query.offset > 0:
        return NOT_NEWEST
    if query.order == "asc" and query.offset + query.limit < total:
        return NOT_NEWEST
    if query.order == "asc" and 0 < total <= query.offset:
        return PAST_THE_END
    return ""


def newest_page_query(query: EventQuery, total: int) -> EventQuery:
    """The page that ends at the newest matching event: the first, or the last in asc."""
    if query.order == "desc" or total <= 0:
        return replace(query, offset=0)
    return replace(query, offset=(total - 1) // query.limit * query.limit)


@dataclass(frozen=True)
class Counts:
    """The summary's moving numbers: events in all, the first and last shown rows' numbers."""

    total: int
    first: int
    to: int

    def plus(self, new: int) -> Counts:
        return Counts(self.total + new, self.first, self.to + new)


def poll_url(
    project_id: str,
    job_id: str,
    query: EventQuery,
    cursor: Cursor,
    *,
    fold: bool = False,
    relative: str = "",
    counts: Counts | None = None,
) -> str:
    """The live endpoint for this page's filters (and its view state), from cursor on."""
    params = canonical_params(query, fold=fold, relative=relative)
    params["after"] = cursor.encode()
    if counts is not None:
        params["total"], params["to"] = str(counts.total), str(counts.to)
    return with_query(reverse("events_live", args=[project_id, job_id]), params)


def page_context(
    *,
    project_id: str,
    job_id: str,
    query: EventQuery,
    page: EventPage,
    rows: Sequence[tuple[Event, str, str]],
    enabled: bool,
    fold: bool = False,
    relative: str = "",
    job: Job | None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """What templates/timeline/live.html shows on a page with live=1; None without it.

    The job is unknown in an htmx fragment (only the full page fetches it):
    then the first poll says whether it has finished.
    """
    if not enabled:
        return None
    now = now or _now()
    if job is not None and _finished_for_good(job, now):
        return {"state": "stopped", "message": _finished_message(job)}
    reason = _not_newest(query, page.total, now, relative)
    if reason:
        events_path = reverse("events", args=[project_id, job_id])
        newest_query = newest_page_query(query, page.total)
        newest = canonical_params(newest_query, fold=fold, live=True, relative=relative)
        return {
            "state": "elsewhere",
            "message": gettext(_WAITING[reason]),
            "newest_url": None if reason == WINDOW_ENDED else with_query(events_path, newest),
        }
    start = Cursor(int((now - EMPTY_PAGE_LOOKBACK if not rows else now).timestamp()))
    cursor = cursor_after([e for e, _, _ in rows], [a for _, a, _ in rows], start)
    if len(cursor.seen) > MAX_SEEN:
        return {
            "state": "stopped",
            "message": gettext(
                "Live: off. More than %(n)s events share the newest second, "
                "too many to follow from here."
            )
            % {"n": intcomma(MAX_SEEN)},
        }
    return {
        "state": "on",
        "order": query.order,
        "poll_url": poll_url(
            project_id,
            job_id,
            query,
            cursor,
            fold=fold,
            relative=relative,
            counts=Counts(page.total, query.offset + 1, query.offset + len(page.events)),
        ),
        "poll_seconds": POLL_SECONDS,
    }


# -- the poll ----------------------------------------------------------------------------


class LiveForm(EventFiltersForm):
    """The timeline's filters and the cursor a poll continues from."""

    after = forms.CharField(max_length=2000, strip=False)
    # The page's counts (Counts); a poller from before they were carried has none.
    total = forms.IntegerField(min_value=0, max_value=10**12, required=False)
    to = forms.IntegerField(min_value=0, max_value=10**12, required=False)

    def counts(self) -> Counts | None:
        total, to = self.cleaned_data.get("total"), self.cleaned_data.get("to")
        first = (self.cleaned_data.get("offset") or 0) + 1
        return None if total is None or to is None else Counts(total, first, to)

    def clean_after(self) -> Cursor:
        try:
            return Cursor.parse(self.cleaned_data["after"])
        except ValueError:
            raise forms.ValidationError(
                _("Give the cursor as epoch seconds and up to 100 ~ev- ids."), code="invalid"
            ) from None


def _poller(request: HttpRequest, zone: ViewerZone, *, state: str, **context: Any) -> str:
    """The next poller, carrying the new rows (printed in the viewer's zone) and a message."""
    context = {
        "message": "",
        "next_url": "",
        "rows": (),
        "reload_url": "",
        "hl": None,
        "counts": None,
        **context,
    }
    return render_to_string(
        ROWS_TEMPLATE, {**context, "state": state, "zone": zone, "mark": ""}, request
    )


def _stopped(
    request: HttpRequest, zone: ViewerZone, message: str, status: int = 286, **context: Any
) -> HttpResponse:
    """A poller that polls no more; 286 is htmx's "stop polling"."""
    metrics.record_live_poll("stopped")
    content = _poller(request, zone, state="stopped", message=message, **context)
    if status == 286:
        return HttpResponseStopPolling(content)
    return HttpResponse(content, status=status)


def _window(
    query: EventQuery, cursor: Cursor, now: datetime, relative: str
) -> tuple[datetime, datetime, bool]:
    """From the cursor's second to now, inside the page's own window; and whether it has ended.

    A relative range was resolved against now by the form: it has not ended.
    """
    start = cursor.moment if query.start is None else max(cursor.moment, query.start)
    end = now.replace(microsecond=0)
    if query.end is None or relative:
        return start, end, False
    return start, min(end, query.end), query.end <= end


def _newer(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    start: datetime,
    end: datetime,
) -> tuple[Event, ...]:
    """The page's filters from start to end, oldest first: up to POLL_LIMIT events."""
    if start > end:
        return ()
    poll = replace(query, start=start, end=end, order="asc", offset=0, limit=POLL_LIMIT)
    return list_events(client, project_id, job_id, poll).events


def _permalink(events_path: str, query: EventQuery, anchor: str, fold: bool) -> str:
    return f"{with_query(events_path, canonical_params(query, anchor, fold=fold))}#{anchor}"


@job_view
@require_GET
@never_cache
def live_events(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id, now, zone = project.project_id, _now(), viewer_zone(request)
    form = LiveForm(request.GET, zone=zone.tz, now=now)
    if not form.is_valid():
        fields = ", ".join(form.errors)
        message = gettext(
            "Live: stopped. These filters cannot be used (%(fields)s): reload the page."
        ) % {"fields": fields}
        return _stopped(request, zone, message, status=400)
    query, cursor = form.to_query(), form.cleaned_data["after"]
    fold, relative = form.cleaned_data["fold"] == "1", form.range_key
    counts = form.counts()
    client = get_client(project)
    try:
        job: Job | None = client.get_job(project_id, job_id)
    except JobNotFound as exc:
        return _stopped(request, zone, _stopped_because(exc), status=exc.status)
    except ModelArtsError:
        job = None  # the events call says whether ModelArts answers at all
    start, end, window_over = _window(query, cursor, now, relative)
    try:
        events = _newer(client, project_id, job_id, query, start, end)
    except (JobNotFound, NotFound, UpstreamBadRequest) as exc:
        return _stopped(request, zone, _stopped_because(exc), status=exc.status)
    except ModelArtsError as exc:
        # Likely to pass on a later try: poll on from the same cursor.
        message = gettext("Live: on, but the last check failed. %(reason)s Trying again.") % {
            "reason": exc.message
        }
        same = poll_url(
            project_id, job_id, query, cursor, fold=fold, relative=relative, counts=counts
        )
        content = _poller(request, zone, state="on", message=message, next_url=same)
        metrics.record_live_poll("failed")
        return HttpResponse(content, status=exc.status)

    events_path = reverse("events", args=[project_id, job_id])
    ids = anchors(events, "asc")
    fresh = [(e, a) for e, a in zip(events, ids, strict=True) if a not in cursor.seen]
    shown = fresh if query.order == "asc" else fresh[::-1]
    rows = [(e, a, _permalink(events_path, query, a, fold)) for e, a in shown]
    # New rows mark the pattern's matches as the page's rows do (live tail
    # is off under the filters eventsui applies itself, so this is all).
    hl = Highlight(pattern=query.pattern or "", ignore_case=False)
    counts = counts.plus(len(rows)) if counts is not None else None
    following = cursor_after(events, ids, cursor)
    if len(events) >= POLL_LIMIT or len(following.seen) > MAX_SEEN:
        page = canonical_params(query, fold=fold, live=True, relative=relative)
        message = gettext("Live: stopped. More than %(n)s new events arrived at once.") % {
            "n": intcomma(POLL_LIMIT)
        }
        return _stopped(
            request,
            zone,
            message,
            rows=rows,
            hl=hl,
            counts=counts,
            reload_url=with_query(events_path, page),
        )
    if job is not None and _finished_for_good(job, now):
        message = _finished_message(job)
        return _stopped(request, zone, message, rows=rows, hl=hl, counts=counts)
    if window_over:
        message = gettext("Live: stopped. The chosen time window has ended.")
        return _stopped(request, zone, message, rows=rows, hl=hl, counts=counts)
    if not rows:
        metrics.record_live_poll("nothing_new")
        return HttpResponse(status=204)
    next_url = poll_url(
        project_id, job_id, query, following, fold=fold, relative=relative, counts=counts
    )
    metrics.record_live_poll("new_rows")
    content = _poller(request, zone, state="on", next_url=next_url, rows=rows, hl=hl, counts=counts)
    return HttpResponse(content)
