"""Event anchors: stable row ids, the mark parameter and each row's permalink."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from html_tree import event_rows, html

from eventsui.modelarts import Event
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.anchors import ANCHOR_RE, anchors, event_key

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
WINDOW = {"start_time": "2026-11-20T02:00:00Z", "end_time": "2026-11-20T02:30:00Z"}


def event(second: int = 0, message: str = "Training job is running.", **kw: str) -> Event:
    time = datetime(2026, 11, 20, 2, 0, second, tzinfo=UTC)
    return Event(
        time=time,
        time_text=time.isoformat(),
        level=kw.get("level", "Info"),
        source=kw.get("source", "Job"),
        message=message,
    )


# -- the ids ------------------------------------------------------------------------------


def test_an_id_is_ev_and_12_hex_digits_of_time_source_and_message() -> None:
    one = event(5, "Training job failed.", source="Job", level="Error")
    digest = hashlib.sha256(b"2026-11-20T02:00:05Z|Job|Training job failed.").hexdigest()

    assert event_key(one) == "ev-" + digest[:12]
    assert ANCHOR_RE.match(event_key(one))


def test_the_same_event_gets_the_same_id_whatever_zone_it_came_in() -> None:
    utc = event(5)
    shanghai = Event(
        time=utc.time.astimezone(datetime.fromisoformat("2026-01-01T00:00+08:00").tzinfo),
        time_text="2026-11-20T10:00:05+08:00",
        level="Info",
        source=utc.source,
        message=utc.message,
    )

    assert event_key(shanghai) == event_key(utc)


@pytest.mark.parametrize(
    "other",
    [event(6), event(5, "Training job is queuing."), event(5, source="Task")],
    ids=["time", "message", "source"],
)
def test_a_different_time_source_or_message_gives_a_different_id(other: Event) -> None:
    assert event_key(other) != event_key(event(5))


def test_an_unreadable_time_is_hashed_as_sent() -> None:
    odd = Event(time=None, time_text="yesterday", level="Info", source="Job", message="x")

    assert event_key(odd) == event_key(
        Event(time=None, time_text="yesterday", level="Error", source="Job", message="x")
    )
    assert ANCHOR_RE.match(event_key(odd))


def test_identical_events_are_suffixed_in_time_order() -> None:
    a, b = event(1, "first"), event(2, "loss=1.0")
    oldest_first = [a, b, b, event(3), b]
    base = event_key(b)

    ids = anchors(oldest_first, "asc")

    assert ids == [event_key(a), base, f"{base}-2", event_key(event(3)), f"{base}-3"]
    assert len(set(ids)) == len(ids)


def test_ids_do_not_depend_on_the_order_of_the_page() -> None:
    page = [event(1), event(2), event(2), event(2), event(3)]

    asc = anchors(page, "asc")
    desc = anchors(page[::-1], "desc")

    assert desc == asc[::-1]
    assert asc[1:4] == [event_key(event(2)), f"{event_key(event(2))}-2", f"{event_key(event(2))}-3"]


def row_ids(client: Client, **params: str) -> list[str]:
    return [row.attrs["id"] or "" for row in event_rows(client.get(EVENTS, params))]


def all_row_ids(client: Client, **params: str) -> list[str]:
    """The row ids of every page, 100 at a time."""
    ids: list[str] = []
    while True:
        offset = {"offset": str(len(ids))} if ids else {}  # offset=0 is not canonical
        page = row_ids(client, **params, limit="100", **offset)
        if not page:
            return ids
        ids.extend(page)


def test_every_row_of_the_failed_job_has_a_unique_anchor(client: Client) -> None:
    ids = all_row_ids(client)

    assert len(ids) == 181
    assert len(set(ids)) == len(ids)
    assert all(ANCHOR_RE.match(i) for i in ids)


def test_a_row_keeps_its_id_across_reloads_page_sizes_and_orders(client: Client) -> None:
    newest_first = all_row_ids(client, **WINDOW)

    assert all_row_ids(client, **WINDOW) == newest_first
    assert row_ids(client, **WINDOW, limit="20", offset="20") == newest_first[20:40]
    assert all_row_ids(client, **WINDOW, order="asc") == newest_first[::-1]


# -- mark --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mark",
    ["ev-12345", "ev-0123456789AB", "ev-0123456789ab-", "ev-0123456789ab-x", "x", "#ev", " "],
)
def test_a_bad_mark_is_refused_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], mark: str
) -> None:
    response = client.get(EVENTS, {"mark": mark})

    assert response.status_code == 400
    assert "Marked row" in html(response).find("section", id="results").text
    assert upstream_calls == []


def test_an_empty_mark_is_dropped_from_the_url(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(EVENTS, {"mark": "", "level": "Error"})

    assert response.status_code == 302
    assert response["Location"] == f"{EVENTS}?level=Error"
    assert upstream_calls == []


def test_the_marked_row_is_highlighted_and_only_it(client: Client) -> None:
    rows = event_rows(client.get(EVENTS))
    target = rows[7].attrs["id"] or ""

    marked = event_rows(client.get(EVENTS, {"mark": target}))

    current = [row for row in marked if row.attrs.get("aria-current") == "true"]
    assert [row.attrs["id"] for row in current] == [target]
    assert "marked" in current[0].classes
    assert [row for row in marked if "marked" in row.classes] == current


def test_a_mark_for_another_page_highlights_nothing(client: Client) -> None:
    rows = event_rows(client.get(EVENTS, {"mark": "ev-000000000000"}))

    assert not [row for row in rows if "aria-current" in row.attrs or "marked" in row.classes]


def test_each_time_cell_links_to_its_own_row(client: Client) -> None:
    response = client.get(EVENTS, {"level": "Error", "order": "asc"})

    for row in event_rows(response):
        anchor = row.attrs["id"] or ""
        # The permalink; a filtered view's time cell also offers "Show in context".
        (link,) = row.find("td", class_="time").find_all("a", class_="permalink")
        url = urlsplit(link.attrs["href"] or "")
        assert url.path == EVENTS
        assert url.fragment == anchor
        assert parse_qs(url.query) == {"level": ["Error"], "order": ["asc"], "mark": [anchor]}


def test_a_permalink_opens_without_a_redirect_and_marks_its_row(client: Client) -> None:
    row = event_rows(client.get(EVENTS, {"offset": "50"}))[3]
    href = row.find_all("a")[0].attrs["href"] or ""

    response = client.get(href.split("#")[0])

    (current,) = [r for r in event_rows(response) if r.attrs.get("aria-current") == "true"]
    assert current.attrs["id"] == row.attrs["id"] == urlsplit(href).fragment


def test_the_pagination_links_keep_the_mark(client: Client) -> None:
    mark = event_key(event(1))
    response = client.get(EVENTS, {"mark": mark, "offset": "50"})

    nav = html(response).find("nav", class_="pagination")
    hrefs = [a.attrs["href"] or "" for a in nav.find_all("a")]
    assert len(hrefs) == 4
    for href in hrefs:
        assert parse_qs(urlsplit(href).query)["mark"] == [mark]
