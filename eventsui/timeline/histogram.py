"""The event histogram above the timeline's table: counts per time bucket, stacked by level.

GET /projects/<project_id>/jobs/<job_id>/events/histogram/ with the timeline's
filters answers an HTML fragment holding an inline SVG bar chart. The results
region loads it after itself (hx-trigger="load"), so the table never waits for
it. The choices made here:

- Range. start_time/end_time when given. Otherwise the whole job: from its
  create time (one get_job call), floored to the second since events carry
  whole seconds, to now for a job that may still run. For a finished job the
  end is its start time (its create time if it never started) plus its
  duration, or the newest matching event if that is later (the first probe
  below has it): ModelArts records some events after that end (a job that
  failed to be created has duration 0, its failure event seconds later).
- Buckets. The upstream has no aggregation call. The range is cut at UTC
  multiples of a round step (1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 min, ... 1 h,
  2 h, 3 h, 6 h, 12 h, 1 day, 2 days, then whole days), the smallest step
  giving at most MAX_BUCKETS (30) buckets; an edge piece shorter than half a
  step, or than a second, joins its neighbour. A range under 30 seconds gets
  one bucket per second, a longer one 12 to 30 (about 25 typically); no bucket
  is shorter than a second unless the whole range is. Each bucket is
  [start, end] in epoch milliseconds, both inclusive as the upstream reads
  start_time/end_time, and the next one starts 1 ms after it ends: the buckets
  partition the range, so the bars add up to the range's total.
- Counting, at the least cost in upstream calls. The upstream has no
  aggregation call, but a page of 100 events costs what a count does:
  1. A probe: the window's newest 100 events with their total, unfiltered
     when no level is chosen, else one per chosen level. A window of at most
     LOCAL_MAX (500) events is then read whole (the probe, then the older
     events oldest first, whose offsets do not move while new events arrive)
     and counted here: the failed sandbox job is 2 calls, not 75.
  2. A larger window is probed per level. A level of at most LOCAL_MAX events
     is read and counted the same way (errors and warnings usually are);
     only a larger one is counted per bucket, by one limit=1 call whose
     `total` is the count. A 24,000-event job: 1 + 3 probes + ~30 buckets.
  3. Buckets that closed more than the short TTL ago are cached as long as a
     finished job's answers (cache.py), so a revisit of a running job asks
     again only for the probes and its open last bucket.
  Plus one get_job call without a range (usually cached by the page). At
  most MAX_WORKERS (6) calls run at a time, each inside the project's call
  budget (modelarts/budget.py): past it, the fragment answers 429 with
  Retry-After and says when to try again.
- Failure. If any call fails the fragment is a one-line message (status 200)
  and the page around it is unaffected; bad filters or ids are 400, and nothing
  is asked of ModelArts.
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.modelarts import Event, EventPage, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.budget import BudgetExhausted
from eventsui.modelarts.cache import CachedModelArtsClient
from eventsui.modelarts.client import epoch_ms
from eventsui.modelarts.merge import levels_of, list_events
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import LEVELS, MAX_PAGE_SIZE

from .forms import EventFiltersForm, canonical_params
from .zones import format_time, viewer_zone

logger = logging.getLogger(__name__)

MAX_BUCKETS = 30
MAX_WORKERS = 6
PAGE = MAX_PAGE_SIZE
# A window (or level) of at most this many events is read and counted here:
# 5 pages, where counting by query costs a call per bucket.
LOCAL_MAX = 500
TEMPLATE = "timeline/histogram.html"

_SECOND = 1000
_DAY = 86_400 * _SECOND
# Round bucket lengths, in seconds: 1 s to 30 min, 1 h to 12 h, 1 and 2 days;
# longer ones are whole days (_steps).
_STEP_SECONDS: tuple[int, ...] = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800)
_STEP_SECONDS += (3600, 7200, 10800, 21600, 43200, 86400, 172800)
_STEPS = tuple(seconds * _SECOND for seconds in _STEP_SECONDS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Bottom to top of a bar: the rarest and most telling level lowest, where
# the eye finds it.
STACK_ORDER = ("Error", "Warning", "Info")
# Fallback fills for a page without the stylesheet; eventsui.css sets the
# light and dark colours through the hist-<level> classes.
FILLS = {"Error": "#cf222e", "Warning": "#bf8700", "Info": "#0969da"}

# The drawing, in SVG user units.
WIDTH, HEIGHT = 720, 150
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 40, 712, 8, 128
MIN_SEGMENT = 1.5  # a level with any event stays visible


def from_ms(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


@dataclass(frozen=True)
class Bucket:
    start_ms: int
    end_ms: int  # inclusive, as the upstream reads end_time

    @property
    def start(self) -> datetime:
        return from_ms(self.start_ms)

    @property
    def end(self) -> datetime:
        return from_ms(self.end_ms)


class NoRange(Exception):
    """The job's own times cannot give a range; the reader has to choose one."""


# -- buckets --------------------------------------------------------------------------


def _steps(span_ms: int) -> Iterator[int]:
    yield from _STEPS
    # Past two days: whole days, as few as give MAX_BUCKETS buckets or fewer.
    yield from (days * _DAY for days in itertools.count(max(1, span_ms // (MAX_BUCKETS * _DAY))))


def partition(start_ms: int, end_ms: int) -> tuple[list[Bucket], int]:
    """Buckets covering [start_ms, end_ms] exactly, and the step they were cut at."""
    if end_ms < start_ms:
        raise ValueError("the range ends before it starts")
    for step in _steps(end_ms - start_ms + 1):
        if end_ms // step - start_ms // step + 1 > MAX_BUCKETS + 2:
            continue
        cuts = list(range((start_ms // step + 1) * step, end_ms + 1, step))
        shortest = max(step // 2, _SECOND)
        while cuts and cuts[0] - start_ms < shortest:
            cuts.pop(0)
        while cuts and end_ms + 1 - cuts[-1] < shortest:
            cuts.pop()
        if len(cuts) + 1 <= MAX_BUCKETS:
            edges = [start_ms, *cuts, end_ms + 1]
            return [Bucket(a, b - 1) for a, b in itertools.pairwise(edges)], step
    raise AssertionError("unreachable: a step as long as the range gives at most 2 buckets")


# -- the range and the counts ---------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """The histogram's data: its buckets, their counts per level, and what it cost to know."""

    buckets: list[Bucket]
    step: int
    counts: list[dict[str, int]]
    source_ignored: bool


def _active_ttl_ms() -> int:
    return int(settings.MODELARTS_CACHE_TTL_ACTIVE) * _SECOND


def _probe_query(query: EventQuery, level: str | None) -> EventQuery:
    """The newest page of the window (the query's own start/end, if any) at one level."""
    return replace(query, level=level, order="desc", offset=0, limit=PAGE)


def job_range(job: Job, newest: datetime | None, now: datetime) -> tuple[int, int]:
    """The whole job's range in epoch ms, inclusive: its create time to its last event, or now.

    `newest` is the newest matching event's time, known from the first probe.
    """
    if job.created is None:
        raise NoRange("ModelArts gave no create time for this job: choose From and To.")
    start = epoch_ms(job.created) // _SECOND * _SECOND
    if not job.finished:
        end = epoch_ms(now)
    else:
        began = job.started or job.created
        end = epoch_ms(began) + (job.duration_ms or 0)
        if newest is not None:
            end = max(end, epoch_ms(newest))
        # Events carry whole seconds: the range ends with its last second.
        end = end // _SECOND * _SECOND + _SECOND - 1
    return start, max(start, end)


class _Counter:
    """One histogram's calls: at most MAX_WORKERS at a time, each in the request's context."""

    def __init__(self, client: CachedModelArtsClient, project_id: str, job_id: str) -> None:
        self.client, self.project_id, self.job_id = client, project_id, job_id
        self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="histogram")

    def submit(self, query: EventQuery) -> Future[EventPage]:
        # copy_context: the call carries the request's X-Language and budget patience.
        return self.pool.submit(
            copy_context().run, list_events, self.client, self.project_id, self.job_id, query
        )

    def all_pages(self, query: EventQuery, first: Future[EventPage]) -> Iterator[EventPage]:
        """Every page of query, given its first (offset 0) already asked for."""
        page = first.result()
        rest = [self.submit(replace(query, offset=o)) for o in range(PAGE, page.total, PAGE)]
        yield page
        for future in rest:
            yield future.result()

    def read(
        self, probe: EventQuery, first: EventPage, buckets: list[Bucket], window_open: bool
    ) -> Callable[[], Iterator[Event]]:
        """Every event of a small probed window, to count here, at the least lasting cost.

        The probe is the window's newest page. If it holds everything, that is
        all. Otherwise, for a window that may still grow (a running job), the
        time before the open last bucket is read as a window of its own: it is
        closed, so its pages are cached as long as a finished job's answers,
        and a revisit reads again only the probe and, if the probe does not
        reach back that far, the open bucket. For a closed window the events
        older than the probe are read oldest first, whose offsets do not move.
        """
        if first.total <= PAGE:
            return lambda: iter(first.events)
        if window_open and len(buckets) > 1:
            boundary = buckets[-1].start_ms
            closed = replace(
                probe, start=buckets[0].start, end=from_ms(boundary - 1), order="asc", offset=0
            )
            closed_pages = self.all_pages(closed, self.submit(closed))
            oldest = first.events[-1].time if first.events else None
            if oldest is not None and epoch_ms(oldest) < boundary:
                recent: Iterator[EventPage] = iter((first,))
            else:
                opened = replace(probe, start=buckets[-1].start, end=buckets[-1].end)
                recent = self.all_pages(opened, self.submit(opened))

            def split() -> Iterator[Event]:
                for page in closed_pages:
                    yield from page.events
                for page in recent:
                    yield from (e for e in page.events if e.time and epoch_ms(e.time) >= boundary)

            return split
        older = first.total - PAGE
        oldest_first = replace(probe, order="asc")
        pages = [
            (self.submit(replace(oldest_first, offset=o)), min(PAGE, older - o))
            for o in range(0, older, PAGE)
        ]

        def probe_and_older() -> Iterator[Event]:
            yield from first.events
            for page, rows in pages:
                yield from page.result().events[:rows]

        return probe_and_older

    def bucket_counts(
        self, query: EventQuery, level: str, buckets: list[Bucket]
    ) -> list[Future[EventPage]]:
        """One limit=1 call per bucket, whose total is the bucket's count."""
        return [
            self.submit(
                replace(
                    query, level=level, start=b.start, end=b.end, order="desc", offset=0, limit=1
                )
            )
            for b in buckets
        ]


def _tally(
    events: Iterable[Event],
    buckets: list[Bucket],
    levels: tuple[str, ...],
    counts: list[dict[str, int]],
) -> None:
    """Add events to their bucket and level; those outside the range or levels are left out."""
    starts = [b.start_ms for b in buckets]
    last = buckets[-1].end_ms
    by_name = {level.casefold(): level for level in levels}
    for event in events:
        level = by_name.get(event.level.casefold())
        if event.time is None or level is None:
            continue
        at = epoch_ms(event.time)
        if starts[0] <= at <= last:
            counts[bisect.bisect_right(starts, at) - 1][level] += 1


def count(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    levels: tuple[str, ...],
    now: datetime,
) -> Counted:
    """Each bucket's count per level, at the least upstream cost (see the module docstring).

    The first failure cancels the calls not yet started and is raised.
    """
    counter = _Counter(client, project_id, job_id)
    try:
        return _count(counter, query, levels, now)
    except ModelArtsError:
        counter.pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        counter.pool.shutdown(wait=True)


def _count(counter: _Counter, query: EventQuery, levels: tuple[str, ...], now: datetime) -> Counted:
    # The probes: the window's newest page, unfiltered when no level is chosen
    # (one call may then be the whole story), else one per chosen level.
    whole = None if query.level else counter.submit(_probe_query(query, None))
    per_level: dict[str, Future[EventPage]] = {}
    if whole is None or whole.result().total > LOCAL_MAX:
        per_level = {level: counter.submit(_probe_query(query, level)) for level in levels}
    probes = [f.result() for f in ([whole] if whole else []) + list(per_level.values())]

    if query.start is not None and query.end is not None:
        start, end = epoch_ms(query.start), epoch_ms(query.end)
    else:
        job = counter.client.get_job(counter.project_id, counter.job_id)
        newest = max((e.time for p in probes for e in p.events[:1] if e.time), default=None)
        start, end = job_range(job, newest, now)
    buckets, step = partition(start, end)
    counts = [dict.fromkeys(levels, 0) for _ in buckets]

    # A window that may still gain events: its last bucket is open.
    window_open = end > epoch_ms(now) - _active_ttl_ms()
    local: list[Callable[[], Iterator[Event]]] = []
    by_query: list[tuple[str, list[Future[EventPage]]]] = []
    if whole is not None and not per_level:
        first = whole.result()
        local.append(counter.read(_probe_query(query, None), first, buckets, window_open))
    for level, future in per_level.items():
        first = future.result()
        if first.total <= LOCAL_MAX:
            local.append(counter.read(_probe_query(query, level), first, buckets, window_open))
        else:
            by_query.append((level, counter.bucket_counts(query, level, buckets)))
    for events in local:
        _tally(events(), buckets, levels, counts)
    for level, futures in by_query:
        for row, page in zip(counts, futures, strict=True):
            row[level] = page.result().total
    ignored = any(p.source_filter_ignored for p in probes)
    return Counted(buckets, step, counts, ignored)


# -- the drawing --------------------------------------------------------------------


def _moment(millis: int, *, end: bool = False, zone: tzinfo = UTC) -> str:
    """A bucket edge in the viewer's zone, named; milliseconds only where not whole."""
    whole = millis % _SECOND == (_SECOND - 1 if end else 0)
    return format_time(from_ms(millis), zone, millis=not whole)


def _step_label(step: int) -> str:
    seconds = step // _SECOND
    for unit, name in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds % unit == 0:
            n = seconds // unit
            return f"{n} {name}{'s' if name == 'day' and n != 1 else ''}"
    return f"{seconds} s"


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def zoom_url(events_path: str, query: EventQuery, bucket: Bucket) -> str:
    """The timeline narrowed to one bucket, its other filters kept, from the first page."""
    params = canonical_params(replace(query, start=bucket.start, end=bucket.end, offset=0))
    return f"{events_path}?{encode(params)}"


def histogram_url(project_id: str, job_id: str, query: EventQuery) -> str:
    """The histogram of a timeline view: its filters, without its page."""
    path = reverse("events_histogram", args=[project_id, job_id])
    params = canonical_params(replace(query, offset=0))
    return f"{path}?{encode(params)}" if params else path


def chart(
    events_path: str,
    query: EventQuery,
    buckets: list[Bucket],
    counts: list[dict[str, int]],
    levels: tuple[str, ...],
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """What the template draws: bars with their links, titles and stacked segments.

    Times are printed in `zone` (the viewer's); the buckets stay cut at UTC
    multiples of the step.
    """
    first, last = buckets[0].start_ms, buckets[-1].end_ms
    span = last + 1 - first
    plot_width, plot_height = PLOT_RIGHT - PLOT_LEFT, PLOT_BOTTOM - PLOT_TOP
    peak = max((sum(c.values()) for c in counts), default=0)
    stacked = [level for level in STACK_ORDER if level in levels]
    bars = []
    for bucket, by_level in zip(buckets, counts, strict=True):
        x = PLOT_LEFT + (bucket.start_ms - first) / span * plot_width
        width = (bucket.end_ms + 1 - bucket.start_ms) / span * plot_width
        gap = min(2.0, width * 0.2)
        total = sum(by_level.values())
        segments = []
        top = float(PLOT_BOTTOM)
        for level in stacked:
            n = by_level[level]
            if not n:
                continue
            height = max(n / peak * plot_height, MIN_SEGMENT)
            top -= height
            segments.append(
                {"level": level, "fill": FILLS[level], "y": _n(top), "height": _n(height)}
            )
        label_counts = ", ".join(f"{by_level[level]} {level}" for level in stacked)
        title = (
            f"{_moment(bucket.start_ms, zone=zone)} to "
            f"{_moment(bucket.end_ms, end=True, zone=zone)}: "
            f"{total} event{'' if total == 1 else 's'} ({label_counts}). "
            f"Times in {getattr(zone, 'key', 'UTC')}."
        )
        bars.append(
            {
                "url": zoom_url(events_path, query, bucket),
                "title": title,
                "total": total,
                "x": _n(x + gap / 2),
                "width": _n(max(width - gap, 0.5)),
                "segments": segments,
            }
        )
    totals = {level: sum(c[level] for c in counts) for level in stacked}
    return {
        "bars": bars,
        "total": sum(totals.values()),
        "legend": [
            {"level": level, "fill": FILLS[level], "count": totals[level]}
            for level in reversed(stacked)
        ],
        "peak": peak,
        "range_start": _moment(first, zone=zone),
        "range_end": _moment(last, end=True, zone=zone),
        "box": {
            "width": WIDTH,
            "height": HEIGHT,
            "left": PLOT_LEFT,
            "right": PLOT_RIGHT,
            "top": PLOT_TOP,
            "bottom": PLOT_BOTTOM,
            "plot_height": plot_height,
            "label_y": HEIGHT - 6,
            "y_label_x": PLOT_LEFT - 4,
        },
    }


# -- the view -------------------------------------------------------------------------


def _status(exc: Exception) -> int:
    """200 for a failure the page around the chart can live with; 429 when the budget is spent.

    The budget's 429 (with Retry-After) tells the reader, and any client,
    when asking again is worth it; other failures are a line in the chart's
    place and leave the page as it is.
    """
    return 429 if isinstance(exc, BudgetExhausted) else 200


@job_view
@require_GET
@vary_on_cookie  # the viewer's time zone (zones.py)
def histogram(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id = project.project_id
    zone = viewer_zone(request)
    form = EventFiltersForm(request.GET, zone=zone.tz)
    if not form.is_valid():
        return render(request, TEMPLATE, {"failure": "These filters cannot be used."}, status=400)

    query = replace(form.to_query(), offset=0)
    # The combined level stacks its two levels, as the whole job stacks three.
    levels = levels_of(query.level) or LEVELS
    client = get_client(project)
    try:
        counted = count(client, project_id, job_id, query, levels, timezone.now())
    except (ModelArtsError, NoRange) as exc:
        reason = exc.message if isinstance(exc, ModelArtsError) else str(exc)
        logger.info("histogram unavailable: %s", type(exc).__name__)
        response = render(request, TEMPLATE, {"failure": reason}, status=_status(exc))
        if isinstance(exc, ModelArtsError) and exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response

    events_path = reverse("events", args=[project_id, job_id])
    context = chart(events_path, query, counted.buckets, counted.counts, levels, zone.tz)
    context.update(
        query=query, step=_step_label(counted.step), source_ignored=counted.source_ignored
    )
    return render(request, TEMPLATE, context)
