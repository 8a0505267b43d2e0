"""The bounded scan behind the filters eventsui applies itself (eventsui/modelarts/scan.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from eventsui.modelarts import Event, EventQuery, get_client
from eventsui.modelarts import client as client_module
from eventsui.modelarts.scan import MAX_SCAN_PAGES, scan
from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID

PROJECT = DEFAULT_PROJECT_ID


def _worker_1(event: Event) -> bool:
    return event.message.startswith("[worker-1]")


def _expected(job_id: str, order: str, keep: Any, level: str | None = None) -> list[tuple]:
    """What the filtered stream must be: the sandbox's own events, filtered and ordered."""
    events = data.find_job(job_id).events()  # type: ignore[union-attr]
    rows = [
        (e.level, e.source, e.message)
        for e in events
        if (level is None or e.level in level.split(","))
    ]
    kept = [r for r in rows if keep(Event(None, "", r[0], r[1], r[2]))]
    return kept[::-1] if order == "desc" else kept


def _row(event: Event) -> tuple[str, str, str]:
    source = "K8S" if event.source.upper() == "K8S" else event.source
    return (event.level, source, event.message)


def _normalised(rows: list[tuple]) -> list[tuple]:
    return [(level, "K8S" if s.upper() == "K8S" else s, m) for level, s, m in rows]


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_paging_the_filtered_stream_has_exact_totals_and_no_gap_or_duplicate(
    order: str, limit: int
) -> None:
    expected = _normalised(_expected(FAILED_JOB_ID, order, _worker_1))
    seen: list[tuple] = []
    offset = 0
    while True:
        query = EventQuery(order=order, offset=offset, limit=limit)  # type: ignore[arg-type]
        result = scan(get_client(), PROJECT, FAILED_JOB_ID, query, _worker_1)
        assert result.complete
        assert result.page.total == len(expected)
        if not result.page.events:
            break
        assert len(result.page.events) <= limit
        seen += [_row(e) for e in result.page.events]
        offset += limit
    assert seen == expected


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_combined_level_is_scanned_as_its_two_levels_merged(order: str) -> None:
    def keep(event: Event) -> bool:
        return "worker-3" in event.message

    query = EventQuery(level="Warning,Error", order=order, limit=100)  # type: ignore[arg-type]
    result = scan(get_client(), PROJECT, FAILED_JOB_ID, query, keep)
    expected = _normalised(_expected(FAILED_JOB_ID, order, keep, level="Warning,Error"))
    assert result.complete
    assert sorted(_row(e) for e in result.page.events) == sorted(expected)
    assert result.page.total == len(expected)


def test_the_scan_stops_at_its_bound_and_says_it_was_cut_short() -> None:
    query = EventQuery(order="desc", limit=50)
    result = scan(get_client(), PROJECT, LONG_JOB_ID, query, lambda e: True, max_pages=3)
    events = data.find_job(LONG_JOB_ID).events()  # type: ignore[union-attr]

    assert not result.complete
    assert result.scanned == 300
    assert result.upstream_total == len(events)
    # A lower bound: the matches among the newest 300 events only.
    assert result.page.total == 300
    assert result.page.events[0].message == events[-1].message


def test_the_default_bound_is_fifty_pages_of_a_hundred() -> None:
    assert MAX_SCAN_PAGES == 50
    result = scan(get_client(), PROJECT, LONG_JOB_ID, EventQuery(limit=20), _worker_1)
    assert result.scanned == 5000
    assert result.calls == 50
    assert not result.complete


def test_each_page_is_one_call_paid_from_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    paid: list[str] = []
    real_spend = client_module.budget.spend

    def spend(project_id: str, **kwargs: Any) -> None:
        paid.append(project_id)
        real_spend(project_id, **kwargs)

    monkeypatch.setattr(client_module.budget, "spend", spend)
    total = len(data.find_job(FAILED_JOB_ID).events())  # type: ignore[union-attr]

    result = scan(get_client(), PROJECT, FAILED_JOB_ID, EventQuery(limit=10), _worker_1)

    assert result.calls == math.ceil(total / 100)
    assert paid == [PROJECT] * result.calls


def test_the_narrowed_upstream_query_is_what_is_sent(event_queries: list[EventQuery]) -> None:
    query = EventQuery(pattern="worker-1", order="asc", offset=3, limit=5)
    scan(get_client(), PROJECT, FAILED_JOB_ID, query, _worker_1)

    assert {q.pattern for q in event_queries} == {"worker-1"}
    assert {(q.offset, q.limit, q.order) for q in event_queries} == {(0, 100, "asc")}
