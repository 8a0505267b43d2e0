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
            level: int(n) for n, level in re.findall(r"(\d+) (Error|Warning|Info)", title.text)
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
        summary = re.search(r'<p class="summary">\s*<strong>(\d+)</strong>', page.content.decode())
        assert summary is not None
        assert int(summary.group(1)) == bar.total, bar.title


# -- the buckets ------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, NARROW, LATE, {"level": "Info"}])
def test_the_bar_links_partition_the_range_to_the_millisecond(
    client: Client, params: dict[str, str]
) -> None:
    found = bars(client.get(histogram_path(), params))

    if params.get("start_time"):
        assert found[0].start_ms == epoch_ms(parse_instant(params["start_time"]))
        assert found[-1].end_ms == epoch_ms(parse_instant(params["end_time"]))
    for before, after in itertools.pairwise(found):
        assert after.start_ms == before.end_ms + 1
    assert all(bar.end_ms - bar.start_ms + 1 >= 1000 for bar in found)
    assert len(found) <= MAX_BUCKETS


def test_the_whole_job_runs_from_its_create_time_to_its_last_event(client: Client) -> None:
    found = bars(client.get(histogram_path()))

    created = datetime(2026, 11, 20, 1, 58, 12, tzinfo=UTC)
    newest = get_client().list_events(PROJECT, FAILED_JOB_ID, EventQuery(limit=1)).events[0]
    assert newest.time is not None
    assert found[0].start_ms == epoch_ms(created)
    assert found[-1].end_ms == epoch_ms(newest.time) + 999


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
        # A given range of a few events: the probe is all of them.
        (NARROW, 1, 0),
        ({"level": "Error", **NARROW}, 1, 0),
        # The whole failed job, 181 events: the newest 100, then the 81 older
        # ones; the job's details for its range.
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

    # The unfiltered probe, one probe per level, Info once per bucket, and
    # the pages of the small levels after their probe.
    small_pages = sum(_pages(n) - 1 for n in small.values())
    assert requests_sent["events"] == 1 + 3 + len(found) + small_pages
    assert requests_sent["job"] == 1
    assert requests_sent["events"] <= 40


class _CacheClock:
    """The local-memory cache's clock, moved by hand (entries expire by it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_a_revisit_of_a_running_job_recounts_only_its_open_buckets(
    client: Client,
    requests_sent: Counter[str],
    fresh_cache: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.cache.backends import locmem

    clock = _CacheClock()
    monkeypatch.setattr(locmem, "time", clock)
    first = bars(client.get(histogram_path(LONG_JOB_ID)))
    clock.now += settings.MODELARTS_CACHE_TTL_ACTIVE + 1
    requests_sent.clear()

    again = bars(client.get(histogram_path(LONG_JOB_ID)))

    assert [b.start_ms for b in again[:-1]] == [b.start_ms for b in first[:-1]]
    # The four probes and the last, open bucket of the large level; the small
    # levels' closed part is cached and their open part is in their probe.
    assert requests_sent["events"] == 4 + 1
    assert requests_sent["job"] == 1


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
            r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})? UTC): (\d+) events?"
            r" \((\d+) Error, (\d+) Warning, (\d+) Info\)\. Times in UTC\.",
            bar.title,
        )
        assert match is not None, bar.title
        start = parse_instant(match.group(1).replace(" UTC", "Z").replace(" ", "T"))
        assert epoch_ms(start) == bar.start_ms
        assert int(match.group(3)) == bar.total


def test_the_chart_has_a_legend_and_needs_no_script_or_inline_style(client: Client) -> None:
    response = client.get(histogram_path())

    root = fragment(response)
    legend = root.find(".//ul[@class='histogram-legend']")
    assert legend is not None
    assert [" ".join("".join(li.itertext()).split()) for li in legend] == [
        f"{level} {upstream_total(level=level)}" for level in ("Info", "Warning", "Error")
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

    def failing(self: Sandbox, project_id: str, job_id: str, query: dict[str, list[str]]) -> Any:
        if query.get("level") == ["Warning"]:
            return SandboxResponse(
                500, b'{"error_code": "ModelArts.0010", "error_msg": "Internal error."}', {}
            )
        return list_events(self, project_id, job_id, query)

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
