"""Relative time ranges (range=15m|1h|6h|24h|7d): resolution from now or from a finished
job's last event, 400s, canonical URLs and links."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from eventsui.modelarts import EventQuery, get_client
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline.forms import EventFiltersForm, canonical_params
from eventsui.timeline.ranges import PRESETS, ago, resolve
from tests.html_tree import event_rows, html

pytestmark = pytest.mark.django_db

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/events/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# Inside the long sandbox job's run (2026-11-12 00:00 to 16:40 UTC, an event
# every two seconds or so), with a fraction of a second to floor away.
NOW = datetime(2026, 11, 12, 12, 0, 0, 750_000, tzinfo=UTC)
NOW_SECOND = NOW.replace(microsecond=0)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# -- resolution -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "span"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("6h", timedelta(hours=6)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
    ],
)
def test_a_range_ends_at_the_current_second_and_spans_its_length(key: str, span: timedelta) -> None:
    start, end = resolve(key, NOW)
    assert end == NOW_SECOND
    assert end - start == span
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_a_range_reads_the_django_clock(frozen: datetime) -> None:
    assert resolve("1h") == (NOW_SECOND - timedelta(hours=1), NOW_SECOND)


def test_a_range_is_resolved_in_utc_whatever_zone_the_clock_is_in() -> None:
    shanghai_now = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
    assert resolve("15m", shanghai_now) == resolve("15m", NOW)


def test_the_presets_are_the_five_of_the_issue() -> None:
    assert [p.key for p in PRESETS] == ["15m", "1h", "6h", "24h", "7d"]


# -- the form -------------------------------------------------------------------------


def test_the_form_resolves_the_range_into_start_and_end() -> None:
    form = EventFiltersForm({"range": "6h", "level": "Error"}, now=NOW)
    assert form.is_valid(), form.errors
    query = form.to_query()
    assert (query.start, query.end) == (NOW_SECOND - timedelta(hours=6), NOW_SECOND)
    assert form.range_key == "6h"


def test_no_range_is_the_whole_job() -> None:
    form = EventFiltersForm({}, now=NOW)
    assert form.is_valid()
    assert form.range_key == ""
    assert (form.to_query().start, form.to_query().end) == (None, None)


@pytest.mark.parametrize("value", ["2h", "1H", "15", "last-hour", "7d "])
def test_an_unknown_range_is_refused_on_its_field(value: str) -> None:
    form = EventFiltersForm({"range": value})
    assert not form.is_valid()
    assert form.errors["range"] == [
        "Choose a range of 15m, 1h, 6h, 24h or 7d, or none for the whole job."
    ]


@pytest.mark.parametrize(
    "times",
    [
        {"start_time": "2026-11-12T10:00:00Z", "end_time": "2026-11-12T11:00:00Z"},
        {"start_time": "2026-11-12T10:00:00Z"},
        {"end_time": "2026-11-12T11:00:00Z"},
        {"start_time": "not a time"},
    ],
)
def test_a_range_with_start_or_end_time_is_refused(times: dict[str, str]) -> None:
    form = EventFiltersForm({"range": "1h", **times})
    assert not form.is_valid()
    assert form.errors["range"] == ["Give a time range or From and To, not both."]


def test_a_range_with_empty_times_from_the_plain_form_is_accepted() -> None:
    form = EventFiltersForm({"range": "1h", "start_time": "", "end_time": ""}, now=NOW)
    assert form.is_valid(), form.errors


def test_canonical_params_write_the_range_in_place_of_the_times() -> None:
    start, end = resolve("1h", NOW)
    query = EventQuery(level="Error", start=start, end=end, offset=50)
    assert list(canonical_params(query, relative="1h").items()) == [
        ("level", "Error"),
        ("range", "1h"),
        ("offset", "50"),
    ]
    # Without it, the same query is the absolute view.
    assert canonical_params(query)["start_time"] == "2026-11-12T11:00:00Z"
    assert canonical_params(query)["end_time"] == "2026-11-12T12:00:00Z"


# -- the view -------------------------------------------------------------------------


def test_the_view_sends_the_resolved_range_upstream(
    client: Client, frozen: datetime, event_queries: list[EventQuery]
) -> None:
    response = client.get(f"{EVENTS}?range=15m")
    assert response.status_code == 200
    rows = event_rows(response)
    assert rows, "the last 15 minutes of the long job have events"
    page_query = event_queries[-1]
    assert page_query.start == NOW_SECOND - timedelta(minutes=15)
    assert page_query.end == NOW_SECOND
    for row in rows:
        moment = datetime.fromisoformat(row.find("time").attrs["datetime"] or "")
        assert NOW_SECOND - timedelta(minutes=15) <= moment <= NOW_SECOND


def test_the_summary_says_the_resolved_range_with_its_zone(
    client: Client, frozen: datetime
) -> None:
    summary = html(client.get(f"{EVENTS}?range=1h")).find("p", class_="summary")
    assert "in the last hour, between 2026-11-12 11:00:00 UTC and 2026-11-12 12:00:00 UTC" in (
        summary.text
    )
    times = summary.find_all("time")
    assert [t.attrs["datetime"] for t in times] == ["2026-11-12T11:00:00Z", "2026-11-12T12:00:00Z"]


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("range=1h&level=&start_time=&end_time=&offset=0", "range=1h"),
        ("offset=0&range=24h&level=error", "level=Error&range=24h"),
        ("range=7d&limit=50&order=desc", "range=7d"),
    ],
)
def test_a_range_url_in_another_form_redirects_to_the_canonical_one(
    client: Client, frozen: datetime, given: str, canonical: str
) -> None:
    response = client.get(f"{EVENTS}?{given}")
    assert response.status_code == 302
    assert response["Location"] == f"{EVENTS}?{canonical}"


def test_the_canonical_range_url_is_served_as_it_is(client: Client, frozen: datetime) -> None:
    assert client.get(f"{EVENTS}?level=Info&range=6h&offset=50").status_code == 200


def test_an_htmx_request_with_a_range_pushes_the_relative_url(
    client: Client, frozen: datetime
) -> None:
    response = client.get(f"{EVENTS}?range=1h&level=Info&start_time=&end_time=", **HTMX)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{EVENTS}?level=Info&range=1h"


@pytest.mark.parametrize(
    "query",
    [
        "range=1h&start_time=2026-11-12T10:00:00Z&end_time=2026-11-12T11:00:00Z",
        "range=2h",
        "range=1h&end_time=2026-11-12T11:00:00Z",
    ],
)
def test_a_bad_range_answers_400_beside_the_pickers_and_asks_nothing(
    client: Client, event_queries: list[EventQuery], query: str
) -> None:
    response = client.get(f"{EVENTS}?{query}")
    assert response.status_code == 400
    assert event_queries == []
    document = html(response)
    error = document.find("p", id="error_range")
    assert error.text in (
        "Give a time range or From and To, not both.",
        "Choose a range of 15m, 1h, 6h, 24h or 7d, or none for the whole job.",
    )
    # Beside the To picker, inside the form.
    field = next(
        f for f in document.find_all("div", class_="field") if f.find_all("input", id="id_end_time")
    )
    assert field.find_all("p", id="error_range")


def test_a_bad_range_by_htmx_swaps_the_form_with_its_message(client: Client) -> None:
    response = client.get(f"{EVENTS}?range=1h&start_time=2026-11-12T10:00:00Z", **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#timeline"
    assert html(response).find("p", id="error_range").text.startswith("Give a time range")


# -- the links ------------------------------------------------------------------------


def preset_links(response: Any) -> dict[str, tuple[str, str | None]]:
    return preset_links_of(html(response))


def preset_links_of(document: Any) -> dict[str, tuple[str, str | None]]:
    nav = document.find("nav", class_="time-presets")
    return {a.text: (a.attrs["href"] or "", a.attrs.get("aria-current")) for a in nav.find_all("a")}


def test_the_presets_keep_the_other_filters_and_drop_the_offset(
    client: Client, frozen: datetime
) -> None:
    response = client.get(f"{EVENTS}?level=Info&pattern=loss&order=asc&limit=20&offset=40")
    links = preset_links(response)
    assert list(links) == [
        "Whole job",
        "Last 15 minutes",
        "1 hour",
        "6 hours",
        "24 hours",
        "7 days",
    ]
    filters = "level=Info&pattern=loss"
    assert links["Whole job"][0] == f"{EVENTS}?{filters}&order=asc&limit=20"
    assert links["Last 15 minutes"][0] == f"{EVENTS}?{filters}&range=15m&order=asc&limit=20"
    assert links["7 days"][0] == f"{EVENTS}?{filters}&range=7d&order=asc&limit=20"
    nav = html(response).find("nav", class_="time-presets")
    for a in nav.find_all("a"):
        assert a.attrs["hx-get"] == a.attrs["href"]


@pytest.mark.parametrize(
    ("query", "active"),
    [
        ("", "Whole job"),
        ("range=15m", "Last 15 minutes"),
        ("range=6h", "6 hours"),
        ("level=Error&range=7d", "7 days"),
        ("start_time=2026-11-12T10:00:00Z&end_time=2026-11-12T11:00:00Z", None),
    ],
)
def test_the_active_preset_is_marked(
    client: Client, frozen: datetime, query: str, active: str | None
) -> None:
    links = preset_links(client.get(f"{EVENTS}?{query}" if query else EVENTS))
    assert [label for label, (_, current) in links.items() if current == "true"] == (
        [active] if active else []
    )


def test_the_presets_drop_absolute_times(client: Client, frozen: datetime) -> None:
    links = preset_links(
        client.get(f"{EVENTS}?start_time=2026-11-12T10:00:00Z&end_time=2026-11-12T11:00:00Z")
    )
    assert links["Whole job"][0] == EVENTS
    assert links["1 hour"][0] == f"{EVENTS}?range=1h"


def test_the_share_link_is_absolute_and_keeps_the_other_filters(
    client: Client, frozen: datetime
) -> None:
    response = client.get(f"{EVENTS}?level=Info&pattern=loss&range=1h&offset=20&limit=20")
    box = html(response).find("input", id="share-url")
    button = html(response).find("button", class_="copy-link")
    url = box.attrs["value"] or ""
    assert button.attrs["data-copy-url"] == url
    assert "hidden" in button.attrs  # shown by eventsui.js, which can copy
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", EVENTS)
    assert query_of(url) == {
        "level": ["Info"],
        "pattern": ["loss"],
        "start_time": ["2026-11-12T11:00:00Z"],
        "end_time": ["2026-11-12T12:00:00Z"],
        "limit": ["20"],
        "offset": ["20"],
    }


def test_the_shared_link_shows_the_same_rows_tomorrow(client: Client, frozen: datetime) -> None:
    relative = client.get(f"{EVENTS}?range=15m")
    shared = html(relative).find("input", id="share-url").attrs["value"] or ""
    texts = [row.text for row in event_rows(relative)]

    with pytest.MonkeyPatch.context() as later:
        later.setattr("django.utils.timezone.now", lambda: NOW + timedelta(days=1))
        moved_on = client.get(f"{EVENTS}?range=15m")
        again = client.get(shared)
    assert again.status_code == 200
    assert [row.text for row in event_rows(again)] == texts
    assert [row.text for row in event_rows(moved_on)] != texts


def test_pages_of_a_range_carry_its_absolute_times(client: Client, frozen: datetime) -> None:
    # So the pages of one listing do not shift while events keep arriving.
    nav = html(client.get(f"{EVENTS}?range=1h")).find("nav", class_="pagination")
    next_url = next(a.attrs["href"] for a in nav.find_all("a") if a.text == "Next") or ""
    assert query_of(next_url) == {
        "start_time": ["2026-11-12T11:00:00Z"],
        "end_time": ["2026-11-12T12:00:00Z"],
        "offset": ["50"],
    }


def test_the_results_carry_the_range_for_eventsui_js(client: Client, frozen: datetime) -> None:
    section = html(client.get(f"{EVENTS}?range=1h", **HTMX)).find("section", id="results")
    assert section.attrs["data-range"] == "1h"
    assert section.attrs["data-picker-start"] == "2026-11-12T11:00:00"
    assert section.attrs["data-picker-end"] == "2026-11-12T12:00:00"


def test_the_pickers_show_the_resolved_range(client: Client, frozen: datetime) -> None:
    document = html(client.get(f"{EVENTS}?range=1h"))
    assert document.find("input", id="id_start_time").attrs["value"] == "2026-11-12T11:00:00"
    assert document.find("input", id="id_end_time").attrs["value"] == "2026-11-12T12:00:00"


def test_the_whole_job_has_empty_pickers_and_no_range(client: Client, frozen: datetime) -> None:
    document = html(client.get(EVENTS))
    assert document.find("input", id="id_start_time").attrs["value"] == ""
    assert document.find("section", id="results").attrs["data-range"] == ""


# -- a finished job: presets count back from its last event ----------------------------


ABNORMAL_JOB_ID = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"
FAILED_EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
# The failed sandbox job ran on 2026-11-20 until 02:22:31, its start plus its
# duration, the second of its last event. Ten days on:
LAST_EVENT = datetime(2026, 11, 20, 2, 22, 31, tzinfo=UTC)
TEN_DAYS_ON = datetime(2026, 11, 30, 9, 15, 0, 250_000, tzinfo=UTC)


@pytest.fixture
def ten_days_on(monkeypatch: pytest.MonkeyPatch, settings: Any) -> datetime:
    """The clock ten days after the failed job ended, and a cache of the test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ranges-{uuid.uuid4().hex}",
        }
    }
    monkeypatch.setattr("django.utils.timezone.now", lambda: TEN_DAYS_ON)
    return TEN_DAYS_ON


def _newest_probe(query: EventQuery) -> bool:
    return (query.order, query.limit, query.start, query.level) == ("desc", 1, None, None)


def test_a_finished_jobs_range_counts_back_from_its_last_event(
    client: Client, ten_days_on: datetime, event_queries: list[EventQuery]
) -> None:
    response = client.get(f"{FAILED_EVENTS}?range=1h")

    assert response.status_code == 200  # canonical as it is: the URL stays range=1h
    page_query = next(q for q in event_queries if q.start is not None and q.limit == 50)
    assert (page_query.start, page_query.end) == (LAST_EVENT - timedelta(hours=1), LAST_EVENT)
    rows = event_rows(response)
    assert rows, "the last hour of the failed job has events"
    assert rows[0].find("time").attrs["datetime"] == "2026-11-20T02:22:31Z"


def test_a_range_reaches_events_recorded_after_the_jobs_nominal_end(
    client: Client, ten_days_on: datetime, event_queries: list[EventQuery]
) -> None:
    # Never started (duration 0), yet its failure was recorded 2 s after creation.
    abnormal = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{ABNORMAL_JOB_ID}/events/"
    newest = get_client().list_events(DEFAULT_PROJECT_ID, ABNORMAL_JOB_ID, EventQuery(limit=1))
    assert newest.events and newest.events[0].time is not None

    response = client.get(f"{abnormal}?range=15m&level=Error")

    page_query = next(q for q in event_queries if q.start is not None and q.limit == 50)
    assert page_query.end == newest.events[0].time.astimezone(UTC)
    assert len(event_rows(response)) == 1


def test_the_summary_says_the_range_is_the_last_hour_of_the_job(
    client: Client, ten_days_on: datetime
) -> None:
    summary = html(client.get(f"{FAILED_EVENTS}?range=1h")).find("p", class_="summary")

    assert (
        "in the last hour of the job, which ended 10 days ago, between "
        "2026-11-20 01:22:31 UTC and 2026-11-20 02:22:31 UTC" in summary.text
    )


def test_a_running_jobs_summary_still_counts_from_now(client: Client, frozen: datetime) -> None:
    summary = html(client.get(f"{EVENTS}?range=1h")).find("p", class_="summary")

    assert "in the last hour, between" in summary.text
    assert "of the job" not in summary.text


def test_a_finished_jobs_range_shows_the_same_events_whenever_it_is_opened(
    client: Client, ten_days_on: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get(f"{FAILED_EVENTS}?range=15m&level=Info")
    texts = [row.text for row in event_rows(first)]
    assert texts

    monkeypatch.setattr("django.utils.timezone.now", lambda: TEN_DAYS_ON + timedelta(days=30))
    later = client.get(f"{FAILED_EVENTS}?level=Info&range=15m")

    assert [row.text for row in event_rows(later)] == texts
    assert "which ended 40 days ago" in html(later).find("p", class_="summary").text


def test_a_finished_jobs_share_link_writes_the_times_it_counted_back_to(
    client: Client, ten_days_on: datetime
) -> None:
    document = html(client.get(f"{FAILED_EVENTS}?range=6h&level=Error"))

    url = document.find("input", id="share-url").attrs["value"] or ""
    assert query_of(url) == {
        "level": ["Error"],
        "start_time": ["2026-11-19T20:22:31Z"],
        "end_time": ["2026-11-20T02:22:31Z"],
    }
    # The pickers and the presets agree.
    assert document.find("input", id="id_end_time").attrs["value"] == "2026-11-20T02:22:31"
    assert preset_links_of(document)["6 hours"] == (
        f"{FAILED_EVENTS}?level=Error&range=6h",
        "true",
    )


def test_a_running_jobs_share_link_still_writes_times_counted_from_now(
    client: Client, frozen: datetime
) -> None:
    url = html(client.get(f"{EVENTS}?range=1h")).find("input", id="share-url").attrs["value"]
    assert query_of(url or "")["end_time"] == ["2026-11-12T12:00:00Z"]


def test_the_last_event_costs_one_events_call_then_nothing(
    client: Client, ten_days_on: datetime, event_queries: list[EventQuery]
) -> None:
    client.get(f"{FAILED_EVENTS}?range=1h")
    assert len([q for q in event_queries if _newest_probe(q)]) == 1
    event_queries.clear()

    client.get(f"{FAILED_EVENTS}?range=24h")

    # Cached as long as a finished job's answers.
    assert [q for q in event_queries if _newest_probe(q)] == []


def test_no_range_asks_nothing_for_the_last_event(
    client: Client, ten_days_on: datetime, event_queries: list[EventQuery]
) -> None:
    client.get(FAILED_EVENTS)
    assert [q for q in event_queries if _newest_probe(q)] == []


def test_a_bad_range_of_a_finished_job_asks_nothing(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(f"{FAILED_EVENTS}?range=1h&start_time=2026-11-20T01:00:00Z")
    assert response.status_code == 400
    assert upstream_calls == []


def test_the_form_counts_back_from_a_given_end() -> None:
    form = EventFiltersForm({"range": "15m"}, now=NOW)
    assert form.is_valid()

    form.count_back_from(LAST_EVENT)

    assert (form.to_query().start, form.to_query().end) == (
        LAST_EVENT - timedelta(minutes=15),
        LAST_EVENT,
    )
    form.count_back_from(None)
    assert form.to_query().end == LAST_EVENT


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(seconds=1), "1 second"),
        (timedelta(minutes=3, seconds=5), "3 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=10, hours=7), "10 days"),
    ],
)
def test_ago_says_the_largest_whole_unit(delta: timedelta, said: str) -> None:
    assert ago(NOW - delta, NOW) == said
