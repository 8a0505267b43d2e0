"""The event histogram above the timeline's table: counts per time bucket, stacked by level.

GET /projects/<project_id>/jobs/<job_id>/events/histogram/ with the timeline's
filters answers an HTML fragment holding an inline SVG bar chart. The results
region loads it after itself (hx-trigger="load"), so the table never waits for
it. The choices made here:

- Range (the domain): the window's first event to its last. The window is
  start_time/end_time when given, else the whole job (from its create time,
  floored to the second). It is cut to its oldest and newest events, so a
  week-long job that went quiet fills the chart with the days it wrote. A
  window still open (it reaches now: a running job, "the last hour") keeps
  its end, where new events land, unless it has been silent for longer than
  it wrote and over an hour: then it ends at its last event and says since
  when the job has been quiet (quiet()). The newest event comes with the probes
  below; the oldest is free when a probe holds its whole stream, comes with
  the first page of a window read whole, and otherwise costs one limit=1
  call oldest first (for the whole job over its first hour, a window that
  closes and is then cached long; over the whole window only if that hour
  was empty). A window without events keeps its own bounds.
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
  Plus one get_job call (usually cached by the page), for the whole job's
  range and for where zooming out stops. At most MAX_WORKERS (6) calls run
  at a time, each inside the project's call budget (modelarts/budget.py):
  past it, the fragment answers 429 with Retry-After and says when to try
  again. In all: 1 probe + 1 for the oldest event, or 1 + 3 + 1 + pages of
  the small levels + one per bucket of each large level; at most
  1 + 3 + 1 + 15 + 90, plus the job.
- Drawing. Linear bars (the honest scale for comparing counts), a y axis
  with round counts and the peak labelled, and time ticks at round times of
  the viewer's zone (at least four for a range of four seconds or more,
  labels such as "14:30", the date under the first and where the day
  changes). Errors and warnings stay visible however many Info events
  surround them: a strip under the bars has a row per level with a mark
  under every bucket holding any. A log scale would show them too, but
  makes 10 and 1,000 look alike; the strip keeps the bars true.
- Navigation. Each bar (and its strip marks) links to its bucket's range;
  "Zoom out" links to the window twice as wide around this one, kept inside
  the job (the whole job once it would cover it). histogram.js adds
  drag-to-select (the range from the first to the last bar dragged across,
  from bucket edges the server wrote) and makes the bars one Tab stop moved
  through with the arrow keys. Without JavaScript the timeline's
  placeholder is a link to this chart on a page of its own
  (histogram_page), whose bars are plain links.
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
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from eventsui.core.access import job_view
from eventsui.core.forms import encode, with_query
from eventsui.modelarts import Event, EventPage, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.budget import BudgetExhausted
from eventsui.modelarts.cache import FINAL_AFTER, CachedModelArtsClient
from eventsui.modelarts.client import epoch_ms
from eventsui.modelarts.merge import levels_of, list_events
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import LEVELS, MAX_PAGE_SIZE

from .forms import EventFiltersForm, canonical_params
from .levels import level_label
from .times import format_instant
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

# Under the bars, a row of marks per level for the buckets holding any:
# errors and warnings stay in sight beside thousands of Info events, while
# the bars keep a linear scale that reads true.
STRIP_LEVELS = ("Error", "Warning")
STRIP_LABELS = {"Error": _("Errors"), "Warning": _("Warnings")}

# The drawing, in SVG user units.
WIDTH, HEIGHT = 720, 178
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 50, 712, 10, 126
STRIP_TOP, STRIP_ROW = 131, 9
TIME_Y = 163
MIN_SEGMENT = 1.5  # a level with any event stays visible
# A running job's chart runs to now unless it has been silent this long, and
# longer than it wrote (domain, quiet).
QUIET_MIN_MS = 3_600_000


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
    job: Job
    # The newest event of an open window that went quiet, where the chart ends.
    quiet_since: datetime | None = None


def _active_ttl_ms() -> int:
    return int(settings.MODELARTS_CACHE_TTL_ACTIVE) * _SECOND


def _probe_query(query: EventQuery, level: str | None) -> EventQuery:
    """The newest page of the window (the query's own start/end, if any) at one level."""
    return replace(query, level=level, order="desc", offset=0, limit=PAGE)


def _second_end(millis: int) -> int:
    """The last millisecond of the second holding millis (events carry whole seconds)."""
    return millis // _SECOND * _SECOND + _SECOND - 1


def domain(
    query: EventQuery,
    job: Job,
    oldest: datetime | None,
    newest: datetime | None,
    now: datetime,
) -> tuple[int, int]:
    """The chart's range in epoch ms, inclusive: the window's first event to its last, or now.

    The window is start_time/end_time when given, else the whole job. A
    window still open (it reaches now, a running job) ends at its own end,
    where new events will land, unless it went quiet (see quiet()); a closed
    one at the second of its newest event. A window without events keeps its
    own bounds (the job's create time to its end, or now, for the whole job).
    """
    open_end = epoch_ms(now)
    if query.start is not None and query.end is not None:
        start, end = epoch_ms(query.start), epoch_ms(query.end)
    else:
        if job.created is None:
            raise NoRange(
                gettext("ModelArts gave no create time for this job: choose From and To.")
            )
        start = epoch_ms(job.created) // _SECOND * _SECOND
        ended = job.ended
        end = open_end if ended is None else _second_end(epoch_ms(ended))
        if newest is not None and ended is not None:
            # ModelArts records some events after the nominal end (a job that
            # failed to be created has duration 0, its failure event seconds later).
            end = max(end, _second_end(epoch_ms(newest)))
    closed = end <= open_end - _active_ttl_ms()
    if newest is not None and (closed or quiet(start, newest, now)):
        end = min(end, _second_end(epoch_ms(newest)))
    if oldest is not None:
        start = max(start, epoch_ms(oldest))
    return start, max(start, end)


def quiet(start: int, newest: datetime, now: datetime) -> bool:
    """Whether an open window went quiet: silent for longer than it wrote, and over QUIET_MIN.

    Drawn to now, a running job that wrote for a day and has been silent for
    a week would be one bar among many empty ones: the chart ends at its
    last event instead, and says since when it has been quiet. Its next
    event, seen by the probes, brings the end back to now.
    """
    last = epoch_ms(newest)
    silence = epoch_ms(now) - last
    return silence > QUIET_MIN_MS and silence > last - start


def job_bounds(job: Job, now: datetime) -> tuple[int | None, int]:
    """Where zooming out stops: the job's create time to its end (with late events), or now."""
    start = None if job.created is None else epoch_ms(job.created) // _SECOND * _SECOND
    ended = job.ended
    # Events trail a job's end by up to FINAL_AFTER (the cache takes them as final then).
    end = epoch_ms(now) if ended is None else _second_end(epoch_ms(ended + FINAL_AFTER))
    return start, end


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
        self,
        probe: EventQuery,
        first: EventPage,
        buckets: list[Bucket],
        window_open: bool,
        known: dict[EventQuery, EventPage],
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
            (self._known(known, replace(oldest_first, offset=o)), min(PAGE, older - o))
            for o in range(0, older, PAGE)
        ]

        def probe_and_older() -> Iterator[Event]:
            yield from first.events
            for page, rows in pages:
                yield from page.result().events[:rows]

        return probe_and_older

    def _known(self, known: dict[EventQuery, EventPage], query: EventQuery) -> Future[EventPage]:
        if query in known:
            done: Future[EventPage] = Future()
            done.set_result(known[query])
            return done
        return self.submit(query)

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


def _times(page: EventPage) -> list[datetime]:
    return [e.time for e in page.events if e.time is not None]


def _oldest(
    counter: _Counter,
    streams: list[tuple[EventQuery, EventPage]],
    window_open: bool,
    first_hour: tuple[datetime, datetime] | None,
) -> tuple[datetime | None, dict[EventQuery, EventPage]]:
    """The window's oldest event, at the least cost, and the pages read to find it.

    `streams` are the probes (query, newest page) that together cover the
    window. A probe holding its whole stream gives its oldest for free. A
    stream that will be read whole oldest first (at most LOCAL_MAX events, a
    closed window) has its first such page read now and handed to the read
    (keyed by its query). Any other stream costs one limit=1 call, oldest
    first: for the whole job first over its first hour (`first_hour`, a
    window that closes and is then cached long), and over the whole window
    only if that hour had no event.
    """
    found: list[datetime] = []
    pages: dict[EventQuery, EventPage] = {}
    asks: list[tuple[EventQuery, Future[EventPage]]] = []
    for probe, first in streams:
        if first.total <= PAGE:
            found += _times(first)
        elif first.total <= LOCAL_MAX and not window_open:
            asc = replace(probe, order="asc")
            asks.append((asc, counter.submit(asc)))
        else:
            one = replace(probe, order="asc", limit=1)
            if first_hour is not None:
                one = replace(one, start=first_hour[0], end=first_hour[1])
            asks.append((one, counter.submit(one)))
    for asked, future in asks:
        page = future.result()
        if asked.limit == PAGE:
            pages[asked] = page
        elif not page.events and first_hour is not None:
            page = counter.submit(replace(asked, start=None, end=None)).result()
        found += _times(page)[:1] if asked.limit == 1 else _times(page)
    return min(found, default=None), pages


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
    # The job (for the whole job's range, and where zooming out stops),
    # alongside the probes: the window's newest page, unfiltered when no
    # level is chosen (one call may then be the whole story), else one per
    # chosen level.
    client = counter.client
    job_future = counter.pool.submit(
        copy_context().run, client.get_job, counter.project_id, counter.job_id
    )
    whole = None if query.level else counter.submit(_probe_query(query, None))
    per_level: dict[str, Future[EventPage]] = {}
    if whole is None or whole.result().total > LOCAL_MAX:
        per_level = {level: counter.submit(_probe_query(query, level)) for level in levels}
    probes = [f.result() for f in ([whole] if whole else []) + list(per_level.values())]
    job = job_future.result()

    newest = max((e.time for p in probes for e in p.events[:1] if e.time), default=None)
    _, window_end = domain(query, job, None, newest, now)
    window_open = window_end > epoch_ms(now) - _active_ttl_ms()
    if whole is not None:
        streams = [(_probe_query(query, None), whole.result())]
    else:
        streams = [(_probe_query(query, lv), f.result()) for lv, f in per_level.items()]
    first_hour = None
    if query.start is None and job.created is not None:
        opened = job.created.replace(microsecond=0)
        first_hour = (opened, opened + timedelta(hours=1, milliseconds=-1))
    oldest, asc_pages = _oldest(counter, streams, window_open, first_hour)
    start, end = domain(query, job, oldest, newest, now)
    buckets, step = partition(start, end)
    counts = [dict.fromkeys(levels, 0) for _ in buckets]

    local: list[Callable[[], Iterator[Event]]] = []
    by_query: list[tuple[str, list[Future[EventPage]]]] = []
    if whole is not None and not per_level:
        first = whole.result()
        probe = _probe_query(query, None)
        local.append(counter.read(probe, first, buckets, window_open, asc_pages))
    for level, future in per_level.items():
        first = future.result()
        if first.total <= LOCAL_MAX:
            probe = _probe_query(query, level)
            local.append(counter.read(probe, first, buckets, window_open, asc_pages))
        else:
            by_query.append((level, counter.bucket_counts(query, level, buckets)))
    for events in local:
        _tally(events(), buckets, levels, counts)
    for level, futures in by_query:
        for row, page in zip(counts, futures, strict=True):
            row[level] = page.result().total
    ignored = any(p.source_filter_ignored for p in probes)
    silent = newest if newest is not None and end < epoch_ms(now) - _active_ttl_ms() else None
    # Quiet only where the window itself reaches now (else it simply closed).
    if silent is not None and _window_end(query, job, now) <= epoch_ms(now) - _active_ttl_ms():
        silent = None
    return Counted(buckets, step, counts, ignored, job, silent)


def _window_end(query: EventQuery, job: Job, now: datetime) -> int:
    """Where the window itself ends: its end_time, the job's end, or now."""
    if query.end is not None:
        return epoch_ms(query.end)
    return epoch_ms(now) if job.ended is None else _second_end(epoch_ms(job.ended))


# -- the drawing --------------------------------------------------------------------


def _moment(millis: int, *, end: bool = False, zone: tzinfo = UTC) -> str:
    """A bucket edge in the viewer's zone, named; an inclusive end read as its next instant.

    An end is inclusive to the millisecond (..:59.999); printed as the
    instant after it (the next whole second, or millisecond) it reads cleanly.
    """
    if end:
        millis += 1
    return format_time(from_ms(millis), zone, millis=millis % _SECOND != 0)


def _bar_title(bucket: Bucket, total: int, by_level: dict[str, int], zone: tzinfo) -> str:
    """A bar's tooltip: its bucket in the viewer's zone, its total and its count per level."""
    per_level = gettext(", ").join(
        gettext("%(count)s %(level)s") % {"count": intcomma(n), "level": level_label(level)}
        for level, n in by_level.items()
    )
    text = ngettext(
        "%(start)s to %(end)s: %(total)s event (%(levels)s). Times in %(zone)s.",
        "%(start)s to %(end)s: %(total)s events (%(levels)s). Times in %(zone)s.",
        total,
    )
    return text % {
        "start": _moment(bucket.start_ms, zone=zone),
        "end": _moment(bucket.end_ms, end=True, zone=zone),
        "total": intcomma(total),
        "levels": per_level,
        "zone": getattr(zone, "key", "UTC"),
    }


def _step_label(step: int) -> str:
    """A bucket's length in words: "1 day", "2 days", "6 h", "15 min", "30 s"."""
    seconds = step // _SECOND
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": intcomma(days)}
    for unit, text in ((3600, _("%(n)s h")), (60, _("%(n)s min"))):
        if seconds % unit == 0:
            return text % {"n": seconds // unit}
    return gettext("%(n)s s") % {"n": seconds}


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# Round tick spacings, in seconds: each at most 2.5 times the one before, so
# the smallest giving at most MAX_TICKS ticks gives at least four.
_TICK_SECONDS: tuple[int, ...] = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
)
_TICK_SECONDS += (43200, 86400, 172800, 432000, 864000, 1296000, 2592000, 5184000, 7776000)
_TICK_SECONDS += (15552000, 31536000)
MAX_TICKS = 10


def _wall_ticks(first: int, last: int, step_s: int, zone: tzinfo) -> list[int]:
    """Instants in [first, last] at round wall-clock times of the zone (multiples of step).

    Under a day: multiples of the step since local midnight; a day or more:
    local midnights whose day number is a multiple of the step in days. A
    wall time that a DST change skips or repeats is taken once, at fold=0.
    """
    begin = from_ms(first).astimezone(zone).replace(tzinfo=None)
    midnight = begin.replace(hour=0, minute=0, second=0, microsecond=0)
    if step_s < 86400:
        k = -(-int((begin - midnight).total_seconds()) // step_s)
        wall = midnight + timedelta(seconds=k * step_s)
        step = timedelta(seconds=step_s)
    else:
        days = step_s // 86400
        ordinal = midnight.toordinal()
        wall = datetime.fromordinal(ordinal + (-ordinal) % days)
        step = timedelta(days=days)
    ticks: list[int] = []
    while True:
        at = epoch_ms(wall.replace(tzinfo=zone))
        if at > last:
            return ticks
        if at >= first and (not ticks or at > ticks[-1]):
            ticks.append(at)
        wall += step


def time_ticks(first: int, last: int, zone: tzinfo = UTC) -> list[tuple[int, str, str]]:
    """Axis ticks: (instant, time label, date label or ""), at round times in the zone.

    At least four for a range of four seconds or more, at most MAX_TICKS.
    Labels are clean ("14:30", "14:30:15", "Nov 20"): the zone is named in
    the caption. The date is written under the first tick and where the day
    changes.
    """
    span_s = (last + 1 - first) / _SECOND
    chosen: list[int] = []
    step_s = _TICK_SECONDS[-1]
    for step_s in _TICK_SECONDS:
        if span_s / step_s > MAX_TICKS + 1:
            continue
        chosen = _wall_ticks(first, last, step_s, zone)
        if len(chosen) <= MAX_TICKS:
            break
    else:
        # Longer than MAX_TICKS years: its ends only.
        chosen, step_s = [first, last], 86400
    ticks = []
    day = None
    for at in chosen:
        local = from_ms(at).astimezone(zone)
        if step_s >= 86400:
            ticks.append((at, _axis_date(local), ""))
            continue
        text = local.strftime("%H:%M:%S" if step_s < 60 else "%H:%M")
        date = _axis_date(local) if local.date() != day else ""
        day = local.date()
        ticks.append((at, text, date))
    return ticks


def _axis_date(local: datetime) -> str:
    """A tick's date in the reader's language: "Nov 20", "11月20日"."""
    # Translators: a Django date format (docs: the date template filter).
    return dateformat.format(local, pgettext("histogram axis date", "M d"))


def count_ticks(peak: int) -> list[int]:
    """Round counts for the y axis up to the peak (1, 2 or 5 times a power of ten), 0 first."""
    step = 1
    while peak // step > 3:
        step = _next_round(step)
    return list(range(0, max(peak, 0) + 1, step))


def _next_round(step: int) -> int:
    digits = str(step)
    lead, zeros = int(digits[0]), len(digits) - 1
    return {1: 2, 2: 5, 5: 10}[lead] * 10**zeros


def zoom_url(events_path: str, query: EventQuery, bucket: Bucket) -> str:
    """The timeline narrowed to one bucket, its other filters kept, from the first page."""
    params = canonical_params(replace(query, start=bucket.start, end=bucket.end, offset=0))
    return f"{events_path}?{encode(params)}"


def zoom_out_url(events_path: str, query: EventQuery, job: Job, now: datetime) -> str | None:
    """The timeline over a window twice as wide around this one, kept inside the job.

    None for the whole job, which is as wide as it gets; the whole job's URL
    (no times) when the wider window would cover it.
    """
    if query.start is None or query.end is None:
        return None
    start, end = epoch_ms(query.start), epoch_ms(query.end)
    width = end + 1 - start
    start, end = start - width // 2, end + (width - width // 2)
    first, last = job_bounds(job, now)
    if first is not None and start < first:
        start, end = first, end + (first - start)
    if end > last:
        start, end = start - (end - last), last
    if first is not None and start <= first and end >= last:
        params = canonical_params(replace(query, start=None, end=None, offset=0))
        return with_query(events_path, params)
    # Whole seconds read and link cleanly; the window only grows by it.
    start, end = start // _SECOND * _SECOND, min(_second_end(end), last)
    zoomed = replace(query, start=from_ms(start), end=from_ms(end), offset=0)
    return f"{events_path}?{encode(canonical_params(zoomed))}"


def select_url(events_path: str, query: EventQuery) -> str:
    """The timeline over a range dragged across the bars, for histogram.js to set its times.

    Its start_time and end_time are placeholders, replaced in place (the
    parameters keep their canonical order).
    """
    params = canonical_params(replace(query, start=_EPOCH, end=_EPOCH, offset=0))
    params["start_time"], params["end_time"] = "START", "END"
    return f"{events_path}?{encode(params)}"


def histogram_url(
    project_id: str, job_id: str, query: EventQuery, name: str = "events_histogram"
) -> str:
    """The histogram of a timeline view: its filters, without its page.

    `name` "events_histogram_page" gives the page that shows it without JavaScript.
    """
    path = reverse(name, args=[project_id, job_id])
    params = canonical_params(replace(query, offset=0))
    return with_query(path, params)


def chart(
    events_path: str,
    query: EventQuery,
    buckets: list[Bucket],
    counts: list[dict[str, int]],
    levels: tuple[str, ...],
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """What the template draws: bars with their links, titles and stacked segments,
    the warning and error strip under them, and the axes with their labels.

    Times are printed in `zone` (the viewer's); the buckets stay cut at UTC
    multiples of the step.
    """
    first, last = buckets[0].start_ms, buckets[-1].end_ms
    span = last + 1 - first
    plot_width, plot_height = PLOT_RIGHT - PLOT_LEFT, PLOT_BOTTOM - PLOT_TOP
    peak = max((sum(c.values()) for c in counts), default=0)
    stacked = [level for level in STACK_ORDER if level in levels]
    strip = [level for level in STRIP_LEVELS if level in levels]
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
        marks = [
            {"level": level, "fill": FILLS[level], "y": STRIP_TOP + row * STRIP_ROW}
            for row, level in enumerate(strip)
            if by_level[level]
        ]
        title = _bar_title(bucket, total, {level: by_level[level] for level in stacked}, zone)
        bars.append(
            {
                "url": zoom_url(events_path, query, bucket),
                "title": title,
                "total": total,
                "start": format_instant(bucket.start),
                "end": format_instant(bucket.end),
                "x": _n(x + gap / 2),
                "width": _n(max(width - gap, 0.5)),
                "segments": segments,
                "marks": marks,
            }
        )
    totals = {level: sum(c[level] for c in counts) for level in stacked}
    y_ticks = [
        {"y": _n(PLOT_BOTTOM - n / max(peak, 1) * plot_height), "label": intcomma(n)}
        for n in count_ticks(peak)
        # The peak has its own label: a round count too close below it would overlap.
        if not peak or n == 0 or (peak - n) / peak > 0.15
    ]
    x_ticks = [
        {"x": _n(PLOT_LEFT + (at - first) / span * plot_width), "time": text, "date": date}
        for at, text, date in time_ticks(first, last, zone)
    ]
    return {
        "bars": bars,
        "total": sum(totals.values()),
        "legend": [
            {
                "level": level,
                "label": level_label(level),
                "fill": FILLS[level],
                "count": totals[level],
            }
            for level in reversed(stacked)
        ],
        "strip": [
            {"level": level, "label": str(STRIP_LABELS[level]), "y": STRIP_TOP + row * STRIP_ROW}
            for row, level in enumerate(strip)
        ],
        "peak": peak,
        "peak_label": intcomma(peak),
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "range_start": _moment(first, zone=zone),
        "range_end": _moment(last, end=True, zone=zone),
        "first_ms": first,
        "box": {
            "width": WIDTH,
            "height": HEIGHT,
            "left": PLOT_LEFT,
            "right": PLOT_RIGHT,
            "top": PLOT_TOP,
            "bottom": PLOT_BOTTOM,
            "plot_height": plot_height,
            "hit_height": STRIP_TOP + len(strip) * STRIP_ROW - PLOT_TOP,
            "strip_height": STRIP_ROW - 2,
            "time_y": TIME_Y,
            "date_y": TIME_Y + 11,
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


def _histogram(request: HttpRequest, project: Project, job_id: str, template: str) -> HttpResponse:
    project_id = project.project_id
    zone = viewer_zone(request)
    form = EventFiltersForm(request.GET, zone=zone.tz)
    events_path = reverse("events", args=[project_id, job_id])
    # The chart alone swaps into the timeline's results; on its own page its
    # links are plain navigation.
    fragment = template.endswith("#chart")
    context: dict[str, Any] = {"project_id": project_id, "job_id": job_id, "fragment": fragment}
    if not form.is_valid():
        context.update(failure=gettext("These filters cannot be used."), back_url=events_path)
        return render(request, template, context, status=400)

    query = replace(form.to_query(), offset=0)
    params = canonical_params(query)
    context.update(query=query, back_url=with_query(events_path, params))
    # The combined level stacks its two levels, as the whole job stacks three.
    levels = levels_of(query.level) or LEVELS
    client = get_client(project)
    now = timezone.now()
    try:
        counted = count(client, project_id, job_id, query, levels, now)
    except (ModelArtsError, NoRange) as exc:
        reason = exc.message if isinstance(exc, ModelArtsError) else str(exc)
        logger.info("histogram unavailable: %s", type(exc).__name__)
        context["failure"] = reason
        response = render(request, template, context, status=_status(exc))
        if isinstance(exc, ModelArtsError) and exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response

    context.update(chart(events_path, query, counted.buckets, counted.counts, levels, zone.tz))
    context.update(
        step=_step_label(counted.step),
        source_ignored=counted.source_ignored,
        zone_name=zone.name,
        zoom_out_url=zoom_out_url(events_path, query, counted.job, now),
        quiet_since=(
            _moment(epoch_ms(counted.quiet_since), zone=zone.tz) if counted.quiet_since else ""
        ),
        select_url=select_url(events_path, query),
    )
    return render(request, template, context)


@job_view
@require_GET
@vary_on_cookie  # the viewer's time zone (zones.py)
def histogram(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    """The chart alone, which the timeline's results load after themselves."""
    return _histogram(request, project, job_id, f"{TEMPLATE}#chart")


@job_view
@require_GET
@vary_on_cookie
def histogram_page(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    """The chart as a page of its own: the timeline links to it for readers without JavaScript."""
    return _histogram(request, project, job_id, TEMPLATE)
