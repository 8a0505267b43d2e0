"""Filters eventsui applies itself, over the upstream's pages, with exact totals and paging.

ModelArts filters events by level, source, a case-sensitive substring
(`pattern`) and a time window. The timeline offers filters it cannot apply:
one worker exactly (`pattern=worker-1` also matches `worker-10`), a match
that ignores case, leaving out what contains a text. For those, scan():

- asks ModelArts for the narrowest query it can answer (the caller's
  `upstream` query, which must match a superset of what is wanted),
- reads that query's pages of 100 in the view's order: from the newest end
  when order=desc (what readers want first), from the oldest when asc,
- keeps the events the caller's predicate accepts and answers the page at
  `offset` of that filtered stream, with its exact total.

Cost, stated and bounded: at most MAX_SCAN_PAGES (50) upstream pages per
view, so at most 5,000 events scanned, each page one call paid from the
project's call budget (modelarts/budget.py). The combined level
(Warning,Error) is read as its two levels, at most MAX_SCAN_PAGES // 2 pages
each, and merged by time as merge.py orders them. The pages are ordinary
cached answers (cache.py), the same entries from one view to the next, so
the next page of the same view, or the same filters at another page size,
costs no new call. At most MAX_WORKERS (6) calls run at a time, each in the
request's context (copy_context), so X-Language and the budget's patience
carry. When the budget runs out mid-scan, BudgetExhausted (429 with
Retry-After) goes to the caller like any upstream failure; the pages read
so far are cached, so the retry continues from them.

When the upstream query matches more events than the bound reads, the scan
stops there: `complete` is False, the total is a lower bound (the matches
among the events scanned), and the page says so. For the combined level the
scanned part is cut where the merged stream stops being exact: right after
the last event read of the first level whose reading was cut short.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace

from .client import ModelArtsClient
from .merge import levels_of, merge_streams
from .types import MAX_PAGE_SIZE, Event, EventPage, EventQuery

MAX_SCAN_PAGES = 50
SCAN_PAGE = MAX_PAGE_SIZE
MAX_WORKERS = 6

Predicate = Callable[[Event], bool]


@dataclass(frozen=True)
class ScanResult:
    """A page of the filtered stream and how much of the upstream's was read to make it."""

    # total: the matches found; a lower bound when the scan was cut short.
    page: EventPage
    scanned: int  # upstream events read, in the view's order from its start
    upstream_total: int  # events the upstream query matches
    calls: int  # upstream pages asked for (each a call unless cached)

    @property
    def complete(self) -> bool:
        return self.scanned >= self.upstream_total


@dataclass
class _LevelRead:
    """One upstream level's pages, read from the start of the view's order."""

    total: int
    events: list[Event]
    covered: int  # upstream offsets read (rows the client filtered out included)

    @property
    def cut(self) -> bool:
        """Pages remain unread."""
        return self.covered < self.total


def _read_levels(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    queries: Sequence[EventQuery],
    pages_each: int,
) -> tuple[list[_LevelRead], int]:
    """Each query's first pages_each pages, concurrently; and how many pages were asked."""
    pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="events-scan")

    def submit(query: EventQuery, number: int) -> Future[EventPage]:
        page_query = replace(query, offset=number * SCAN_PAGE, limit=SCAN_PAGE)
        # copy_context: the call carries the request's X-Language and patience.
        return pool.submit(copy_context().run, client.list_events, project_id, job_id, page_query)

    try:
        firsts = [submit(query, 0) for query in queries]
        first_pages = [future.result() for future in firsts]
        rests: list[list[Future[EventPage]]] = []
        for query, first in zip(queries, first_pages, strict=True):
            wanted = min(pages_each, math.ceil(first.total / SCAN_PAGE))
            rests.append([submit(query, number) for number in range(1, wanted)])
        reads = []
        for first, rest in zip(first_pages, rests, strict=True):
            events = list(first.events)
            for future in rest:
                events.extend(future.result().events)
            covered = min(first.total, (1 + len(rest)) * SCAN_PAGE)
            reads.append(_LevelRead(first.total, events, covered))
        return reads, len(queries) + sum(len(rest) for rest in rests)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _scanned_stream(reads: list[_LevelRead], query: EventQuery) -> tuple[list[Event], int]:
    """The events read, in the view's order, cut where they stop being exact; and their count."""
    if len(reads) == 1:
        return reads[0].events, reads[0].covered
    # The last event read of each level cut short: past the first of them to
    # come out of the merge, an unread event of that level could belong.
    stops = {id(read.events[-1]) for read in reads if read.cut and read.events}
    merged: list[Event] = []
    for event in merge_streams([read.events for read in reads], query.order):
        merged.append(event)
        if id(event) in stops:
            return merged, len(merged)
    return merged, sum(read.total for read in reads)


def scan(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    upstream: EventQuery,
    keep: Predicate,
    *,
    max_pages: int = MAX_SCAN_PAGES,
) -> ScanResult:
    """The page at upstream.offset (of upstream.limit) of the events keep() accepts.

    upstream is the narrowest query ModelArts can apply; its offset and limit
    are those of the filtered stream (see the module docstring).
    """
    levels = levels_of(upstream.level) or (None,)
    queries = [replace(upstream, level=level) for level in levels]
    reads, calls = _read_levels(
        client, project_id, job_id, queries, max(1, max_pages // len(queries))
    )
    stream, scanned = _scanned_stream(reads, upstream)
    matches = [event for event in stream if keep(event)]
    offset, limit = upstream.offset, upstream.limit
    page = EventPage(
        total=len(matches),
        offset=offset,
        limit=limit,
        order=upstream.order,
        events=tuple(matches[offset : offset + limit]),
    )
    upstream_total = sum(read.total for read in reads)
    return ScanResult(page=page, scanned=scanned, upstream_total=upstream_total, calls=calls)


__all__ = ["MAX_SCAN_PAGES", "Predicate", "ScanResult", "scan"]
