"""Search on the timeline: ignore case, exclude, highlighting (search.py, the highlight filter)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from html_tree import event_rows, html

from eventsui.modelarts import EventQuery
from eventsui.modelarts.scan import scan
from eventsui.sandbox import data
from eventsui.sandbox.api import Sandbox
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline.search import Highlight, LocalFilters

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"


def _messages(response: Any) -> list[str]:
    return [row.find("td", class_="message").text for row in event_rows(response)]


def _render(text: str, needle: object) -> str:
    template = Template("{% load eventsui %}{{ text|highlight:needle }}")
    return template.render(Context({"text": text, "needle": needle}))


def test_the_sandbox_matches_pattern_case_sensitively_as_modelarts_does() -> None:
    answer = Sandbox().list_events(DEFAULT_PROJECT_ID, FAILED_JOB_ID, {"pattern": ["nccl"]})
    assert b'"total": "0"' in answer.body or b'"total": 0' in answer.body


def test_the_pattern_field_says_it_is_case_sensitive(client: Client) -> None:
    hint = html(client.get(EVENTS)).find("p", id="pattern_hint")
    assert hint.text.startswith("Case-sensitive, as ModelArts matches")


def test_ignore_case_finds_what_the_case_sensitive_pattern_misses(client: Client) -> None:
    sensitive = _messages(client.get(EVENTS + "?pattern=nccl"))
    ignoring = _messages(client.get(EVENTS + "?pattern=nccl&case=ignore&limit=100"))

    assert sensitive == []
    expected = [
        e.message
        for e in reversed(data.find_job(FAILED_JOB_ID).events())  # type: ignore[union-attr]
        if "nccl" in e.message.lower()
    ]
    assert ignoring == expected and len(expected) == 3


def test_ignore_case_does_not_send_the_pattern_upstream(
    client: Client, event_queries: list[EventQuery]
) -> None:
    client.get(EVENTS + "?pattern=nccl&case=ignore")
    assert event_queries and {q.pattern for q in event_queries} == {None}


def test_exclude_leaves_out_what_contains_it_with_an_exact_total(client: Client) -> None:
    response = client.get(EVENTS + "?level=Error&exclude=Exit%20code")
    events = data.find_job(FAILED_JOB_ID).events()  # type: ignore[union-attr]
    expected = [
        e.message for e in reversed(events) if e.level == "Error" and "Exit code" not in e.message
    ]

    assert _messages(response) == expected
    summary = html(response).find("p", class_="summary").text
    assert summary.startswith(f"{len(expected)} Error events and not “Exit code”")


def test_exclude_ignores_case_with_ignore_case() -> None:
    keep = LocalFilters(exclude="exit CODE", ignore_case=True).predicate(EventQuery())
    from eventsui.modelarts import Event

    assert not keep(Event(None, "", "Error", "Task", "[worker-0] Training finished. Exit code 1."))
    assert keep(Event(None, "", "Error", "Task", "Training job failed."))


def test_matches_are_highlighted_in_messages(client: Client) -> None:
    rows = event_rows(client.get(EVENTS + "?pattern=nccl&case=ignore"))
    marks = [m.text for row in rows for m in row.find_all("mark")]
    assert marks and {m.lower() for m in marks} == {"nccl"}
    assert "NCCL" in marks


def test_a_long_scan_is_cut_short_and_the_page_says_so(client: Client) -> None:
    url = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/events/?exclude=zzz"
    notice = html(client.get(url)).find("p", class_="scan-cut")
    total = len(data.find_job(LONG_JOB_ID).events())  # type: ignore[union-attr]
    assert notice.text == (
        f"Searched the newest 5,000 of {total:,} events; 5,000 match. "
        "Narrow the time range to search all of them."
    )


def test_a_complete_scan_says_nothing_about_being_cut(client: Client) -> None:
    assert html(client.get(EVENTS + "?exclude=zzz")).find_all("p", class_="scan-cut") == []


def test_hostile_text_is_escaped_in_message_and_pattern_and_stays_marked(client: Client) -> None:
    response = client.get(EVENTS + "?pattern=%3Cscript%3E&case=ignore")
    body = response.content.decode()
    row = event_rows(response)[0]

    assert "<script>alert" not in body
    assert [m.text for m in row.find_all("mark")] == ["<script>"]
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ("a <b> c", "<b>", "a <mark>&lt;b&gt;</mark> c"),
        (
            "NCCL and nccl",
            Highlight("nccl", ignore_case=True),
            "<mark>NCCL</mark> and <mark>nccl</mark>",
        ),
        ("NCCL and nccl", Highlight("nccl", ignore_case=False), "NCCL and <mark>nccl</mark>"),
        (
            "x\u202ey",
            "\u202e",
            'x<mark><span class="ctl" title="hidden character U+202E">U+202E</span></mark>y',
        ),
        ("a&amp;b", "amp", "a&amp;<mark>amp</mark>;b"),
        ("plain", None, "plain"),
        ("plain", Highlight("", ignore_case=True), "plain"),
    ],
)
def test_the_highlight_filter_escapes_first_and_marks_only_matches(
    text: str, needle: object, expected: str
) -> None:
    assert _render(text, needle) == expected


def test_scan_totals_match_a_local_count_for_ignore_case() -> None:
    from eventsui.modelarts import get_client

    local = LocalFilters(ignore_case=True)
    query = EventQuery(pattern="WORKER-2", limit=10)
    result = scan(
        get_client(),
        DEFAULT_PROJECT_ID,
        FAILED_JOB_ID,
        local.upstream(query),
        local.predicate(query),
    )
    events = data.find_job(FAILED_JOB_ID).events()  # type: ignore[union-attr]
    assert result.page.total == sum("worker-2" in e.message.lower() for e in events)
