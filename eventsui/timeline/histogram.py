"""The event histogram above the timeline's table: counts per time bucket, stacked by level.

GET /projects/<project_id>/jobs/<job_id>/events/histogram/ with the timeline's
filters answers an HTML fragment holding an inline SVG bar chart. The results
region loads it after itself (hx-trigger="load"), so the table never waits for
it. The choices made here:

- Range. start_time/end_time when given. Otherwise the whole job: from its
  create time (one get_job call), floored to the second since events carry
  whole seconds, to now for a job that may still run. For a finished job the
  end is its start time (its create time if it never started) plus its
  duration, or the newest matching event if that is later, found with one
  more limit=1 call: ModelArts records some events after that end (a job that
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
- Cost in upstream calls: buckets x levels limit=1 list calls whose `total`
  is read, one per level per bucket, so at most 30 x 3 = 90, or 30 when a level
  is chosen (the failed sandbox job, whole: 25 x 3 = 75). Without a range add
  one job-details call, and for a finished job one newest-event call. (The
  cache layer asks for the job's phase itself, to choose how long answers
  live; a warm cache answers that.) The calls run at most MAX_WORKERS (6) at a
  time, and each answer is cached like any other.
- Failure. If any call fails the fragment is a one-line message (status 200)
  and the page around it is unaffected; bad filters or ids are 400, and nothing
  is asked of ModelArts.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.modelarts import EventQuery, ModelArtsError, get_client
from eventsui.modelarts.cache import CachedModelArtsClient
from eventsui.modelarts.client import epoch_ms
from eventsui.modelarts.merge import levels_of, list_events
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import LEVELS

from .forms import EventFiltersForm, canonical_params
from .zones import format_time, viewer_zone

logger = logging.getLogger(__name__)

MAX_BUCKETS = 30
MAX_WORKERS = 6
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


def job_range(
    client: CachedModelArtsClient, project_id: str, job_id: str, query: EventQuery, now: datetime
) -> tuple[int, int]:
    """The whole job's range in epoch ms, inclusive: its create time to its end or now."""
    job = client.get_job(project_id, job_id)
    if job.created is None:
        raise NoRange("ModelArts gave no create time for this job: choose From and To.")
    start = epoch_ms(job.created) // _SECOND * _SECOND
    if not job.finished:
        end = epoch_ms(now)
    else:
        began = job.started or job.created
        end = epoch_ms(began) + (job.duration_ms or 0)
        newest = list_events(
            client,
            project_id,
            job_id,
            replace(query, start=None, end=None, order="desc", offset=0, limit=1),
        )
        if newest.events and newest.events[0].time is not None:
            end = max(end, epoch_ms(newest.events[0].time))
        # Events carry whole seconds: the range ends with its last second.
        end = end // _SECOND * _SECOND + _SECOND - 1
    return start, max(start, end)


def count(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    buckets: list[Bucket],
    levels: tuple[str, ...],
) -> tuple[list[dict[str, int]], bool]:
    """Each bucket's count per level, and whether ModelArts ignored the Source filter.

    One limit=1 call per bucket and level, at most MAX_WORKERS at a time. The
    first failure cancels the calls not yet started and is raised.
    """
    futures: list[dict[str, Future[Any]]] = []
    with ThreadPoolExecutor(
        max_workers=min(MAX_WORKERS, len(buckets) * len(levels)),
        thread_name_prefix="histogram",
    ) as pool:
        for bucket in buckets:
            futures.append(
                {
                    level: pool.submit(
                        # The call carries the request's X-Language.
                        copy_context().run,
                        client.list_events,
                        project_id,
                        job_id,
                        replace(
                            query,
                            level=level,
                            start=bucket.start,
                            end=bucket.end,
                            order="desc",
                            offset=0,
                            limit=1,
                        ),
                    )
                    for level in levels
                }
            )
        try:
            pages = [{level: f.result() for level, f in row.items()} for row in futures]
        except ModelArtsError:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    ignored = any(page.source_filter_ignored for row in pages for page in row.values())
    return [{level: page.total for level, page in row.items()} for row in pages], ignored


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
        if query.start is not None and query.end is not None:
            start, end = epoch_ms(query.start), epoch_ms(query.end)
        else:
            start, end = job_range(client, project_id, job_id, query, timezone.now())
        buckets, step = partition(start, end)
        counts, source_ignored = count(client, project_id, job_id, query, buckets, levels)
    except (ModelArtsError, NoRange) as exc:
        reason = exc.message if isinstance(exc, ModelArtsError) else str(exc)
        logger.info("histogram unavailable: %s", type(exc).__name__)
        return render(request, TEMPLATE, {"failure": reason})

    events_path = reverse("events", args=[project_id, job_id])
    context = chart(events_path, query, buckets, counts, levels, zone.tz)
    context.update(query=query, step=_step_label(step), source_ignored=source_ignored)
    return render(request, TEMPLATE, context)
