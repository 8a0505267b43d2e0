"""Live tail: the poller on the page and the endpoint that answers only newer events."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.test import Client
from django.urls import reverse

from eventsui.modelarts import EventQuery
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.errors import UpstreamTimeout
from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LIVE_JOB_ID
from eventsui.timeline import live as live_module
from eventsui.timeline.anchors import anchors
from eventsui.timeline.live import Cursor
from tests.html_tree import Node, html

PAGE = reverse("events", args=[DEFAULT_PROJECT_ID, LIVE_JOB_ID])
POLL = reverse("events_live", args=[DEFAULT_PROJECT_ID, LIVE_JOB_ID])
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


# -- helpers ----------------------------------------------------------------------------------


def poller(response: Any) -> Node:
    return html(response).find("div", id="live-tail-poll")


def poll_url(response: Any) -> str:
    url = poller(response).attrs["hx-get"]
    assert url is not None
    return url


def cursor_of(url: str) -> Cursor:
    return Cursor.parse(parse_qs(urlsplit(url).query)["after"][0])


def rows_of(response: Any) -> list[Node]:
    """The rows a poll's answer carries, in the order the page shows them."""
    templates = poller(response).find_all("template", class_="live-tail-rows")
    if not templates:
        return []
    return templates[0].find("tbody").find_all("tr")


def messages(rows: list[Node]) -> list[str]:
    return [row.find("td", class_="message").text for row in rows]


def page_messages(response: Any) -> list[str]:
    table = html(response).find("table", class_="events")
    return messages(table.find("tbody").find_all("tr"))


@dataclass
class Clock:
    """The sandbox's clock and the live view's, moved together by the test."""

    now: float

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # Two hours into the live job's cycle: thousands of events, and no restart near.
    clock = Clock(float(data.live_cycle_start(time.time()) + 2 * 3600))
    monkeypatch.setattr(data, "time", SimpleNamespace(time=lambda: clock.now))
    monkeypatch.setattr(live_module, "_now", clock.moment)
    return clock


def live_job() -> data.SandboxJob:
    job = data.find_job(LIVE_JOB_ID)
    assert job is not None
    return job


def sandbox_messages(since: float, until: float) -> list[str]:
    """The live job's messages written after `since`, up to `until`, oldest first."""
    return [e.message for e in live_job().events(now=until) if e.at > since]


# -- the page ---------------------------------------------------------------------------------


def test_a_running_job_offers_the_live_toggle_off_by_default(client: Client, clock: Clock) -> None:
    response = client.get(PAGE)

    toggle = html(response).find("input", id="id_live")
    assert toggle.attrs["name"] == "live"
    assert toggle.attrs["value"] == "1"
    assert "checked" not in toggle.attrs
    assert not html(response).find_all("div", id="live-tail")


def test_a_finished_job_offers_no_toggle(client: Client) -> None:
    response = client.get(reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]))

    assert response.status_code == 200
    assert not html(response).find_all("input", id="id_live")


def test_live_is_part_of_the_canonical_url(client: Client, clock: Clock) -> None:
    assert client.get(PAGE, {"live": "1"}).status_code == 200
    assert client.get(PAGE, {"live": "0"})["Location"] == PAGE
    assert client.get(PAGE, {"order": "desc", "live": "1"})["Location"] == f"{PAGE}?live=1"
    assert client.get(PAGE, {"live": "yes"}).status_code == 400


def test_the_page_with_live_on_has_the_toggle_checked_and_a_poller(
    client: Client, clock: Clock
) -> None:
    response = client.get(PAGE, {"live": "1"})

    tree = html(response)
    assert "checked" in tree.find("input", id="id_live").attrs
    status = tree.find("p", id="live-tail-status")
    # Without JavaScript nothing follows: live.js switches the line on.
    assert status.text == "Live tail needs JavaScript: reload the page to see new events."
    assert status.attrs["data-live"] == "stopped"
    assert status.attrs["data-live-on"] == "Live: on. New events are added as they arrive."
    assert status.attrs["aria-live"] == "polite"
    assert not tree.find_all("noscript")
    poll = poller(response)
    assert poll.attrs["hx-trigger"] == "livepoll"
    assert poll.attrs["hx-target"] == "this"
    assert poll.attrs["hx-swap"] == "outerHTML"
    assert poll.attrs["hx-push-url"] == "false"
    assert "hidden" in tree.find("button", id="live-tail-new").attrs


def test_the_cursor_is_the_newest_rows_second_and_its_id(client: Client, clock: Clock) -> None:
    response = client.get(PAGE, {"live": "1"})

    newest = live_job().events(now=clock.now)[-1]
    top = html(response).find("table", class_="events").find("tbody").find_all("tr")[0]
    assert cursor_of(poll_url(response)) == Cursor(newest.at, frozenset({top.attrs["id"]}))
    assert urlsplit(poll_url(response)).path == POLL


def test_the_poller_carries_the_pages_filters(client: Client, clock: Clock) -> None:
    response = client.get(PAGE, {"live": "1", "level": "Warning", "pattern": "stalled"})

    query = parse_qs(urlsplit(poll_url(response)).query)
    assert query["level"] == ["Warning"]
    assert query["pattern"] == ["stalled"]
    assert "live" not in query


def test_pages_keep_live_on_and_permalinks_leave_it_out(client: Client, clock: Clock) -> None:
    response = client.get(PAGE, {"live": "1"})

    tree = html(response)
    following = tree.find("nav", class_="pagination").find_all("a")
    assert following
    assert all("live=1" in (a.attrs["href"] or "") for a in following)
    permalinks = tree.find("table", class_="events").find_all("a", class_="permalink")
    assert not any("live=" in (a.attrs["href"] or "") for a in permalinks)


def test_the_htmx_fragment_carries_the_poller_too(client: Client, clock: Clock) -> None:
    response = client.get(PAGE, {"live": "1"}, **HTMX)

    assert b"<html" not in response.content
    assert poll_url(response).startswith(POLL)
    assert response["HX-Push-Url"] == f"{PAGE}?live=1"


def test_a_page_that_does_not_end_at_the_newest_event_links_there(
    client: Client, clock: Clock
) -> None:
    response = client.get(PAGE, {"live": "1", "offset": "50"})

    tree = html(response)
    assert not tree.find_all("div", id="live-tail-poll")
    status = tree.find("p", id="live-tail-status")
    assert "this page does not hold the newest events" in status.text
    assert status.find("a").attrs["href"] == f"{PAGE}?live=1"


def test_oldest_first_follows_on_the_last_page(client: Client, clock: Clock) -> None:
    total = len(live_job().events(now=clock.now))
    first = client.get(PAGE, {"live": "1", "order": "asc", "limit": "100"})

    last = (total - 1) // 100 * 100
    link = html(first).find("p", id="live-tail-status").find("a").attrs["href"]
    assert link == f"{PAGE}?order=asc&limit=100&offset={last}&live=1"
    response = client.get(link)
    assert poll_url(response).startswith(POLL)


def test_a_finished_job_with_live_in_its_url_says_live_has_stopped(client: Client) -> None:
    response = client.get(
        reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]), {"live": "1"}
    )

    tree = html(response)
    assert not tree.find_all("div", id="live-tail-poll")
    status = tree.find("p", id="live-tail-status")
    assert status.text == "Live: stopped. The job has finished (Failed)."


def test_a_time_window_that_has_ended_cannot_be_followed(client: Client, clock: Clock) -> None:
    end = clock.moment() - timedelta(minutes=1)
    window = {"start_time": (end - timedelta(hours=1)).isoformat(), "end_time": end.isoformat()}
    response = client.get(PAGE, {"live": "1", **window}, follow=True)

    tree = html(response)
    assert not tree.find_all("div", id="live-tail-poll")
    assert "the chosen time window has ended" in tree.find("p", id="live-tail-status").text


def test_a_relative_range_slides_with_the_clock_and_is_followed(
    client: Client, clock: Clock
) -> None:
    page = client.get(PAGE, {"live": "1", "range": "15m"})

    query = parse_qs(urlsplit(poll_url(page)).query)
    assert query["range"] == ["15m"]
    assert "start_time" not in query
    since = int(clock.now)
    clock.advance(6)
    response = client.get(POLL, {"range": "15m", "after": str(since)})
    assert messages(rows_of(response)) == sandbox_messages(since - 1, clock.now)[::-1]
    assert poller(response).attrs["data-live-state"] == "on"


# -- the poll ---------------------------------------------------------------------------------


def test_a_poll_answers_only_the_events_written_since_the_page(
    client: Client, clock: Clock
) -> None:
    page = client.get(PAGE, {"live": "1"})
    shown = set(page_messages(page))
    loaded_at = clock.now
    clock.advance(7)

    response = client.get(poll_url(page))

    assert response.status_code == 200
    new = messages(rows_of(response))
    assert new == sandbox_messages(loaded_at, clock.now)[::-1]  # newest first, as the page
    assert len(new) in (3, 4)
    assert not shown & set(new)


def test_the_next_poll_continues_from_the_newest_row_it_got(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1"})
    clock.advance(5)
    first = client.get(poll_url(page))
    got = messages(rows_of(first))
    after_first = clock.now
    clock.advance(6)

    second = client.get(poll_url(first))

    assert messages(rows_of(second)) == sandbox_messages(after_first, clock.now)[::-1]
    assert not set(got) & set(messages(rows_of(second)))


def number(node: Node) -> int:
    return int(node.text.replace(",", ""))


def test_the_pages_counts_move_with_the_new_rows_out_of_band(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1"})
    summary = html(page).find("p", class_="summary")
    total = number(summary.find("strong", id="summary-total"))
    assert total > 1000 and "," in summary.find("strong", id="summary-total").text
    showing = summary.find("span", id="summary-showing")
    assert showing.text == f"Showing events 1–50 of {total:,}."
    clock.advance(7)

    response = client.get(poll_url(page))

    answer, new = html(response), len(rows_of(response))
    assert new
    swapped = {
        node.attrs["id"]: node.text
        for node in answer.children
        if isinstance(node, Node) and node.attrs.get("hx-swap-oob") == "true"
    }
    assert swapped == {
        "summary-total": f"{total + new:,}",
        "summary-showing": f"Showing events 1–{50 + new} of {total + new:,}.",
    }
    query = parse_qs(urlsplit(answer.find("div", id="live-tail-poll").attrs["hx-get"] or "").query)
    assert (query["total"], query["to"]) == ([str(total + new)], [str(50 + new)])


def test_a_poll_from_a_page_without_counts_swaps_none(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1"})
    clock.advance(7)
    url = poll_url(page).replace("&total=", "&was_total=").replace("&to=", "&was_to=")
    old = {k: v for k, v in parse_qs(urlsplit(url).query).items() if not k.startswith("was_")}

    answer = client.get(POLL, {k: v[0] for k, v in old.items()})

    assert answer.status_code == 200
    assert rows_of(answer)
    assert "hx-swap-oob" not in answer.content.decode()


def test_a_poll_with_nothing_new_answers_204(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1"})

    response = client.get(poll_url(page))

    assert response.status_code == 204
    assert response.content == b""


def test_a_poll_asks_once_from_the_cursor_second_to_now_oldest_first(
    client: Client, clock: Clock, event_queries: list[EventQuery]
) -> None:
    page = client.get(PAGE, {"live": "1", "pattern": "worker-1", "limit": "20"})
    cursor = cursor_of(poll_url(page))
    clock.advance(9.5)
    event_queries.clear()

    client.get(poll_url(page))

    assert event_queries == [
        EventQuery(
            pattern="worker-1",
            start=datetime.fromtimestamp(cursor.second, UTC),
            end=datetime.fromtimestamp(int(clock.now), UTC),
            order="asc",
            offset=0,
            limit=100,
        )
    ]


def test_a_poll_never_sends_the_page_again(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1"})
    clock.advance(5)

    response = client.get(poll_url(page), **HTMX)

    assert b"<html" not in response.content
    tree = html(response)
    assert not tree.find_all("section", id="results")
    assert not tree.find_all("p", class_="summary")
    assert not tree.find_all("nav", class_="pagination")
    assert len(rows_of(response)) in (2, 3)
    assert "no-cache" in response["Cache-Control"]


def test_a_poll_honours_the_level_filter(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1", "level": "Warning"})
    loaded_at = clock.now
    clock.advance(200)  # a warning every 97 steps of 2 s: at least one

    response = client.get(poll_url(page))

    expected = [e.message for e in live_job().events(now=clock.now) if e.at > loaded_at]
    warnings = [
        e.message
        for e in live_job().events(now=clock.now)
        if e.at > loaded_at and e.level == "Warning"
    ]
    assert len(expected) > len(warnings) >= 1
    rows = rows_of(response)
    assert messages(rows) == warnings[::-1]
    assert {row.find("span", class_="level").text for row in rows} == {"Warning"}


def test_a_poll_honours_pattern_and_source(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1", "pattern": "[worker-1]", "source": "Task"})
    loaded_at = clock.now
    clock.advance(20)

    response = client.get(poll_url(page))

    new = messages(rows_of(response))
    assert new == [m for m in sandbox_messages(loaded_at, clock.now) if "[worker-1]" in m][::-1]
    assert len(new) >= 4


def test_oldest_first_gets_its_rows_oldest_first(client: Client, clock: Clock) -> None:
    total = len(live_job().events(now=clock.now))
    page = client.get(PAGE, {"live": "1", "order": "asc", "offset": str((total - 1) // 50 * 50)})
    loaded_at = clock.now
    clock.advance(8)

    response = client.get(poll_url(page))

    assert messages(rows_of(response)) == sandbox_messages(loaded_at, clock.now)


def test_the_new_rows_link_to_themselves(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1", "level": "Info"})
    clock.advance(4)

    row = rows_of(client.get(poll_url(page)))[0]

    anchor = row.attrs["id"]
    href = row.find("a", class_="permalink").attrs["href"]
    assert href == f"{PAGE}?level=Info&mark={anchor}#{anchor}"


def test_a_folded_page_keeps_fold_in_the_poll_and_the_new_rows_links(
    client: Client, clock: Clock
) -> None:
    page = client.get(PAGE, {"live": "1", "fold": "1"})
    assert parse_qs(urlsplit(poll_url(page)).query)["fold"] == ["1"]
    clock.advance(4)

    row = rows_of(client.get(poll_url(page)))[0]

    anchor = row.attrs["id"]
    assert (
        row.find("a", class_="permalink").attrs["href"] == f"{PAGE}?fold=1&mark={anchor}#{anchor}"
    )


def test_a_full_answer_stops_and_offers_to_reload(client: Client, clock: Clock) -> None:
    page = client.get(PAGE, {"live": "1", "pattern": "step"})
    clock.advance(400)  # 200 events

    response = client.get(poll_url(page))

    assert response.status_code == 286
    poll = poller(response)
    assert poll.attrs["data-live-state"] == "stopped"
    assert "hx-get" not in poll.attrs
    message = poll.find("p", class_="live-tail-message")
    assert "More than 100 new events arrived at once" in message.text
    assert message.find("a").attrs["href"] == f"{PAGE}?pattern=step&live=1"
    assert len(rows_of(response)) >= 99


def test_a_finished_job_stops_the_polling(
    client: Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.get(PAGE, {"live": "1"})
    loaded_at = clock.now
    clock.advance(6)
    job = live_job()
    monkeypatch.setattr(job, "phase", "Completed")
    monkeypatch.setattr(job, "ended", int(clock.now) - 600)

    response = client.get(poll_url(page))

    assert response.status_code == 286  # htmx's "stop polling"
    poll = poller(response)
    assert poll.attrs["data-live-state"] == "stopped"
    assert "hx-get" not in poll.attrs
    assert "hx-trigger" not in poll.attrs
    message = poll.find("p", class_="live-tail-message").text
    assert message == "Live: stopped. The job has finished (Completed)."
    # The events written before the end still arrive with the last answer.
    assert messages(rows_of(response)) == sandbox_messages(loaded_at, clock.now)[::-1]


def test_a_job_that_has_just_finished_is_followed_a_little_longer(
    client: Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.get(PAGE, {"live": "1"})
    clock.advance(6)
    job = live_job()
    monkeypatch.setattr(job, "phase", "Failed")
    monkeypatch.setattr(job, "ended", int(clock.now) - 30)

    response = client.get(poll_url(page))

    assert response.status_code == 200
    assert poller(response).attrs["data-live-state"] == "on"


def test_an_upstream_failure_keeps_polling_from_the_same_cursor(
    client: Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.get(PAGE, {"live": "1"})
    clock.advance(6)

    def timeout(*args: Any, **kwargs: Any) -> Any:
        raise UpstreamTimeout("ModelArts did not answer within 10 seconds.")

    monkeypatch.setattr(ModelArtsClient, "list_events", timeout)
    response = client.get(poll_url(page))

    assert response.status_code == 504
    poll = poller(response)
    assert poll.attrs["data-live-state"] == "on"
    assert poll.attrs["hx-get"] == poll_url(page)
    assert "did not answer within 10 seconds" in poll.find("p", class_="live-tail-message").text


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"after": ""},
        {"after": "soon"},
        {"after": "1795815438~ev-XYZ"},
        {"after": "1795815438~ev-0123456789ab~"},
        {"after": "1795815438~" + "~".join(f"ev-{i:012x}" for i in range(101))},
        {"after": "1795815438", "level": "Verbose"},
        {"after": "1795815438", "source": "Kubelet"},
        {"after": "1795815438", "pattern": "x" * 257},
        {"after": "1795815438", "start_time": "2026-11-20T02:00:00Z"},
        {"after": "1795815438", "limit": "500"},
    ],
)
def test_bad_input_answers_400_and_asks_nothing_of_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]], params: dict[str, str]
) -> None:
    response = client.get(POLL, params)

    assert response.status_code == 400
    assert poller(response).attrs["data-live-state"] == "stopped"
    assert "hx-get" not in poller(response).attrs
    assert upstream_calls == []


def test_bad_ids_answer_400_and_an_unknown_project_404(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    bad_job = reverse("events_live", args=[DEFAULT_PROJECT_ID, "not a job"])
    other_project = reverse("events_live", args=["f" * 32, LIVE_JOB_ID])

    assert client.get(bad_job, {"after": "1795815438"}).status_code == 400
    assert client.get(other_project, {"after": "1795815438"}).status_code == 404
    assert upstream_calls == []


def test_a_job_that_is_gone_stops_the_polling(client: Client) -> None:
    gone = reverse(
        "events_live", args=[DEFAULT_PROJECT_ID, "0" * 8 + "-0000-4000-8000-" + "0" * 12]
    )

    response = client.get(gone, {"after": "1795815438"})

    assert response.status_code == 404
    assert poller(response).attrs["data-live-state"] == "stopped"


# -- the cursor at a shared second, against crafted pages ----------------------------------------

ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
JOB = "0c0ffee0-1234-4abc-8def-0123456789ab"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
EVENTS_API = f"{JOB_API}/events"
FAKE_PAGE = reverse("events", args=[PROJECT, JOB])
BASE = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


class Upstream:
    """ListTrainingJobEvents over a list the test grows, honouring window, order and paging."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.events: list[tuple[int, str, str]] = []  # (second after BASE, level, message)
        mock.add_callback(responses.GET, EVENTS_API, callback=self._events)
        mock.add_callback(responses.GET, JOB_API, callback=self._job)

    def add(self, second: int, message: str, level: str = "Info") -> None:
        self.events.append((second, level, message))

    def _job(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = {"metadata": {"id": JOB, "name": "shared-seconds"}, "status": {"phase": "Running"}}
        return 200, {}, json.dumps(body)

    def _events(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
        base_ms = int(BASE.timestamp() * 1000)
        chosen = sorted(self.events, key=lambda e: e[0])  # stable: the order of writing
        if "start_time" in query:
            low, high = int(query["start_time"]), int(query["end_time"])
            chosen = [e for e in chosen if low <= base_ms + e[0] * 1000 <= high]
        if "level" in query:
            chosen = [e for e in chosen if e[1] == query["level"]]
        if query["order"] == "desc":
            chosen = chosen[::-1]
        offset, limit = int(query["offset"]), int(query["limit"])
        body = {
            "total": len(chosen),
            "events": [
                {
                    "time": (BASE + timedelta(seconds=s)).astimezone().isoformat(),
                    "level": level,
                    "source": "Task",
                    "message": message,
                }
                for s, level, message in chosen[offset : offset + limit]
            ],
        }
        return 200, {}, json.dumps(body)


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


@pytest.fixture
def upstream_answers_required() -> bool:
    return False


@pytest.fixture
def upstream(fake_upstream: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> Upstream:
    monkeypatch.setattr(live_module, "_now", lambda: BASE + timedelta(minutes=5))
    return Upstream(fake_upstream)


def test_a_shared_second_is_neither_repeated_nor_lost(client: Client, upstream: Upstream) -> None:
    upstream.add(1, "epoch 1 done")
    upstream.add(2, "checkpoint saved")
    upstream.add(2, "heartbeat")
    page = client.get(FAKE_PAGE, {"live": "1"})
    assert page_messages(page) == ["heartbeat", "checkpoint saved", "epoch 1 done"]
    assert cursor_of(poll_url(page)).second == int(BASE.timestamp()) + 2
    assert len(cursor_of(poll_url(page)).seen) == 2

    # Written later, but recorded in the second already shown, and the next.
    upstream.add(2, "heartbeat")  # the very same event again: a second copy
    upstream.add(2, "late line of second 2")
    upstream.add(3, "epoch 2 started")
    first = client.get(poll_url(page))

    assert messages(rows_of(first)) == ["epoch 2 started", "late line of second 2", "heartbeat"]
    assert rows_of(first)[2].attrs["id"].endswith("-2")

    upstream.add(3, "epoch 2 started")
    upstream.add(4, "loss=0.1")
    second = client.get(poll_url(first))

    assert messages(rows_of(second)) == ["loss=0.1", "epoch 2 started"]
    assert client.get(poll_url(second)).status_code == 204


def test_the_ids_at_the_cursor_second_match_the_pages(client: Client, upstream: Upstream) -> None:
    for _ in range(3):
        upstream.add(7, "same message")
    page = client.get(FAKE_PAGE, {"live": "1", "order": "asc"})
    shown = {
        row.attrs["id"] for row in html(page).find("table", class_="events").find_all("tr")[1:]
    }

    assert cursor_of(poll_url(page)).seen == shown
    assert client.get(poll_url(page)).status_code == 204


def test_an_empty_page_follows_from_a_minute_before_it_was_shown(
    client: Client, upstream: Upstream
) -> None:
    page = client.get(FAKE_PAGE, {"live": "1"})
    assert not html(page).find_all("table", class_="events")
    upstream.add(230, "recorded late")  # 70 s before the page: missed
    upstream.add(250, "written just before the page, recorded after it")
    upstream.add(299, "new")

    response = client.get(poll_url(page))

    assert cursor_of(poll_url(page)) == Cursor(int((BASE + timedelta(minutes=4)).timestamp()))
    assert messages(rows_of(response)) == ["new", "written just before the page, recorded after it"]


# -- the cursor itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cursor"),
    [
        ("1795815438", Cursor(1795815438)),
        ("0", Cursor(0)),
        ("17~ev-0123456789ab", Cursor(17, frozenset({"ev-0123456789ab"}))),
        (
            "17~ev-0123456789ab~ev-0123456789ab-2",
            Cursor(17, frozenset({"ev-0123456789ab", "ev-0123456789ab-2"})),
        ),
    ],
)
def test_a_cursor_reads_back_as_itself(text: str, cursor: Cursor) -> None:
    assert Cursor.parse(text) == cursor
    assert Cursor.parse(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "text", ["", "-1", "1.5", "17~", "17~ev-0123", "17ev-0123456789ab", "17~EV-0123456789AB"]
)
def test_a_malformed_cursor_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Cursor.parse(text)


def test_the_cursor_after_rows_keeps_every_id_of_their_newest_second() -> None:
    from eventsui.modelarts import Event

    def at(second: int, message: str) -> Event:
        moment = BASE + timedelta(seconds=second)
        return Event(moment, moment.isoformat(), "Info", "Task", message)

    events = [at(5, "b"), at(5, "a"), at(4, "c"), at(5, "a")]
    ids = anchors(events, "desc")
    cursor = live_module.cursor_after(events, ids, Cursor(0))

    assert cursor.second == int(BASE.timestamp()) + 5
    assert cursor.seen == {ids[0], ids[1], ids[3]}
    assert len(cursor.seen) == 3
