"""The job's events grouped into message templates: what a long timeline keeps saying.

GET /projects/<project_id>/jobs/<job_id>/patterns/ with the timeline's own
filters (level, source, pattern, range or start_time/end_time; limit, offset,
order, mark, fold and live are validated and ignored, so a timeline URL with
`patterns/` in place of `events/` works) and `sort=count|severity`. The
choices made here:

- Templates by masking (masking.py, the same table folding uses): the
  variable parts of each message (numbers, ids, hex, pod suffixes,
  addresses, paths, quoted strings, times, the worker number) are masked,
  and messages with the same template and level mix are one row.
- Each row: the template (its placeholders marked), an example message,
  the count, the level mix (Info, Warning and Error counts: one template can
  be logged at several levels), its first and last time in the viewer's
  zone, a sparkline (an inline SVG drawn here, one bar per bucket of the
  covered span, cut as the histogram cuts its range) and a link to its
  events. The link is the timeline with the same filters and window and
  `pattern=` the template's longest unmasked run (the upstream matches one
  substring, and the longest literal is the most selective one every
  message of the template contains); so it shows every event of the
  template and may show a few others containing the same words. A
  template with no literal at all links to the window unfiltered; a
  pattern already chosen is kept when it is the longer.
- Sorted by count; `sort=severity` puts the templates holding an Error
  first, then those holding a Warning, so the rare ones are at the top.
  At most MAX_SHOWN templates are kept (the most frequent and the most
  severe); the page counts the rest.
- What is read, and what it costs. The window is frozen when the reading
  begins (the timeline's window, else the job's creation to now, as the
  export does), so arriving events do not shift the offsets. A finished job
  is read whole up to FINISHED_CAP (50,000 events, 500 calls) and the result
  is kept under the job and its filters for the finished TTL
  (MODELARTS_CACHE_TTL_FINISHED, one hour by default, through
  tolerant_cache): a revisit costs one get_job call, usually cached. A larger
  finished job is read over its newest FINISHED_CAP events and the page says
  so. A running job is read over its newest RUNNING_CAP (10,000 events, 100
  calls), kept only for the short TTL, and the page says "newest 10,000 of
  N". Bound per view: 1 get_job + cap/100 events calls (twice that for the
  combined Warning,Error level, read as its two levels, newest cap kept).
  The first page of each level is read with the ordinary patience, so a
  spent budget answers 429 with Retry-After at once; the others are read
  past the answer cache, at most MAX_IN_FLIGHT (8) at a time, each waiting
  up to PAGE_PATIENCE (5 s) for a slot of the project's call budget, and the
  whole read stops at DEADLINE (20 s): the page then covers the newest
  events it got, says that the read was cut short, and is not kept long.
- Memory: the events are grouped page by page; what is kept is per
  template (counts and one epoch-ms time per event for the sparkline), so a
  50,000-event job holds 50,000 integers, not 50,000 events.
- Bad filters answer 400 and nothing is asked of ModelArts; a ModelArts
  failure is the page's error with its status (429 with Retry-After past the
  budget, via core/upstream.py).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie, vary_on_headers

from eventsui.core.access import job_view
from eventsui.core.forms import with_query
from eventsui.core.htmx import wants_fragment
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Event, EventPage, EventQuery, Job, ModelArtsError, budget, get_client
from eventsui.modelarts.cache import FINAL_AFTER, CachedModelArtsClient
from eventsui.modelarts.client import ModelArtsClient, epoch_ms
from eventsui.modelarts.language import current_language
from eventsui.modelarts.merge import levels_of
from eventsui.modelarts.projects import Project
from eventsui.modelarts.tolerant_cache import cache_get, cache_set
from eventsui.modelarts.types import DEFAULT_PAGE_SIZE, LEVELS, MAX_PAGE_SIZE

from .export import frozen_window
from .forms import EventFiltersForm, canonical_params
from .histogram import Bucket, partition
from .masking import Masked, mask
from .search import LocalFilters
from .zones import viewer_zone

PAGE = MAX_PAGE_SIZE
RUNNING_CAP = 10_000
FINISHED_CAP = 50_000
MAX_IN_FLIGHT = 8
PAGE_PATIENCE = 5.0
DEADLINE = 20.0
MAX_SHOWN = 500
TEMPLATE = "timeline/patterns.html"
# Part of the cache key: bump when Patterns changes shape.
SCHEMA = 1
SORTS = {"count": _("Most frequent first"), "severity": _("Errors and warnings first")}
# The sparkline, in SVG user units.
SPARK_WIDTH, SPARK_HEIGHT = 120, 20


class PatternOptionsForm(forms.Form):
    """The page's own parameter beside the timeline's filters."""

    sort = forms.ChoiceField(
        choices=list(SORTS.items()),
        required=False,
        error_messages={"invalid_choice": _("Sort by count or severity.")},
    )


# -- grouping ---------------------------------------------------------------------


@dataclass
class Pattern:
    """One template: its events' count, levels, span and times (epoch ms, for the sparkline)."""

    masked: Masked
    example: str
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    first: datetime | None = None
    last: datetime | None = None
    times: list[int] = field(default_factory=list)
    spark: tuple[int, ...] = ()
    count: int = 0

    def add(self, event: Event) -> None:
        self.count += 1
        self.levels[event.level] = self.levels.get(event.level, 0) + 1
        if event.time is not None:
            self.first = event.time if self.first is None else min(self.first, event.time)
            self.last = event.time if self.last is None else max(self.last, event.time)
            self.times.append(epoch_ms(event.time))

    @property
    def severity(self) -> tuple[int, int, int]:
        return (self.levels.get("Error", 0) > 0, self.levels.get("Warning", 0) > 0, self.count)

    @property
    def level_mix(self) -> list[tuple[str, int]]:
        return [(level, n) for level, n in self.levels.items() if n]


def group(events: Iterable[Event]) -> dict[tuple[Any, ...], Pattern]:
    """Events by template (masking.py), in the order each template first appears."""
    found: dict[tuple[Any, ...], Pattern] = {}
    for event in events:
        masked = mask(event.message)
        pattern = found.get(masked.key)
        if pattern is None:
            pattern = found[masked.key] = Pattern(masked=masked, example=event.message)
        pattern.add(event)
    return found


def sparkline(counts: tuple[int, ...]) -> list[dict[str, str]]:
    """Bars of the sparkline, scaled to its own peak (its shape is what it tells)."""
    peak = max(counts, default=0)
    if not peak:
        return []
    width = SPARK_WIDTH / len(counts)
    bars = []
    for n, count in enumerate(counts):
        if count:
            height = max(count / peak * SPARK_HEIGHT, 1.5)
            bars.append(
                {
                    "x": f"{n * width:.2f}",
                    "y": f"{SPARK_HEIGHT - height:.2f}",
                    "width": f"{max(width - 0.5, 0.5):.2f}",
                    "height": f"{height:.2f}",
                }
            )
    return bars


@dataclass
class Patterns:
    """What the page shows, and what it is kept as for a finished job."""

    patterns: list[Pattern]
    covered: int
    total: int
    cap: int
    cut_short: bool
    source_ignored: bool
    buckets: list[Bucket]
    hidden: int = 0  # templates beyond MAX_SHOWN
    hidden_events: int = 0
    finished: bool = False

    @property
    def capped(self) -> bool:
        return self.covered < self.total


def tabulate(
    events: list[Event],
    total: int,
    cap: int,
    *,
    cut_short: bool,
    source_ignored: bool,
    window: tuple[datetime, datetime] | None,
) -> Patterns:
    """The templates of the events read, with their sparklines over the covered span."""
    found = list(group(events).values())
    times = [t for p in found for t in (p.first, p.last) if t is not None]
    buckets: list[Bucket] = []
    if window is not None:
        buckets, _ = partition(epoch_ms(window[0]), epoch_ms(window[1]))
    elif times:
        # Events carry whole seconds: the span ends with its last second.
        buckets, _ = partition(epoch_ms(min(times)), epoch_ms(max(times)) // 1000 * 1000 + 999)
    starts = [b.start_ms for b in buckets]
    for pattern in found:
        counts = [0] * len(buckets)
        for at in pattern.times:
            slot = bisect.bisect_right(starts, at) - 1
            if 0 <= slot < len(counts):
                counts[slot] += 1
        pattern.spark, pattern.times = tuple(counts), []
    # The most frequent and the most severe: rare Errors must not be cut off.
    kept = {id(p): p for p in heapq.nlargest(MAX_SHOWN, found, key=lambda p: p.count)}
    kept.update({id(p): p for p in heapq.nlargest(MAX_SHOWN, found, key=lambda p: p.severity)})
    shown = sorted(kept.values(), key=lambda p: -p.count)
    return Patterns(
        patterns=shown,
        covered=len(events),
        total=total,
        cap=cap,
        cut_short=cut_short,
        source_ignored=source_ignored,
        buckets=buckets,
        hidden=len(found) - len(shown),
        hidden_events=len(events) - sum(p.count for p in shown),
    )


# -- reading ----------------------------------------------------------------------


def _page(client: ModelArtsClient, project_id: str, job_id: str, query: EventQuery) -> EventPage:
    with budget.patience(PAGE_PATIENCE):
        return client.uncached.list_events(project_id, job_id, query)


@dataclass
class Read:
    events: list[Event]
    total: int
    cut_short: bool
    source_ignored: bool


def read_newest(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    cap: int,
    deadline: float | None = None,
) -> Read:
    """The newest `cap` events of the (frozen) window, within the deadline.

    Each level of the combined one is read on its own (up to cap each) and
    the newest cap of the two kept. The first page of each level is read
    first, with the request's ordinary patience.
    """
    began = time.monotonic()
    deadline = DEADLINE if deadline is None else deadline
    levels: tuple[str | None, ...] = levels_of(query.level) or (query.level,)
    firsts = {
        level: client.uncached.list_events(
            project_id, job_id, replace(query, level=level, offset=0, limit=PAGE, order="desc")
        )
        for level in levels
    }
    pool = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="patterns")
    futures: dict[str | None, list[Future[EventPage]]] = {}
    try:
        for level, first in firsts.items():
            page_query = replace(query, level=level, limit=PAGE, order="desc")
            futures[level] = [
                # copy_context: the read carries the request's X-Language.
                pool.submit(
                    copy_context().run,
                    _page,
                    client,
                    project_id,
                    job_id,
                    replace(page_query, offset=offset),
                )
                for offset in range(PAGE, min(first.total, cap), PAGE)
            ]
        everything = [f for fs in futures.values() for f in fs]
        wait(everything, timeout=max(0.0, deadline - (time.monotonic() - began)))
    finally:
        # Not waiting: calls in flight end within their own deadline.
        pool.shutdown(wait=False, cancel_futures=True)

    events: list[Event] = []
    cut_short = False
    for level, first in firsts.items():
        pages = [first]
        for future in futures[level]:
            if not future.done() or future.cancelled():
                cut_short = True
                break
            pages.append(future.result())  # a failure is the page's error
        events.extend(e for page in pages for e in page.events)
    if len(firsts) > 1:
        newest = sorted(events, key=lambda e: e.time.timestamp() if e.time else 0.0, reverse=True)
        events = newest[:cap]
    return Read(
        events=events[:cap],
        total=sum(first.total for first in firsts.values()),
        cut_short=cut_short,
        source_ignored=any(first.source_filter_ignored for first in firsts.values()),
    )


def _is_final(job: Job, now: datetime) -> bool:
    """A job whose events no longer change (cache.py's grace after the end)."""
    ended = job.ended
    return ended is not None and ended + FINAL_AFTER < now


def _cache_key(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    local: LocalFilters,
) -> str:
    params = canonical_params(query, local=local)
    material = repr((SCHEMA, client.identity, current_language(), project_id, job_id, params))
    return "eventsui:patterns:" + hashlib.sha256(material.encode()).hexdigest()


def find_patterns(
    client: CachedModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    now: datetime,
    local: LocalFilters | None = None,
) -> tuple[Job, Patterns]:
    """The job and its patterns under query, from the cache when kept (module docstring).

    The filters eventsui applies itself (worker, ignore case, exclude) apply
    here as on the timeline: the narrowest upstream query is read, then each
    event is kept or not by the same predicate, so "covered" counts the
    events read and the patterns only those kept.
    """
    local = local or LocalFilters()
    job = client.get_job(project_id, job_id)
    final = _is_final(job, now)
    key = _cache_key(
        client, project_id, job_id, replace(query, offset=0, limit=DEFAULT_PAGE_SIZE), local
    )
    kept = cache_get(key)
    if isinstance(kept, Patterns):
        return job, kept
    cap = FINISHED_CAP if job.finished else RUNNING_CAP
    start, end = frozen_window(query, job, now)
    frozen = replace(local.upstream(query), start=start, end=end)
    read = read_newest(client, project_id, job_id, frozen, cap)
    if local.active:
        keep = local.predicate(query)
        read.events = [event for event in read.events if keep(event)]
    window = (query.start, min(query.end, now)) if query.start and query.end else None
    found = tabulate(
        read.events,
        read.total,
        cap,
        cut_short=read.cut_short,
        source_ignored=read.source_ignored,
        window=window,
    )
    found.finished = job.finished
    complete = final and not read.cut_short
    ttl = settings.MODELARTS_CACHE_TTL_FINISHED if complete else settings.MODELARTS_CACHE_TTL_ACTIVE
    if ttl > 0:
        cache_set(key, found, int(ttl))
    return job, found


# -- links ------------------------------------------------------------------------


def events_link(
    project_id: str,
    job_id: str,
    query: EventQuery,
    masked: Masked,
    relative: str,
    local: LocalFilters | None = None,
) -> str:
    """The timeline showing a template's events: same filters and window, its longest literal."""
    literal = masked.longest_literal()
    pattern = query.pattern if query.pattern and len(query.pattern) >= len(literal) else literal
    params = canonical_params(
        replace(query, pattern=pattern or None, offset=0, limit=DEFAULT_PAGE_SIZE, order="desc"),
        relative=relative,
        local=local,
    )
    path = reverse("events", args=[project_id, job_id])
    return with_query(path, params)


def patterns_url(
    project_id: str,
    job_id: str,
    query: EventQuery,
    relative: str = "",
    local: LocalFilters | None = None,
) -> str:
    """The patterns of a timeline view: its filters, without its page."""
    params = canonical_params(
        replace(query, offset=0, limit=DEFAULT_PAGE_SIZE, order="desc"),
        relative=relative,
        local=local,
    )
    path = reverse("events_patterns", args=[project_id, job_id])
    return with_query(path, params)


def _rows(
    project_id: str,
    job_id: str,
    query: EventQuery,
    found: Patterns,
    sort: str,
    relative: str,
    local: LocalFilters,
) -> list[dict[str, Any]]:
    ordered = found.patterns
    if sort == "severity":
        ordered = sorted(ordered, key=lambda p: p.severity, reverse=True)
    return [
        {
            "pattern": p,
            "url": events_link(project_id, job_id, query, p.masked, relative, local),
            "spark": sparkline(p.spark),
            "peak": max(p.spark, default=0),
        }
        for p in ordered
    ]


# -- the view ---------------------------------------------------------------------


def _sort_links(path: str, params: dict[str, str], sort: str) -> list[dict[str, Any]]:
    links = []
    for key, label in SORTS.items():
        chosen = {**params, "sort": key} if key != "count" else params
        url = with_query(path, chosen)
        links.append({"label": label, "url": url, "active": key == sort})
    return links


@job_view
@require_GET
@vary_on_headers("HX-Request")
@vary_on_cookie  # the viewer's time zone (zones.py)
def patterns(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id = project.project_id
    zone = viewer_zone(request)
    form = EventFiltersForm(request.GET, zone=zone.tz)
    options = PatternOptionsForm(request.GET)
    partial = wants_fragment(request)
    template = f"{TEMPLATE}#results" if partial else TEMPLATE
    context: dict[str, Any] = {
        "zone": zone,
        "project_id": project_id,
        "job_id": job_id,
        "form": form,
        "options": options,
    }
    if not (form.is_valid() and options.is_valid()):
        return render(request, template, context, status=400)

    query = replace(form.to_query(), offset=0, limit=DEFAULT_PAGE_SIZE, order="desc")
    local = form.local_filters()
    sort = options.cleaned_data["sort"] or "count"
    params = canonical_params(query, relative=form.range_key, local=local)
    path = reverse("events_patterns", args=[project_id, job_id])
    events_path = reverse("events", args=[project_id, job_id])
    context.update(
        query=query,
        sort=sort,
        sorts=_sort_links(path, params, sort),
        timeline_url=with_query(events_path, params),
    )
    try:
        job, found = find_patterns(
            get_client(project), project_id, job_id, query, timezone.now(), local
        )
    except ModelArtsError as exc:
        return upstream_error(request, template, context, exc)
    context.update(
        job=job,
        found=found,
        rows=_rows(project_id, job_id, query, found, sort, form.range_key, local),
        spark={"width": SPARK_WIDTH, "height": SPARK_HEIGHT},
        bucket_count=len(found.buckets),
    )
    return render(request, template, context)


__all__ = ["find_patterns", "patterns", "patterns_url", "read_newest", "tabulate"]
