"""Warning and Error events as one stream, although ModelArts takes one level at a time.

The combined level, spelled "Warning,Error", is two upstream queries merged
by time. The choices made here:

- Order. Events are ordered by time in the direction asked for. Within a
  second (the upstream's resolution), a Warning counts as earlier than an
  Error, as a warning usually comes before the failure it warns of: newest
  first shows the Error above the Warning of the same second, oldest first
  the Warning above the Error. Within one level the upstream's own order is
  kept. So oldest first is the exact reverse of newest first whenever
  ModelArts reverses its own ties too.
- Paging by record offset, exact at every offset, as for one level. The
  page at merged offset k needs how many of the first k merged events are
  Warnings (i) and how many Errors (k - i). That split is found by binary
  search over i, comparing event i of one level with event k - i - 1 of the
  other (the classic k-th element of two sorted lists), then both levels are
  read from their split point and merged for `limit` rows. Each level is read
  in aligned blocks of 100 (offset a multiple of 100), kept for the request,
  so probes that land in the same block cost one call, and the blocks are
  the same cache entries from one page to the next. A level of at most 100
  events is one call: the whole of it. Two large levels cost about two calls
  per halving of the smaller one, in hundreds (10,000 events each: ~16 calls,
  then cached).
- Totals add up: total(Warning) + total(Error).
- An event whose time ModelArts sent in a form eventsui cannot read is
  ordered as if it had the time of the nearest earlier-listed event of its
  level that has one (first of all if none has), so each level stays in time
  order and the merge stays consistent from page to page.
- The Source filter, where ModelArts ignores it (see the README), is handled
  as for one level: the levels are merged unfiltered, then only the page's
  matching rows are kept and the page says so; counts include every source.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TypeVar

from .client import ModelArtsClient
from .types import MAX_PAGE_SIZE, Event, EventPage, EventQuery, Order

COMBINED_LEVEL = "Warning,Error"
# The parts of the combined level, in the order they are taken to have
# happened when they share a second.
COMBINED_PARTS: tuple[str, str] = ("Warning", "Error")
BLOCK = MAX_PAGE_SIZE

_T = TypeVar("_T")


def levels_of(level: str | None) -> tuple[str, ...]:
    """The upstream levels a level the timeline offers stands for (none: every level)."""
    if not level:
        return ()
    return COMBINED_PARTS if level == COMBINED_LEVEL else (level,)


def list_events(
    client: ModelArtsClient, project_id: str, job_id: str, query: EventQuery
) -> EventPage:
    """A page of events at any level the timeline offers, the combined one included."""
    if query.level == COMBINED_LEVEL:
        return merged_page(client, project_id, job_id, query, COMBINED_PARTS)
    return client.list_events(project_id, job_id, query)


def merged_page(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    levels: tuple[str, str],
) -> EventPage:
    """The page at query.offset of two levels merged by time (see the module docstring).

    levels come in the order they are taken to have happened within a second.
    """
    try:
        return _merged_page(client, project_id, job_id, query, levels)
    except _SourceIgnored:
        pass
    # ModelArts ignores the Source filter: merge what it sends, show only the
    # matching rows of this page, and say so.
    page = _merged_page(client, project_id, job_id, replace(query, source=None), levels)
    wanted = (query.source or "").casefold()
    return replace(
        page,
        events=tuple(e for e in page.events if e.source.casefold() == wanted),
        source_filter_ignored=True,
    )


def merge_streams(streams: Sequence[Iterable[Event]], order: Order) -> Iterator[Event]:
    """Whole streams of events, one per level, each in `order`, merged lazily.

    streams come in the order their levels are taken to have happened within
    a second, like merged_page's levels, which this matches row for row.
    """
    ranked = _tie_order(list(streams), order)
    keyed = [_keyed(stream, order) for stream in ranked]
    # heapq.merge is stable: of equal keys, the earlier stream's comes first.
    return (event for _, event in heapq.merge(*keyed, key=lambda pair: pair[0]))


# -- the merged page ---------------------------------------------------------------------


class _SourceIgnored(Exception):
    """A level's block came back with rows of other sources filtered out here."""


def _tie_order(pair: list[_T], order: Order) -> list[_T]:
    """The levels in the order their events come within a second, in this direction."""
    return pair if order == "asc" else pair[::-1]


def _position(event: Event, order: Order) -> float | None:
    """Where an event falls in the direction asked for: smaller comes first."""
    if event.time is None:
        return None
    seconds = event.time.timestamp()
    return seconds if order == "asc" else -seconds


def _keyed(stream: Iterable[Event], order: Order) -> Iterator[tuple[float, Event]]:
    """Each event with its position, an unreadable time taking the one before it."""
    last = -math.inf
    for event in stream:
        position = _position(event, order)
        if position is not None:
            last = position
        yield last, event


@dataclass
class _Level:
    """One level of the merged query, read in aligned blocks, each read once."""

    client: ModelArtsClient
    project_id: str
    job_id: str
    query: EventQuery
    blocks: dict[int, EventPage] = field(default_factory=dict)

    def block(self, number: int) -> EventPage:
        page = self.blocks.get(number)
        if page is None:
            query = replace(self.query, offset=number * BLOCK, limit=BLOCK)
            page = self.client.list_events(self.project_id, self.job_id, query)
            if page.source_filter_ignored:
                raise _SourceIgnored
            self.blocks[number] = page
        return page

    @property
    def total(self) -> int:
        return self.block(0).total

    def event(self, index: int) -> Event | None:
        """The event at index, None past the end (or past a short block)."""
        if index < 0:
            return None
        events = self.block(index // BLOCK).events
        return events[index % BLOCK] if index % BLOCK < len(events) else None

    def position(self, index: int) -> float:
        """Where event index falls; past the end is after everything."""
        event = self.event(index)
        if event is None:
            return math.inf
        # An unreadable time: the nearest earlier readable one (rare, so read
        # back a row at a time).
        for earlier in range(index, -1, -1):
            found = self.event(earlier)
            position = None if found is None else _position(found, self.query.order)
            if position is not None:
                return position
        return -math.inf

    def keyed_from(self, index: int, count: int) -> list[tuple[float, Event]]:
        """Up to count events from index on, each with its position."""
        found = []
        for i in range(index, index + count):
            event = self.event(i)
            if event is None:
                break
            found.append((self.position(i), event))
        return found


def _split(first: _Level, second: _Level, k: int) -> int:
    """How many of the first k merged events come from `first` (which wins ties)."""
    low, high = max(0, k - second.total), min(k, first.total)
    # The smallest i at which second's (k - i)-th event strictly precedes
    # first's i-th: false, then true, as i grows.
    while low < high:
        i = (low + high) // 2
        if second.position(k - i - 1) < first.position(i):
            high = i
        else:
            low = i + 1
    return low


def _merged_page(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    levels: tuple[str, str],
) -> EventPage:
    first, second = (
        _Level(client, project_id, job_id, replace(query, level=level))
        for level in _tie_order(list(levels), query.order)
    )
    total = first.total + second.total
    k, limit = query.offset, query.limit
    events: list[Event] = []
    if k < total and limit > 0:
        i = _split(first, second, k)
        merged = heapq.merge(
            first.keyed_from(i, limit), second.keyed_from(k - i, limit), key=lambda pair: pair[0]
        )
        events = [event for _, event in islice(merged, limit)]
    return EventPage(
        total=total,
        offset=k,
        limit=limit,
        order=query.order,
        events=tuple(events),
    )


__all__ = [
    "BLOCK",
    "COMBINED_LEVEL",
    "COMBINED_PARTS",
    "levels_of",
    "list_events",
    "merge_streams",
    "merged_page",
]
