"""The patterns page: grouping, counts, level mix, links, the cap, caching, refusals, escaping."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from eventsui.modelarts import EventQuery
from eventsui.modelarts.budget import BudgetExhausted
from eventsui.modelarts.client import ModelArtsClient
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline import patterns
from tests.html_tree import Node, html

JOB = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}"
PATTERNS = f"{JOB}/patterns/"
EVENTS = f"{JOB}/events/"
LONG_PATTERNS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/patterns/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def memory_cache(settings: Any) -> None:
    """A cache of its own per test (the test settings' default keeps nothing)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"patterns-{uuid.uuid4().hex}",
        }
    }


def rows(response: Any) -> list[Node]:
    return html(response).find("table", class_="patterns-table").find("tbody").find_all("tr")


def cell(row: Node, name: str) -> Node:
    return row.find("td", class_=name)


def count_of(row: Node) -> int:
    return int(cell(row, "pattern-count").text.replace(",", ""))


def template_of(row: Node) -> str:
    return cell(row, "pattern-template").find("a", class_="pattern-link").text


def mix_of(row: Node) -> dict[str, int]:
    spans = cell(row, "pattern-levels").find_all("span", class_="level")
    return {s.text.split()[0]: int(s.text.split()[1]) for s in spans}


def row_with(response: Any, text: str) -> Node:
    (row,) = [r for r in rows(response) if text in template_of(r)]
    return row


def summary(response: Any) -> str:
    return html(response).find("p", class_="patterns-summary").text


# -- grouping and counts ----------------------------------------------------------------------


def test_the_failed_jobs_exit_codes_from_four_workers_are_one_template(client: Client) -> None:
    response = client.get(PATTERNS)

    assert response.status_code == 200
    row = row_with(response, "Exit code")
    assert template_of(row) == "[worker-<n>] Training finished. Exit code <n>."
    assert count_of(row) == 4
    assert mix_of(row) == {"Error": 4}
    assert "row-error" in row.classes
    # The placeholders are marked as such, not shown as message text.
    slots = cell(row, "pattern-template").find_all("span", class_="slot")
    assert [s.text for s in slots] == ["<n>", "<n>"]


def test_the_counts_add_up_to_the_events_covered_and_the_page_says_how_many(
    client: Client,
) -> None:
    response = client.get(PATTERNS)

    counts = [count_of(r) for r in rows(response)]
    assert sum(counts) == 181
    assert counts == sorted(counts, reverse=True)
    assert summary(response).startswith(f"{len(counts)} templates in 181 events.")


def test_the_level_mix_adds_up_to_each_level_of_the_job(client: Client) -> None:
    everything = rows(client.get(PATTERNS))
    errors = rows(client.get(PATTERNS, {"level": "Error"}))

    error_total = sum(mix_of(r).get("Error", 0) for r in everything)
    assert error_total == sum(count_of(r) for r in errors) == 9
    assert all(set(mix_of(r)) == {"Error"} for r in errors)
    assert all(sum(mix_of(r).values()) == count_of(r) for r in everything)


def test_errors_and_warnings_first_puts_the_rare_ones_at_the_top(client: Client) -> None:
    response = client.get(PATTERNS, {"sort": "severity"})

    levels = [set(mix_of(r)) for r in rows(response)]
    first_plain = next(n for n, mix in enumerate(levels) if mix == {"Info"})
    assert all("Error" in mix or "Warning" in mix for mix in levels[:first_plain])
    assert all(mix == {"Info"} for mix in levels[first_plain:])
    assert "Error" in levels[0]
    sorts = html(response).find("nav", class_="pattern-sorts").find_all("a")
    assert [a.attrs.get("aria-current") for a in sorts] == [None, "true"]
    assert sorts[0].attrs["href"] == PATTERNS


def test_each_template_has_its_first_and_last_time_and_a_sparkline(client: Client) -> None:
    row = row_with(client.get(PATTERNS), "Exit code")

    first, last = cell(row, "time").find_all("time")
    assert (first.attrs["datetime"], last.attrs["datetime"]) == (
        "2026-11-20T02:21:54Z",
        "2026-11-20T02:22:25Z",
    )
    svg = cell(row, "pattern-spark").find("svg", class_="sparkline")
    assert svg.attrs["role"] == "img"
    assert svg.attrs["aria-label"].startswith("4 events over ")
    bars = svg.find_all("rect", class_="spark-bar")
    assert 1 <= len(bars) <= 2  # 02:21:54 and 02:22:25, in one bucket or two
    assert all("style" not in b.attrs for b in bars)


def test_the_page_has_no_inline_style_or_script(client: Client) -> None:
    page = html(client.get(PATTERNS))

    def walk(node: Node) -> Iterator[Node]:
        yield node
        for child in node.children:
            if isinstance(child, Node):
                yield from walk(child)

    for node in walk(page):
        assert "style" not in node.attrs
        assert node.tag != "style"
        if node.tag == "script":
            assert node.attrs.get("src")


# -- links ------------------------------------------------------------------------------------


def test_a_templates_link_is_the_timeline_filtered_by_its_longest_literal(client: Client) -> None:
    link = row_with(client.get(PATTERNS), "Exit code").find("a", class_="pattern-link")

    url = urlsplit(link.attrs["href"])
    assert url.path == EVENTS
    assert parse_qs(url.query) == {"pattern": ["Training finished. Exit code"]}


def test_a_templates_link_keeps_the_filters_and_the_window(client: Client) -> None:
    window = {
        "level": "Error",
        "start_time": "2026-11-20T02:00:00Z",
        "end_time": "2026-11-20T03:00:00Z",
    }

    link = row_with(client.get(PATTERNS, window), "Exit code").find("a", class_="pattern-link")

    assert parse_qs(urlsplit(link.attrs["href"]).query) == {
        **{k: [v] for k, v in window.items()},
        "pattern": ["Training finished. Exit code"],
    }


def test_a_template_link_shows_every_event_of_the_template(client: Client) -> None:
    row = row_with(client.get(PATTERNS), "NCCL communicator")

    timeline = html(client.get(row.find("a", class_="pattern-link").attrs["href"]))

    shown = timeline.find("p", class_="summary").find("strong").text
    assert int(shown) >= count_of(row) == 3


def test_a_timeline_url_works_with_patterns_in_place_of_events(client: Client) -> None:
    response = client.get(
        PATTERNS, {"level": "Error", "limit": "20", "offset": "40", "fold": "1", "mark": ""}
    )

    assert response.status_code == 200
    assert sum(count_of(r) for r in rows(response)) == 9


def test_the_timeline_links_to_the_patterns_of_what_it_shows(client: Client) -> None:
    page = html(client.get(EVENTS, {"level": "Error", "pattern": "NCCL"}))

    link = page.find("p", class_="patterns-link").find("a")
    url = urlsplit(link.attrs["href"])
    assert url.path == PATTERNS
    assert parse_qs(url.query) == {"level": ["Error"], "pattern": ["NCCL"]}


def test_an_htmx_request_gets_the_results_region_only(client: Client) -> None:
    response = client.get(PATTERNS, {"sort": "severity"}, headers=HTMX)

    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<section id="results"')
    assert b"<html" not in response.content


# -- cost: the cap, the deadline, caching, the budget ---------------------------------------


def test_a_running_job_is_read_over_its_newest_events_up_to_the_cap_and_says_so(
    client: Client, event_queries: list[EventQuery], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patterns, "RUNNING_CAP", 300)

    response = client.get(LONG_PATTERNS)

    assert response.status_code == 200
    assert len(event_queries) == 3  # 300 events, 100 a call
    assert {q.order for q in event_queries} == {"desc"}
    assert sorted(q.offset for q in event_queries) == [0, 100, 200]
    # Every page under one frozen window, so new events cannot shift the offsets.
    assert len({(q.start, q.end) for q in event_queries}) == 1
    assert "in the newest 300 of 30,000 events." in summary(response)
    assert sum(count_of(r) for r in rows(response)) == 300
    notice = html(response).find("p", class_="patterns-cap").text
    assert "still running" in notice
    assert "newest 300 events" in notice


def test_a_finished_job_larger_than_the_cap_covers_its_newest_and_says_so(
    client: Client, event_queries: list[EventQuery], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patterns, "FINISHED_CAP", 100)

    response = client.get(PATTERNS)

    assert len(event_queries) == 1
    assert summary(response).startswith(f"{len(rows(response))} templates in the newest 100 of 181")
    assert "newest 100." in html(response).find("p", class_="patterns-cap").text


def test_a_finished_job_is_read_once_and_kept(
    client: Client, event_queries: list[EventQuery]
) -> None:
    first = client.get(PATTERNS)
    calls = len(event_queries)

    again = client.get(PATTERNS, {"sort": "severity"})

    assert calls == 2  # 181 events
    assert len(event_queries) == calls
    assert sorted(count_of(r) for r in rows(again)) == sorted(count_of(r) for r in rows(first))
    # Other filters are other patterns.
    client.get(PATTERNS, {"level": "Error"})
    assert len(event_queries) == calls + 1


def test_a_running_job_is_read_again_once_the_short_ttl_is_over(
    client: Client,
    event_queries: list[EventQuery],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.MODELARTS_CACHE_TTL_ACTIVE = 0
    monkeypatch.setattr(patterns, "RUNNING_CAP", 100)

    client.get(LONG_PATTERNS)
    client.get(LONG_PATTERNS)

    assert len(event_queries) == 2


def test_a_read_past_the_deadline_covers_what_it_got_and_is_kept_only_briefly(
    client: Client,
    event_queries: list[EventQuery],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.MODELARTS_CACHE_TTL_ACTIVE = 0  # the short TTL, over at once
    monkeypatch.setattr(patterns, "DEADLINE", 0.0)
    original = patterns._page
    finished: list[threading.Event] = []

    def slow(*args: Any) -> Any:
        done = threading.Event()
        finished.append(done)
        try:
            time.sleep(0.2)
            return original(*args)
        finally:
            done.set()

    monkeypatch.setattr(patterns, "_page", slow)

    response = client.get(PATTERNS)

    assert response.status_code == 200
    assert "Reading stopped after the time limit" in html(response).find("p", class_="notice").text
    assert summary(response).startswith(f"{len(rows(response))} templates in the newest 100 of 181")
    client.get(PATTERNS)
    assert sum(q.offset == 0 for q in event_queries) == 2
    # The reads left behind end on their own; not in the next test's time.
    assert all(done.wait(5) for done in finished)


def test_a_spent_budget_answers_429_with_retry_after(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def spent(self: ModelArtsClient, *args: Any) -> Any:
        raise BudgetExhausted("The budget is used up.", retry_after=7)

    monkeypatch.setattr(ModelArtsClient, "list_events", spent)

    response = client.get(PATTERNS)

    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert html(response).find("div", class_="upstream-error").find("h2").text == (
        "This project's ModelArts budget is used up"
    )


# -- refusals and escaping -------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"level": "Debug"},
        {"sort": "alphabet"},
        {"start_time": "yesterday", "end_time": "2026-11-20T03:00:00Z"},
        {"pattern": "x" * 257},
        {"limit": "100000"},
    ],
)
def test_bad_filters_answer_400_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]], params: dict[str, str]
) -> None:
    response = client.get(PATTERNS, params)

    assert response.status_code == 400
    assert html(response).find("div", class_="upstream-error").find("h2").text == (
        "These filters cannot be used"
    )
    assert upstream_calls == []


def test_hostile_text_is_escaped_and_hidden_characters_shown(client: Client) -> None:
    response = client.get(PATTERNS)
    page = html(response)

    assert page.find_all("img") == []
    assert all(s.attrs.get("src") for s in page.find_all("script"))
    script = row_with(response, "alert(")
    assert "<script>alert(<str>)</script>" in template_of(script)
    bidi = row_with(response, "saved checkpoint")
    assert "U+202E" in [m.text for m in bidi.find_all("span", class_="ctl")]
