"""Show in context (eventsui/timeline/context.py): any row, unfiltered, marked and in view."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from html_tree import event_rows, html

from eventsui.modelarts.client import ModelArtsClient
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline.context import marked

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
CONTEXT = EVENTS + "context/"


def _context_links(response: Any) -> list[tuple[Any, str]]:
    return [
        (row, row.find("a", class_="context-link").attrs["href"] or "")
        for row in event_rows(response)
    ]


def _follow(client: Client, href: str) -> tuple[Any, str, dict[str, list[str]], str]:
    response = client.get(href)
    assert response.status_code == 302
    location = response["Location"]
    parts = urlsplit(location)
    return (
        client.get(f"{parts.path}?{parts.query}"),
        location,
        parse_qs(parts.query),
        parts.fragment,
    )


@pytest.mark.parametrize(
    "filters", ["?level=Error", "?worker=worker-2", "?pattern=nccl&case=ignore", "?exclude=loss"]
)
def test_every_row_of_a_filtered_view_lands_marked_in_the_unfiltered_timeline(
    client: Client, filters: str
) -> None:
    links = _context_links(client.get(EVENTS + filters))
    assert links
    for row, href in links[:3]:
        page, _, params, fragment = _follow(client, href)
        assert set(params) <= {"start_time", "end_time", "order", "limit", "offset", "mark"}
        assert params["mark"] == [fragment]
        marked_rows = [r for r in event_rows(page) if "marked" in r.classes]
        assert len(marked_rows) == 1
        assert marked_rows[0].attrs["id"] == fragment
        message = row.find("td", class_="message").text
        assert marked_rows[0].find("td", class_="message").text == message


def test_the_unfiltered_timeline_offers_no_context_link(client: Client) -> None:
    rows = event_rows(client.get(EVENTS))
    assert rows and all(not r.find_all("a", class_="context-link") for r in rows)


def test_a_row_deep_in_a_long_job_lands_on_the_page_holding_it(client: Client) -> None:
    url = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/events/?level=Error"
    _row, href = _context_links(client.get(url))[-1]
    page, _, params, fragment = _follow(client, href)
    assert [r.attrs["id"] for r in event_rows(page) if "marked" in r.classes] == [fragment]
    assert params["order"] == ["asc"]


def test_it_costs_at_most_five_calls(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _, href = _context_links(client.get(EVENTS + "?level=Error"))[0]
    calls: list[str] = []
    real = ModelArtsClient._call

    def counting(self: ModelArtsClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        return real(self, method, path, *args, **kwargs)

    monkeypatch.setattr(ModelArtsClient, "_call", counting)
    assert client.get(href).status_code == 302
    assert 1 <= len(calls) <= 5


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?mark=ev-0123456789ab",
        "?at=2026-11-20T02:00:00Z",
        "?at=yesterday&mark=ev-0123456789ab",
        "?at=2026-11-20T02:00:00Z&mark=%3Cscript%3E",
    ],
)
def test_bad_input_is_a_400_without_an_upstream_call(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str
) -> None:
    response = client.get(CONTEXT + query)
    assert response.status_code == 400
    assert upstream_calls == []
    assert "<script>" not in response.content.decode()


def test_an_event_that_is_not_there_still_lands_at_its_time(client: Client) -> None:
    response = client.get(CONTEXT + "?at=2026-11-20T02:10:00Z&mark=ev-0123456789ab")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).fragment == "ev-0123456789ab"


def test_a_twin_s_rank_picks_the_nth_identical_row() -> None:
    from eventsui.modelarts import Event

    row = Event(None, "", "Info", "Task", "x")
    assert marked("ev-0123456789ab")(row, "ev-0123456789ab")
    assert not marked("ev-0123456789ab")(row, "ev-0123456789ab-2")
    assert marked("ev-0123456789ab-2")(row, "ev-0123456789ab-2")
    assert not marked("ev-0123456789ab-2")(row, "ev-aaaaaaaaaaaa-2")


def test_the_link_is_in_the_row_s_time_cell(client: Client) -> None:
    row, href = _context_links(client.get(EVENTS + "?level=Error"))[0]
    params = parse_qs(urlsplit(href).query)
    assert set(params) == {"at", "mark"}
    assert params["mark"] == [row.attrs["id"]]
    assert html(client.get(EVENTS + "?level=Error")).find_all("a", class_="context-link")
