"""Warning and Error merged by time, paged by record offset: against the sandbox, exhaustively."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.merge import (
    COMBINED_LEVEL,
    COMBINED_PARTS,
    levels_of,
    list_events,
    merge_streams,
    merged_page,
)
from eventsui.modelarts.parsing import normalise_source
from eventsui.modelarts.types import Event, EventPage, EventQuery
from eventsui.sandbox import data
from tests.sandbox_client import sandbox_client, sent_queries

PROJECT = data.DEFAULT_PROJECT_ID
FAILED = data.FAILED_JOB_ID  # 2 Warning, 9 Error
LONG = data.LONG_JOB_ID  # 38 Warning, 6 Error, some in the same second
NOISY = "0dd5e7a1-0000-4000-8000-00000000a015"  # built here: both levels past 100
MODES = ["records", "pages"]


def _noisy_events(job: data.SandboxJob) -> list[data.SandboxEvent]:
    """Warnings and errors by the hundred, many sharing a second, among Info lines."""
    rng = random.Random(15)
    events = []
    at = job.created
    for second in range(320):
        at += rng.choice((0, 1, 1, 2))
        for n in range(rng.choice((0, 1, 1, 2, 3))):
            level = rng.choice(("Info", "Warning", "Warning", "Error", "Error"))
            worker = rng.randrange(4)
            events.append(
                data.SandboxEvent(at, level, "Task", f"[worker-{worker}] {level} #{second}.{n}")
            )
    return events


@pytest.fixture(autouse=True)
def noisy_job(monkeypatch: pytest.MonkeyPatch) -> data.SandboxJob:
    """A sandbox job with a few hundred Warning and Error events, many tied."""
    job = data.SandboxJob(
        id=NOISY,
        name="noisy",
        phase="Completed",
        secondary_phase="Completed",
        created=int(datetime(2026, 3, 1, tzinfo=UTC).timestamp()),
        build_events=_noisy_events,
    )
    real_find_job = data.find_job
    monkeypatch.setattr(
        data, "find_job", lambda job_id: job if job_id == NOISY else real_find_job(job_id)
    )
    return job


def truth(job_id: str, order: str, source: str | None = None) -> list[tuple]:
    """The job's Warning and Error events in the documented order.

    Oldest first: by second, a Warning before an Error of the same second,
    then the data set's own order; newest first is the exact reverse (the
    sandbox reverses its own ties too).
    """
    events = [
        (index, e)
        for index, e in enumerate(data.find_job(job_id).events())
        if e.level in COMBINED_PARTS and (source is None or e.source == source)
    ]
    events.sort(key=lambda pair: (pair[1].at, COMBINED_PARTS.index(pair[1].level), pair[0]))
    rows = [(data.as_utc(e.at), e.level, normalise_source(e.source), e.message) for _, e in events]
    return rows if order == "asc" else rows[::-1]


def seen(events) -> list[tuple]:
    return [(e.time, e.level, e.source, e.message) for e in events]


def read_all(client: ModelArtsClient, job_id: str, query: EventQuery) -> tuple[list, set[int]]:
    """Every page of the merged query from offset 0, each asked for on its own."""
    rows: list = []
    totals = set()
    offset = 0
    while True:
        page = list_events(client, PROJECT, job_id, replace(query, offset=offset))
        assert page.offset == offset
        assert page.limit == query.limit
        assert page.order == query.order
        assert len(page.events) == min(query.limit, max(0, page.total - offset))
        totals.add(page.total)
        rows.extend(seen(page.events))
        offset += query.limit
        if offset >= page.total:
            return rows, totals


# -- the paging, exhaustively ----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("job_id", [FAILED, LONG, NOISY])
@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_the_merged_pages_are_the_whole_merged_list_without_duplicates_or_gaps(
    mode: str, job_id: str, order: str, limit: int
) -> None:
    expected = truth(job_id, order)
    client = sandbox_client(mode)

    rows, totals = read_all(
        client, job_id, EventQuery(level=COMBINED_LEVEL, order=order, limit=limit)
    )

    assert rows == expected
    assert len(set(rows)) == len(rows)  # every row of these jobs is distinct
    assert totals == {len(expected)}


@pytest.mark.parametrize("job_id", [FAILED, LONG, NOISY])
def test_the_total_is_the_sum_of_both_levels_totals(job_id: str) -> None:
    client = sandbox_client()
    by_level = {
        level: client.list_events(PROJECT, job_id, EventQuery(level=level, limit=1)).total
        for level in COMBINED_PARTS
    }

    page = list_events(client, PROJECT, job_id, EventQuery(level=COMBINED_LEVEL, limit=1))

    assert page.total == by_level["Warning"] + by_level["Error"]


def test_the_noisy_job_really_has_both_levels_past_a_block_and_ties_across_levels() -> None:
    events = [e for e in data.find_job(NOISY).events() if e.level in COMBINED_PARTS]
    levels_per_second: dict[int, set[str]] = {}
    for e in events:
        levels_per_second.setdefault(e.at, set()).add(e.level)

    assert sum(e.level == "Warning" for e in events) > 100
    assert sum(e.level == "Error" for e in events) > 100
    assert sum(len(levels) == 2 for levels in levels_per_second.values()) > 30


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("offset", [0, 1, 99, 100, 101, 250, 333])
def test_any_offset_is_the_same_slice_of_the_merged_list(order: str, offset: int) -> None:
    expected = truth(NOISY, order)

    page = list_events(
        sandbox_client(),
        PROJECT,
        NOISY,
        EventQuery(level=COMBINED_LEVEL, order=order, offset=offset, limit=50),
    )

    assert seen(page.events) == expected[offset : offset + 50]


def test_within_a_second_newest_first_puts_the_error_above_the_warning() -> None:
    rows, _ = read_all(sandbox_client(), NOISY, EventQuery(level=COMBINED_LEVEL, limit=100))

    tied = [(a, b) for a, b in itertools.pairwise(rows) if a[0] == b[0] and a[1] != b[1]]
    assert tied
    assert all((a[1], b[1]) == ("Error", "Warning") for a, b in tied)


def test_within_a_second_oldest_first_puts_the_warning_above_the_error() -> None:
    query = EventQuery(level=COMBINED_LEVEL, order="asc", limit=100)
    rows, _ = read_all(sandbox_client(), NOISY, query)

    tied = [(a, b) for a, b in itertools.pairwise(rows) if a[0] == b[0] and a[1] != b[1]]
    assert tied
    assert all((a[1], b[1]) == ("Warning", "Error") for a, b in tied)


def test_past_the_end_it_answers_no_rows_and_the_total() -> None:
    page = list_events(
        sandbox_client(), PROJECT, FAILED, EventQuery(level=COMBINED_LEVEL, offset=50, limit=50)
    )

    assert page.events == ()
    assert page.total == 11


def test_the_other_filters_go_to_both_levels() -> None:
    client = sandbox_client()
    start, end = (
        datetime(2026, 11, 20, 2, 21, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 2, 23, tzinfo=UTC),
    )
    query = EventQuery(level=COMBINED_LEVEL, pattern="Exit code", start=start, end=end, limit=20)

    page = list_events(client, PROJECT, FAILED, query)

    assert [e.message for e in page.events] == [
        "[worker-2] Training finished. Exit code 1.",
        "[worker-1] Training finished. Exit code 1.",
        "[worker-0] Training finished. Exit code 1.",
        "[worker-3] Training finished. Exit code 137.",
    ]
    sent = sent_queries(client)
    assert sorted(q["level"][0] for q in sent) == ["Error", "Warning"]
    assert all(
        q["pattern"] == ["Exit code"] and "start_time" in q and "end_time" in q for q in sent
    )


# -- what it costs ------------------------------------------------------------------------


def test_levels_of_a_hundred_events_or_fewer_cost_one_call_each() -> None:
    client = sandbox_client()

    list_events(client, PROJECT, FAILED, EventQuery(level=COMBINED_LEVEL, offset=7, limit=3))

    assert sorted((q["level"][0], q["offset"][0], q["limit"][0]) for q in sent_queries(client)) == [
        ("Error", "0", "100"),
        ("Warning", "0", "100"),
    ]


def test_a_deep_page_of_two_large_levels_costs_a_few_aligned_block_calls() -> None:
    client = sandbox_client()

    list_events(client, PROJECT, NOISY, EventQuery(level=COMBINED_LEVEL, offset=333, limit=50))

    sent = sent_queries(client)
    assert len(sent) <= 8
    assert all(q["limit"] == ["100"] and int(q["offset"][0]) % 100 == 0 for q in sent)
    # No block is asked for twice within one page.
    assert len({(q["level"][0], q["offset"][0]) for q in sent}) == len(sent)


def test_a_single_level_is_one_ordinary_call() -> None:
    client = sandbox_client()

    page = list_events(client, PROJECT, FAILED, EventQuery(level="Error", limit=5))

    assert [q["level"] for q in sent_queries(client)] == [["Error"]]
    assert sent_queries(client)[0]["limit"] == ["5"]
    assert page.total == 9


# -- the Source filter, when ModelArts ignores it ---------------------------------------------


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_source_modelarts_ignores_is_applied_to_the_rows_and_said(order: str) -> None:
    client = sandbox_client(applies_source=False)
    query = EventQuery(level=COMBINED_LEVEL, source="Task", order=order, limit=4)

    rows: list = []
    for offset in range(0, 11, 4):
        page = list_events(client, PROJECT, FAILED, replace(query, offset=offset))
        assert page.total == 11  # every source, as for one level
        assert page.source_filter_ignored
        rows.extend(seen(page.events))

    assert rows == truth(FAILED, order, source="Task")


def test_a_source_modelarts_applies_gives_exact_counts() -> None:
    page = list_events(
        sandbox_client(), PROJECT, FAILED, EventQuery(level=COMBINED_LEVEL, source="Task")
    )

    assert not page.source_filter_ignored
    assert page.total == len(truth(FAILED, "desc", source="Task"))


# -- the export's streaming merge matches the pages -------------------------------------------


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_merge_streams_gives_the_same_order_as_the_pages(order: str) -> None:
    client = sandbox_client()
    streams = []
    for level in COMBINED_PARTS:
        query = EventQuery(level=level, order=order, limit=100)
        total = client.list_events(PROJECT, NOISY, query).total
        streams.append(
            [
                e
                for offset in range(0, total, 100)
                for e in client.list_events(PROJECT, NOISY, replace(query, offset=offset)).events
            ]
        )

    assert seen(merge_streams(streams, order)) == truth(NOISY, order)


# -- times ModelArts sent that cannot be read --------------------------------------------------


def at(second: int | None, level: str, message: str) -> Event:
    moment = None if second is None else datetime.fromtimestamp(1_800_000_000 + second, tz=UTC)
    return Event(time=moment, time_text="?", level=level, source="Task", message=message)


class FakeLevels:
    """A client over in-memory events, oldest first, that pages one level as asked."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def list_events(self, project_id: str, job_id: str, query: EventQuery) -> EventPage:
        rows = [e for e in self.events if e.level == query.level]
        rows = rows if query.order == "asc" else rows[::-1]
        return EventPage(
            total=len(rows),
            offset=query.offset,
            limit=query.limit,
            order=query.order,
            events=tuple(rows[query.offset : query.offset + query.limit]),
        )


UNREADABLE = [
    at(None, "Error", "e0"),
    at(10, "Warning", "w1"),
    at(None, "Warning", "w2"),
    at(20, "Error", "e1"),
    at(30, "Warning", "w3"),
]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # An unreadable time takes the time of the event listed before it in
        # its level; with none before it, it comes first.
        ("asc", ["e0", "w1", "w2", "e1", "w3"]),
        ("desc", ["w3", "w2", "e1", "e0", "w1"]),
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_an_unreadable_time_keeps_its_place_in_its_level(
    order: str, expected: list[str], limit: int
) -> None:
    client = FakeLevels(UNREADABLE)
    query = EventQuery(level=COMBINED_LEVEL, order=order, limit=limit)
    streams = [
        client.list_events("p", "j", replace(query, level=level, limit=100)).events
        for level in COMBINED_PARTS
    ]

    rows = []
    for offset in range(0, len(UNREADABLE), limit):
        page = merged_page(client, "p", "j", replace(query, offset=offset), COMBINED_PARTS)
        rows.extend(e.message for e in page.events)

    assert rows == expected
    assert [e.message for e in merge_streams(streams, order)] == expected


# -- the level's spelling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "parts"),
    [
        (None, ()),
        ("", ()),
        ("Info", ("Info",)),
        ("Error", ("Error",)),
        (COMBINED_LEVEL, COMBINED_PARTS),
    ],
)
def test_levels_of_names_the_upstream_levels_a_choice_stands_for(
    level: str | None, parts: tuple[str, ...]
) -> None:
    assert levels_of(level) == parts
