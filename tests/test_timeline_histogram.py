"""The event histogram above the timeline's table, against the sandbox."""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from eventsui.modelarts import EventQuery, get_client
from eventsui.modelarts.client import ModelArtsClient, epoch_ms
from eventsui.sandbox.adapter import SandboxAdapter
from eventsui.sandbox.api import Sandbox, SandboxResponse
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline import histogram
from eventsui.timeline.histogram import MAX_BUCKETS, MAX_WORKERS, partition
from eventsui.timeline.times import parse_instant
from tests.html_tree import html

PROJECT = DEFAULT_PROJECT_ID
ABNORMAL_JOB_ID = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"
SVG = "{http://www.w3.org/2000/svg}"
LEVELS = ("Error", "Warning", "Info")
# Part of the failed job's run, starting and ending inside a second.
NARROW = {"start_time": "2026-11-20T02:03:10.250Z", "end_time": "2026-11-20T02:09:41.700Z"}
# Its last minutes, with every level.
LATE = {"start_time": "2026-11-20T02:17:30.500Z", "end_time": "2026-11-20T02:22:26.100Z"}


def histogram_path(job_id: str = FAILED_JOB_ID, project_id: str = PROJECT) -> str:
    return f"/projects/{project_id}/jobs/{job_id}/events/histogram/"


def events_path(job_id: str = FAILED_JOB_ID) -> str:
    return f"/projects/{PROJECT}/jobs/{job_id}/events/"


@dataclass(frozen=True)
class Bar:
    href: str
    attrs: dict[str, str]
    title: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.href).query)

    @property
    def start_ms(self) -> int:
        return epoch_ms(parse_instant(self.params["start_time"][0]))

    @property
    def end_ms(self) -> int:
        return epoch_ms(parse_instant(self.params["end_time"][0]))


def fragment(response: Any) -> ET.Element:
    return ET.fromstring(response.content.decode().strip())


def bars(response: Any) -> list[Bar]:
    assert response.status_code == 200
    found = []
    for link in fragment(response).iter(f"{SVG}a"):
        title = link.find(f"{SVG}title")
        assert title is not None and title.text
        counts = {
            level: int(n.replace(",", ""))
            for n, level in re.findall(r"([\d,]+) (Error|Warning|Info)", title.text)
        }
        found.append(Bar(link.attrib["href"], dict(link.attrib), title.text, counts))
    assert found
    return found


def upstream_total(job_id: str = FAILED_JOB_ID, **filters: Any) -> int:
    return get_client().list_events(PROJECT, job_id, EventQuery(limit=1, **filters)).total


@pytest.fixture
def fresh_cache(settings: Any) -> None:
    """A cache of our own, so the cache layer asks for the job's phase once, not per call."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"histogram-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def requests_sent(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Requests that reach the sandbox, by call: "events" or "job"."""
    sent: Counter[str] = Counter()
    lock = threading.Lock()
    send = SandboxAdapter.send

    def counting(self: SandboxAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            sent["events" if urlsplit(request.url).path.endswith("/events") else "job"] += 1
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(SandboxAdapter, "send", counting)
    return sent


# -- the bars add up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({}, {}),
        (NARROW, {}),
        (LATE, {}),
        ({"level": "Error"}, {"level": "Error"}),
        ({"level": "warning", **LATE}, {"level": "Warning"}),
        ({"source": "Task", "pattern": "loss"}, {"source": "Task", "pattern": "loss"}),
    ],
    ids=["whole-job", "narrowed", "late", "level", "level-and-range", "source-and-pattern"],
)
def test_the_bars_add_up_to_the_total_of_the_range(
    client: Client, params: dict[str, str], filters: dict[str, Any]
) -> None:
    found = bars(client.get(histogram_path(), params))

    if "start_time" in params:
        filters = {
            **filters,
            "start": parse_instant(params["start_time"]),
            "end": parse_instant(params["end_time"]),
        }
    expected = upstream_total(**filters)
    assert expected > 0
    assert sum(bar.total for bar in found) == expected
    if "level" in filters:
        assert all(set(bar.counts) == {filters["level"]} for bar in found)
    else:
        assert all(set(bar.counts) == set(LEVELS) for bar in found)


def test_the_bars_of_the_thirty_thousand_event_job_add_up_to_its_total(client: Client) -> None:
    found = bars(client.get(histogram_path(LONG_JOB_ID)))

    assert sum(bar.total for bar in found) == upstream_total(LONG_JOB_ID) >= 30_000
    assert len(found) <= MAX_BUCKETS


def test_a_finished_job_reaches_its_events_after_its_nominal_end(client: Client) -> None:
    # Duration 0 (it never started), yet its failure was recorded 2 s later.
    found = bars(client.get(histogram_path(ABNORMAL_JOB_ID)))

    assert sum(bar.total for bar in found) == upstream_total(ABNORMAL_JOB_ID) == 2
    assert sum(bar.counts["Error"] for bar in found) == 1


def test_each_bar_counts_what_its_link_shows(client: Client) -> None:
    for bar in bars(client.get(histogram_path(), LATE)):
        page = client.get(bar.href)
        assert page.status_code == 200, bar.href  # canonical: no redirect
        summary = re.search(r'<strong id="summary-total">([\d,]+)</strong>', page.content.decode())
        assert summary is not None
        assert int(summary.group(1).replace(",", "")) == bar.total, bar.title


# -- the buckets ------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, NARROW, LATE, {"level": "Info"}])
def test_the_bar_links_partition_the_range_to_the_millisecond(
    client: Client, params: dict[str, str]
) -> None:
    found = bars(client.get(histogram_path(), params))

    if params.get("start_time"):
        # The window's first event to its last, both inside the window.
        start, end = parse_instant(params["start_time"]), parse_instant(params["end_time"])
        oldest, newest = window_ends(start=start, end=end)
        assert found[0].start_ms == max(epoch_ms(start), oldest)
        assert found[-1].end_ms == min(epoch_ms(end), newest + 999)
    for before, after in itertools.pairwise(found):
        assert after.start_ms == before.end_ms + 1
    assert all(bar.end_ms - bar.start_ms + 1 >= 1000 for bar in found)
    assert len(found) <= MAX_BUCKETS


def window_ends(job_id: str = FAILED_JOB_ID, **filters: Any) -> tuple[int, int]:
    """The oldest and newest event times of a window, in epoch ms, asked of the upstream."""
    client = get_client()
    ends = []
    for order in ("asc", "desc"):
        page = client.list_events(PROJECT, job_id, EventQuery(limit=1, order=order, **filters))
        assert page.events and page.events[0].time is not None
        ends.append(epoch_ms(page.events[0].time))
    return ends[0], ends[1]


def test_the_whole_job_runs_from_its_first_event_to_its_last(client: Client) -> None:
    found = bars(client.get(histogram_path()))

    oldest, newest = window_ends()
    assert found[0].start_ms == oldest
    assert found[-1].end_ms == newest + 999


def test_a_wide_window_is_drawn_from_its_first_event_to_its_last(client: Client) -> None:
    # A day around the failed job's 24 minutes: the bars cover the minutes.
    wide = {"start_time": "2026-11-19T14:00:00Z", "end_time": "2026-11-20T14:00:00Z"}

    found = bars(client.get(histogram_path(), wide))

    oldest, newest = window_ends()
    assert (found[0].start_ms, found[-1].end_ms) == (oldest, newest + 999)
    assert sum(bar.total for bar in found) == upstream_total()
    # Minute bars, not hour bars holding the whole job in one.
    assert all(bar.end_ms - bar.start_ms < 120_000 for bar in found)


def test_a_level_filter_narrows_the_range_to_that_levels_events(client: Client) -> None:
    found = bars(client.get(histogram_path(), {"level": "Error"}))

    oldest, newest = window_ends(level="Error")
    assert (found[0].start_ms, found[-1].end_ms) == (oldest, newest + 999)


@pytest.mark.parametrize(
    ("span_ms", "offset_ms"),
    [
        (1, 0),
        (999, 123),
        (1000, 0),
        (1500, 700),
        (10_000, 0),
        (45_321, 250),
        (3_600_000, 17),
        (25 * 60_000 + 19_000, 0),
        (15 * 86_400_000 + 123_456, 999),
        (8000 * 365 * 86_400_000, 0),
    ],
)
def test_partition_covers_the_range_exactly_in_buckets_of_a_second_or_more(
    span_ms: int, offset_ms: int
) -> None:
    start = epoch_ms(datetime(2026, 11, 20, tzinfo=UTC)) + offset_ms
    end = start + span_ms - 1

    buckets, step = partition(start, end)

    assert buckets[0].start_ms == start
    assert buckets[-1].end_ms == end
    for before, after in itertools.pairwise(buckets):
        assert after.start_ms == before.end_ms + 1
    assert 1 <= len(buckets) <= MAX_BUCKETS
    if span_ms >= 1000:
        assert all(b.end_ms - b.start_ms + 1 >= 1000 for b in buckets)
    else:
        assert len(buckets) == 1
    assert step % 1000 == 0


def test_short_ranges_get_one_bucket_per_second() -> None:
    start = epoch_ms(datetime(2026, 11, 20, 2, 0, 0, tzinfo=UTC))

    buckets, step = partition(start, start + 9_999)

    assert step == 1000
    assert [b.start_ms - start for b in buckets] == list(range(0, 10_000, 1000))


# -- the cost -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize(
    ("params", "events_calls", "job_calls"),
    [
        # A given range of a few events: the probe is all of them, and its
        # last row the oldest; the job's details say where zooming out stops.
        (NARROW, 1, 1),
        ({"level": "Error", **NARROW}, 1, 1),
        # The whole failed job, 181 events: the newest 100, then the 81 older
        # ones, whose first row is the oldest; the job's details for its range.
        ({}, 2, 1),
        ({"level": "Warning"}, 1, 1),
    ],
)
def test_a_window_of_a_few_hundred_events_is_counted_from_its_pages(
    client: Client,
    requests_sent: Counter[str],
    params: dict[str, str],
    events_calls: int,
    job_calls: int,
) -> None:
    bars(client.get(histogram_path(), params))

    assert requests_sent["events"] == events_calls
    assert requests_sent["job"] == job_calls


def _pages(total: int) -> int:
    return max(1, -(-total // histogram.PAGE))


def test_a_large_job_counts_its_large_level_per_bucket_and_the_others_from_pages(
    client: Client, requests_sent: Counter[str], fresh_cache: None
) -> None:
    small = {level: upstream_total(LONG_JOB_ID, level=level) for level in ("Warning", "Error")}
    assert all(n <= histogram.LOCAL_MAX for n in small.values())
    assert upstream_total(LONG_JOB_ID, level="Info") > histogram.LOCAL_MAX
    requests_sent.clear()

    found = bars(client.get(histogram_path(LONG_JOB_ID)))

    # The unfiltered probe, one probe per level, the oldest event (limit=1,
    # in the job's first hour), Info once per bucket, and the pages of the
    # small levels after their probe.
    small_pages = sum(_pages(n) - 1 for n in small.values())
    assert requests_sent["events"] == 1 + 3 + 1 + len(found) + small_pages
    assert requests_sent["job"] == 1
    assert requests_sent["events"] <= 40


class _CacheClock:
    """The local-memory cache's clock, moved by hand (entries expire by it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_a_revisit_of_a_quiet_running_job_asks_only_the_probes(
    client: Client,
    requests_sent: Counter[str],
    fresh_cache: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The long job still runs but wrote its last event days ago: its chart
    # ends there, so every bucket is closed and cached long.
    from django.core.cache.backends import locmem

    clock = _CacheClock()
    monkeypatch.setattr(locmem, "time", clock)
    first = bars(client.get(histogram_path(LONG_JOB_ID)))
    clock.now += settings.MODELARTS_CACHE_TTL_ACTIVE + 1
    requests_sent.clear()

    again = bars(client.get(histogram_path(LONG_JOB_ID)))

    assert [(b.start_ms, b.end_ms) for b in again] == [(b.start_ms, b.end_ms) for b in first]
    # The four probes only: the buckets are closed and cached, and the oldest
    # event was found in the job's first hour, long closed and cached too.
    assert requests_sent["events"] == 4
    assert requests_sent["job"] == 1


def test_a_quiet_running_job_is_drawn_to_its_last_event_and_says_so(client: Client) -> None:
    response = client.get(histogram_path(LONG_JOB_ID))
    found = bars(response)

    oldest, newest = window_ends(LONG_JOB_ID)
    assert (found[0].start_ms, found[-1].end_ms) == (oldest, newest + 999)
    assert all(b.total for b in found[:3]) and found[-1].total
    [note] = fragment(response).findall(".//p[@class='histogram-quiet muted']")
    assert "No events since 2026-11-12 " in "".join(note.itertext())


def test_an_active_running_job_is_drawn_to_now(client: Client) -> None:
    from eventsui.sandbox import data

    job = data.add_synthetic_job(2_000, seed=5, running=True)
    before = epoch_ms(datetime.now(UTC))

    response = client.get(histogram_path(job.id))
    found = bars(response)

    assert found[0].start_ms == window_ends(job.id)[0]
    assert found[-1].end_ms >= before
    assert fragment(response).findall(".//p[@class='histogram-quiet muted']") == []


def test_no_more_than_the_pool_size_of_calls_run_at_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()
    list_events = ModelArtsClient.list_events

    def slow(self: ModelArtsClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            time.sleep(0.005)
            return list_events(self, *args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(ModelArtsClient, "list_events", slow)

    # A large job: one call per bucket for its Info events.
    bars(client.get(histogram_path(LONG_JOB_ID)))

    assert MAX_WORKERS == 6
    assert 1 < most <= MAX_WORKERS


# -- links and titles ---------------------------------------------------------------------------


def test_bar_links_zoom_to_the_bucket_and_keep_the_other_filters(client: Client) -> None:
    params = {"source": "Task", "pattern": "loss", "order": "asc", "limit": "20", "offset": "40"}

    for bar in bars(client.get(histogram_path(), params)):
        assert bar.attrs["hx-get"] == bar.href
        assert bar.attrs["hx-target"] == "#results"
        assert bar.attrs["hx-push-url"] == "true"
        assert urlsplit(bar.href).path == events_path()
        query = bar.params
        assert {k: v for k, v in query.items() if k not in ("start_time", "end_time")} == {
            "source": ["Task"],
            "pattern": ["loss"],
            "order": ["asc"],
            "limit": ["20"],
        }
        # Absolute instants in UTC, never a relative or zone-less time.
        for key in ("start_time", "end_time"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", query[key][0])


def test_each_bar_has_a_title_with_its_bucket_in_utc_and_its_counts(client: Client) -> None:
    for bar in bars(client.get(histogram_path(), NARROW)):
        match = re.fullmatch(
            r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})? UTC) to "
            r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})? UTC): ([\d,]+) events?"
            r" \(([\d,]+) Error, ([\d,]+) Warning, ([\d,]+) Info\)\. Times in UTC\.",
            bar.title,
        )
        assert match is not None, bar.title
        start = parse_instant(match.group(1).replace(" UTC", "Z").replace(" ", "T"))
        assert epoch_ms(start) == bar.start_ms
        assert int(match.group(3).replace(",", "")) == bar.total


def test_the_chart_has_a_legend_and_needs_no_script_or_inline_style(client: Client) -> None:
    response = client.get(histogram_path())

    root = fragment(response)
    legend = root.find(".//ul[@class='histogram-legend']")
    assert legend is not None
    assert [" ".join("".join(li.itertext()).split()) for li in legend] == [
        f"{level} {upstream_total(level=level):,}" for level in ("Info", "Warning", "Error")
    ]
    assert not [el for el in root.iter() if "style" in el.attrib]
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    bars_drawn = [el for el in root.iter(f"{SVG}rect") if "hist-hit" not in el.attrib["class"]]
    colours = {el.attrib["class"] for el in bars_drawn}
    assert colours == {"hist-error", "hist-warning", "hist-info"}


# -- the page loads it ---------------------------------------------------------------------------


class _Placeholders(HTMLParser):
    """The histogram placeholders of a page, with the ids of their ancestors."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[tuple[dict[str, str | None], list[str]]] = []
        self.seen_table = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "div" and "histogram-loading" in (named.get("class") or "").split():
            ancestors = [a.get("id") or "" for _, a in self.open]
            self.found.append((named, [*ancestors, "table" if self.seen_table else ""]))
        if tag == "table" and named.get("class") == "events":
            self.seen_table = True
        if tag not in ("input", "meta", "link", "br", "img"):
            self.open.append((tag, named))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                return


def placeholders(response: Any) -> list[tuple[dict[str, str | None], list[str]]]:
    parser = _Placeholders()
    parser.feed(response.content.decode())
    return parser.found


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["page", "fragment"])
def test_the_results_hold_a_placeholder_that_loads_the_histogram_with_the_filters(
    client: Client, headers: dict[str, str]
) -> None:
    response = client.get(events_path(), {"level": "Info", "offset": "50"}, **headers)

    assert response.status_code == 200
    [(attrs, ancestors)] = placeholders(response)
    assert "results" in ancestors  # inside the partial: reloaded with every filter change
    assert ancestors[-1] != "table"  # above the table
    assert attrs["hx-get"] == f"{histogram_path()}?level=Info"
    assert attrs["hx-trigger"] == "load"
    assert attrs["hx-target"] == "this"
    assert attrs["hx-swap"] == "outerHTML"
    assert attrs["hx-push-url"] == "false"


def test_no_placeholder_when_nothing_matches(client: Client) -> None:
    response = client.get(events_path(), {"pattern": "no event says this"})

    assert response.status_code == 200
    assert placeholders(response) == []


def test_histogram_url_drops_the_page_but_keeps_the_filters() -> None:
    query = EventQuery(level="Info", source="Job", order="asc", limit=20, offset=60)

    url = histogram.histogram_url(PROJECT, FAILED_JOB_ID, query)

    assert url == f"{histogram_path()}?level=Info&source=Job&order=asc&limit=20"


# -- refusals and failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"level": "Debug"},
        {"source": "Pod"},
        {"start_time": "2026-11-20T02:00:00Z"},
        {"start_time": "2026-11-20T03:00:00Z", "end_time": "2026-11-20T02:00:00Z"},
        {"start_time": "yesterday", "end_time": "today"},
        {"pattern": "x" * 257},
        {"limit": "0"},
        {"offset": "-1"},
    ],
)
def test_bad_filters_are_400_without_an_upstream_call(
    client: Client, upstream_calls: list[tuple[Any, ...]], params: dict[str, str]
) -> None:
    response = client.get(histogram_path(), params)

    assert response.status_code == 400
    assert upstream_calls == []
    assert b"<svg" not in response.content


@pytest.mark.parametrize(
    ("project_id", "job_id"),
    [("not_a_project", FAILED_JOB_ID), (PROJECT, "-starts-with-a-dash"), (PROJECT, "a" * 129)],
)
def test_bad_ids_are_400_without_an_upstream_call(
    client: Client, upstream_calls: list[tuple[Any, ...]], project_id: str, job_id: str
) -> None:
    response = client.get(histogram_path(job_id, project_id))

    assert response.status_code == 400
    assert upstream_calls == []


def test_a_failed_call_renders_a_message_instead_of_the_chart(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    list_events = Sandbox.list_events

    def failing(
        self: Sandbox, project_id: str, job_id: str, query: dict[str, list[str]], *args: Any
    ) -> Any:
        if query.get("level") == ["Warning"]:
            return SandboxResponse(
                500, b'{"error_code": "ModelArts.0010", "error_msg": "Internal error."}', {}
            )
        return list_events(self, project_id, job_id, query, *args)

    monkeypatch.setattr(Sandbox, "list_events", failing)

    response = client.get(histogram_path(LONG_JOB_ID))

    assert response.status_code == 200
    root = fragment(response)
    assert root.attrib["class"] == "histogram histogram-failed"
    assert root.attrib["role"] == "status"
    assert "ModelArts answered 500 (ModelArts.0010)." in "".join(root.itertext())
    assert root.find(f".//{SVG}svg") is None


def test_an_unknown_job_renders_a_message_instead_of_the_chart(client: Client) -> None:
    response = client.get(histogram_path("0" * 8 + "-0000-4000-8000-" + "0" * 12))

    assert response.status_code == 200
    root = fragment(response)
    assert "histogram-failed" in root.attrib["class"]
    assert "no training job with this id" in "".join(root.itertext())


def test_a_running_jobs_level_of_a_few_hundred_is_reread_only_in_its_open_bucket(
    client: Client,
    requests_sent: Counter[str],
    fresh_cache: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Warnings (2% of 24,000) are read, not counted per bucket, and stay cached where closed."""
    from django.core.cache.backends import locmem

    from eventsui.sandbox import data

    job = data.add_synthetic_job(24_000, seed=3, running=True)
    warnings = upstream_total(job.id, level="Warning")
    everything = upstream_total(job.id)
    assert histogram.PAGE < warnings <= histogram.LOCAL_MAX
    clock = _CacheClock()
    monkeypatch.setattr(locmem, "time", clock)
    first = bars(client.get(histogram_path(job.id)))
    assert sum(b.counts["Warning"] for b in first) == warnings
    clock.now += settings.MODELARTS_CACHE_TTL_ACTIVE + 1
    requests_sent.clear()

    again = bars(client.get(histogram_path(job.id)))

    assert sum(b.counts["Warning"] for b in again) == warnings
    assert sum(b.total for b in again) == everything
    # Four probes and Info's open bucket: the warnings before the open bucket
    # are cached, and the newest 100 warnings reach back into it.
    assert requests_sent["events"] == 4 + 1


# -- axes, strip and zoom -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span_ms", "zone"),
    [
        (10_000, "UTC"),
        (6 * 60_000 + 31_450, "UTC"),
        (24 * 60_000, "Asia/Shanghai"),
        (3 * 3_600_000 + 17_000, "Asia/Kolkata"),  # +05:30: round in its own wall time
        (26 * 3_600_000, "America/New_York"),
        (7 * 86_400_000 + 5_000, "Asia/Shanghai"),
        (400 * 86_400_000, "UTC"),
    ],
)
def test_time_ticks_are_at_least_four_round_clean_times_in_the_viewers_zone(
    span_ms: int, zone: str
) -> None:
    tz = ZoneInfo(zone)
    first = epoch_ms(datetime(2026, 11, 20, 2, 3, 10, 250_000, tzinfo=UTC))
    last = first + span_ms - 1

    ticks = histogram.time_ticks(first, last, tz)

    assert 4 <= len(ticks) <= histogram.MAX_TICKS
    moments = [at for at, _, _ in ticks]
    assert moments == sorted(moments) and first <= moments[0] and moments[-1] <= last
    for at, label, date in ticks:
        local = histogram.from_ms(at).astimezone(tz)
        assert local.microsecond == 0 and local.second % 1 == 0
        assert "." not in label
        assert re.fullmatch(r"\d\d:\d\d(:\d\d)?|[A-Z][a-z]{2} \d\d", label), label
        if re.fullmatch(r"\d\d:\d\d", label):
            assert local.second == 0 and label == local.strftime("%H:%M")
        assert date in ("", local.strftime("%b %d"))
    # The date is written once, under the first tick, for a range inside a day.
    if span_ms < 3_600_000:
        assert [date for _, _, date in ticks][1:] == [""] * (len(ticks) - 1)
        assert ticks[0][2]


def test_the_chart_labels_its_axes_and_its_peak(client: Client) -> None:
    root = fragment(client.get(histogram_path()))
    svg = root.find(f".//{SVG}svg[@class='histogram-chart']")
    assert svg is not None

    times = [t.text for t in svg.iter(f"{SVG}text") if "hist-time" in t.attrib["class"]]
    assert len(times) >= 4
    assert all(t and re.fullmatch(r"\d\d:\d\d", t) for t in times)
    peak = svg.find(f".//{SVG}text[@class='hist-axis hist-peak-label']")
    found = bars(client.get(histogram_path()))
    assert peak is not None and peak.text == f"{max(b.total for b in found):,}"
    counts = [t.text for t in svg.iter(f"{SVG}text") if t.attrib["class"] == "hist-axis" and t.text]
    assert counts[0] == "0" and len(counts) >= 2


def test_the_strip_marks_every_bucket_with_an_error_or_warning(client: Client) -> None:
    response = client.get(histogram_path(LONG_JOB_ID))
    found = bars(response)
    links = list(fragment(response).iter(f"{SVG}a"))

    labels = [
        t.text
        for t in fragment(response).iter(f"{SVG}text")
        if "hist-strip-label" in t.attrib["class"]
    ]
    assert labels == ["Errors", "Warnings"]
    for bar, link in zip(found, links, strict=True):
        marks = {r.attrib["class"] for g in link.iter(f"{SVG}g") for r in g.iter(f"{SVG}rect")}
        expected = {f"hist-{lv.lower()}" for lv in ("Error", "Warning") if bar.counts[lv]}
        assert marks == expected, bar.title
    # The needle: Info dwarfs them, yet they are marked.
    assert sum(b.counts["Error"] for b in found) < sum(b.counts["Info"] for b in found) / 100
    assert any(b.counts["Error"] for b in found)


def test_an_info_only_chart_has_no_strip(client: Client) -> None:
    root = fragment(client.get(histogram_path(), {"level": "Info"}))

    assert not [t for t in root.iter(f"{SVG}text") if "hist-strip-label" in t.attrib["class"]]
    assert not list(root.iter(f"{SVG}g"))


def _job(**fields: Any) -> Any:
    from eventsui.modelarts import Job

    return Job(id="j", name="j", phase="Completed", secondary_phase="Completed", **fields)


NOW = datetime(2026, 11, 30, tzinfo=UTC)
JOB = _job(
    created=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
    started=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
    duration_ms=10 * 3_600_000,
)


def _window(url: str | None) -> tuple[str, str] | None:
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    if "start_time" not in query:
        return None
    return query["start_time"][0], query["end_time"][0]


@pytest.mark.parametrize(
    ("start", "end", "wider"),
    [
        # Twice as wide around the window.
        (
            "2026-11-20T04:00:00Z",
            "2026-11-20T04:59:59.999Z",
            ("2026-11-20T03:30:00Z", "2026-11-20T05:29:59.999Z"),
        ),
        # Pushed inside the job at its start, then at its end (plus the late events' margin).
        (
            "2026-11-20T00:10:00Z",
            "2026-11-20T01:09:59.999Z",
            ("2026-11-20T00:00:00Z", "2026-11-20T01:59:59.999Z"),
        ),
        (
            "2026-11-20T09:00:00Z",
            "2026-11-20T09:59:59.999Z",
            ("2026-11-20T08:02:01Z", "2026-11-20T10:02:00.999Z"),
        ),
        # Wider than the job: the whole job.
        ("2026-11-20T01:00:00Z", "2026-11-20T08:00:00Z", None),
    ],
)
def test_zoom_out_doubles_the_window_inside_the_job(
    start: str, end: str, wider: tuple[str, str] | None
) -> None:
    query = EventQuery(level="Error", start=parse_instant(start), end=parse_instant(end), offset=40)

    url = histogram.zoom_out_url(events_path(), query, JOB, NOW)

    assert url is not None and urlsplit(url).path == events_path()
    assert parse_qs(urlsplit(url).query)["level"] == ["Error"]
    assert "offset" not in url
    assert _window(url) == wider


def test_the_whole_job_has_no_zoom_out() -> None:
    assert histogram.zoom_out_url(events_path(), EventQuery(), JOB, NOW) is None


def test_a_running_job_zooms_out_as_far_as_now() -> None:
    running = _job(created=datetime(2026, 11, 29, 23, 0, tzinfo=UTC))
    running = type(running)(**{**running.__dict__, "phase": "Running"})
    query = EventQuery(
        start=datetime(2026, 11, 29, 23, 50, tzinfo=UTC),
        end=datetime(2026, 11, 29, 23, 59, 59, 999_000, tzinfo=UTC),
    )

    url = histogram.zoom_out_url(events_path(), query, running, NOW)

    assert _window(url) == ("2026-11-29T23:40:00Z", "2026-11-30T00:00:00Z")


def test_the_chart_of_a_window_links_to_zoom_out_and_the_whole_job_does_not(
    client: Client,
) -> None:
    narrowed = fragment(client.get(histogram_path(), {"source": "Task", **NARROW}))
    [link] = narrowed.findall(".//a[@class='histogram-zoom-out']")
    assert link.attrib["hx-get"] == link.attrib["href"]
    assert link.attrib["hx-target"] == "#results"
    query = parse_qs(urlsplit(link.attrib["href"]).query)
    assert query["source"] == ["Task"]
    start, end = parse_instant(query["start_time"][0]), parse_instant(query["end_time"][0])
    given = parse_instant(NARROW["end_time"]) - parse_instant(NARROW["start_time"])
    assert end - start >= 2 * given

    whole = fragment(client.get(histogram_path()))
    assert whole.findall(".//a[@class='histogram-zoom-out']") == []


def test_the_chart_carries_what_drag_to_select_needs(client: Client) -> None:
    root = fragment(client.get(histogram_path(), {"level": "Info", "limit": "20"}))
    svg = root.find(f".//{SVG}svg[@class='histogram-chart']")
    assert svg is not None

    select = urlsplit(svg.attrib["data-select-url"])
    assert select.path == events_path()
    assert list(parse_qs(select.query)) == ["level", "start_time", "end_time", "limit"]
    for link in svg.iter(f"{SVG}a"):
        query = parse_qs(urlsplit(link.attrib["href"]).query)
        assert query["start_time"] == [link.attrib["data-start"]]
        assert query["end_time"] == [link.attrib["data-end"]]


# -- without JavaScript ----------------------------------------------------------------------------


def histogram_page_path(job_id: str = FAILED_JOB_ID) -> str:
    return f"{histogram_path(job_id)}page/"


def test_the_placeholder_links_to_the_histogram_page_with_the_filters(client: Client) -> None:
    document = html(client.get(events_path(), {"level": "Info", "offset": "50"}))

    placeholder = document.find("div", class_="histogram-loading")
    link = placeholder.find("a", class_="histogram-link")
    assert link.text == "Show the event histogram"
    assert link.attrs["href"] == f"{histogram_page_path()}?level=Info"
    assert "hx-get" not in link.attrs


def test_the_histogram_page_shows_the_chart_with_plain_links(client: Client) -> None:
    response = client.get(histogram_page_path(), {"level": "Error", **NARROW}, follow=False)

    assert response.status_code == 200
    document = html(response)
    assert document.find("h1").text == "Event histogram"
    [back] = [a for a in document.find_all("a") if a.text == "Back to the events"]
    assert (back.attrs["href"] or "").startswith(f"{events_path()}?level=Error&start_time=")
    figure = document.find("figure", class_="histogram")
    links = figure.find_all("a")
    assert any("hist-bar" in a.classes for a in links)
    assert all("hx-get" not in a.attrs for a in links)
    scripts = [s.attrs.get("src") or "" for s in document.find_all("script")]
    assert any(src.endswith("/eventsui/histogram.js") for src in scripts)


def test_the_histogram_page_refuses_bad_filters_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(histogram_page_path(), {"level": "Debug"})

    assert response.status_code == 400
    assert upstream_calls == []
    assert "could not be drawn" in html(response).find("div", class_="histogram-failed").text
