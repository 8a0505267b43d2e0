"""The export of every event of a job matching the timeline's filters (CSV, NDJSON, JSON)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.test import Client

from eventsui.modelarts import EventQuery, get_client
from eventsui.modelarts.client import ModelArtsClient
from eventsui.sandbox import data
from eventsui.sandbox.api import upstream_time
from eventsui.sandbox.data import (
    DEFAULT_PROJECT_ID,
    FAILED_JOB_ID,
    LIVE_JOB_ID,
    LONG_JOB_ID,
)
from eventsui.timeline import export as export_module
from eventsui.timeline.export import INCOMPLETE_MARKER, MAX_IN_FLIGHT, spreadsheet_safe

PROJECT = DEFAULT_PROJECT_ID
ENDPOINT = "https://modelarts.test.invalid"
FAKE_JOB = "0f0e0d0c-0b0a-4908-8706-050403020100"
EVENTS_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{FAKE_JOB}/events"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{FAKE_JOB}"
HEADER = ["time", "level", "source", "message"]


def export_path(job_id: str = FAILED_JOB_ID, project_id: str = PROJECT) -> str:
    return f"/projects/{project_id}/jobs/{job_id}/events/export/"


def download(client: Client, job_id: str = FAILED_JOB_ID, **params: str) -> tuple[Any, str]:
    response = client.get(export_path(job_id), params)
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def upstream_total(job_id: str, **filters: Any) -> int:
    """What ModelArts (here the sandbox) counts for these filters."""
    return get_client().list_events(PROJECT, job_id, EventQuery(limit=1, **filters)).total


def sandbox_events(job_id: str) -> list[data.SandboxEvent]:
    job = data.find_job(job_id)
    assert job is not None
    return job.events()


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def upstream_answers_required() -> bool:
    return False


@pytest.fixture
def fake_upstream(
    fake_upstream: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> FakeUpstream:
    """A configured https endpoint answering from a generated list of events."""
    # Retries of a 503 would sleep; the outcome is the same without the wait.
    monkeypatch.setattr(get_client(), "_sleep", lambda seconds: None)
    return FakeUpstream(fake_upstream)


class FakeUpstream:
    """ListTrainingJobEvents over `total` events, newest at offset 0 in desc order."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.total = 250
        self.job_name = "fake-job"
        self.job_status = 200
        self.message: Callable[[int], str] = lambda i: f"event {i}"
        self.failing_offsets: set[int] = set()
        self.total_at: dict[int, int] = {}
        self.offsets: list[int] = []
        self.base = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        mock.add_callback(responses.GET, EVENTS_API, callback=self._events)
        mock.add_callback(responses.GET, JOB_API, callback=self._job)

    def _job(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if self.job_status != 200:
            return self.job_status, {}, json.dumps({"error_code": "ModelArts.0010"})
        created = int((self.base - timedelta(hours=1)).timestamp() * 1000)
        body = {
            "metadata": {"id": FAKE_JOB, "name": self.job_name, "create_time": created},
            "status": {"phase": "Running"},
        }
        return 200, {}, json.dumps(body)

    def _events(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
        offset, limit = int(query["offset"]), int(query["limit"])
        self.offsets.append(offset)
        if offset in self.failing_offsets:
            body = {"error_code": "ModelArts.0010", "error_msg": "Internal error."}
            return 503, {}, json.dumps(body)
        # Index 0 is the oldest event.
        order = range(self.total - 1, -1, -1) if query["order"] == "desc" else range(self.total)
        events = [
            {
                "time": (self.base + timedelta(seconds=i)).isoformat(),
                "level": "Info",
                "source": "Task",
                "message": self.message(i),
            }
            for i in list(order)[offset : offset + limit]
        ]
        body = {
            "total": self.total_at.get(offset, self.total),
            "limit": limit,
            "offset": offset,
            "order": query["order"],
            "events": events,
        }
        return 200, {}, json.dumps(body)


# -- every matching event -------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"level": "Error"},
        {"level": "Info", "order": "asc"},
        {"source": "K8S"},
        {"pattern": "worker-3"},
        {"start_time": "2026-11-20T02:00:00Z", "end_time": "2026-11-20T02:10:00Z"},
    ],
)
def test_it_exports_as_many_rows_as_the_upstream_counts(
    client: Client, filters: dict[str, str]
) -> None:
    form_names = {"start_time": "start", "end_time": "end"}
    query: dict[str, Any] = {
        form_names.get(k, k): datetime.fromisoformat(v) if k.endswith("_time") else v
        for k, v in filters.items()
    }
    expected = upstream_total(FAILED_JOB_ID, **query)

    _, text = download(client, format="csv", **filters)

    rows = csv_rows(text)
    assert rows[0] == HEADER
    assert len(rows) - 1 == expected > 0
    assert all(len(row) == 4 for row in rows)


def test_it_exports_every_page_of_the_long_job(client: Client) -> None:
    expected = upstream_total(LONG_JOB_ID, level="Info", pattern="[worker-0]")
    assert expected > 20 * 100  # many pages, read concurrently

    _, text = download(client, LONG_JOB_ID, level="Info", pattern="[worker-0]")

    rows = csv_rows(text)[1:]
    assert len(rows) == expected
    assert all(row[1] == "Info" and "[worker-0]" in row[3] for row in rows)
    assert len({row[3] for row in rows}) == expected  # each step once: no page twice


def test_it_exports_the_long_jobs_warnings(client: Client) -> None:
    _, text = download(client, LONG_JOB_ID, format="ndjson", level="Warning")

    lines = text.splitlines()
    assert len(lines) == upstream_total(LONG_JOB_ID, level="Warning")
    assert {json.loads(line)["level"] for line in lines} == {"Warning"}


def test_it_ignores_limit_and_offset(client: Client) -> None:
    _, text = download(client, limit="5", offset="10")

    assert len(csv_rows(text)) - 1 == len(sandbox_events(FAILED_JOB_ID))


# -- CSV ------------------------------------------------------------------------------------


def test_its_csv_reads_back_as_the_events_newest_first(client: Client) -> None:
    response, text = download(client, format="csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(text)
    assert rows[0] == HEADER
    expected = [
        [
            upstream_time(e.at),
            e.level,
            "K8S" if e.source == "K8s" else e.source,
            spreadsheet_safe(e.message),
        ]
        for e in reversed(sandbox_events(FAILED_JOB_ID))
    ]
    assert rows[1:] == expected


def test_its_times_are_iso_8601_with_their_offset(client: Client) -> None:
    _, text = download(client, level="Error")

    for row in csv_rows(text)[1:]:
        moment = datetime.fromisoformat(row[0])
        assert moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_oldest_first_is_newest_first_reversed(client: Client, fmt: str) -> None:
    def times_and_messages(text: str) -> list[tuple[str, str]]:
        if fmt == "csv":
            return [(r[0], r[3]) for r in csv_rows(text)[1:]]
        records = (
            [json.loads(line) for line in text.splitlines()]
            if fmt == "ndjson"
            else json.loads(text)["events"]
        )
        return [(r["time"], r["message"]) for r in records]

    newest_first = times_and_messages(download(client, format=fmt)[1])
    oldest_first = times_and_messages(download(client, format=fmt, order="asc")[1])

    assert oldest_first == newest_first[::-1]
    times = [datetime.fromisoformat(t) for t, _ in oldest_first]
    assert times == sorted(times)
    assert len(times) == len(sandbox_events(FAILED_JOB_ID))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("[worker-2] =HYPERLINK(1)", "[worker-2] =HYPERLINK(1)"),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_spreadsheet_safe_neutralises_formula_starts(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written


def test_it_neutralises_formula_cells_in_csv_only(
    client: Client, fake_upstream: FakeUpstream
) -> None:
    formulas = ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1:A2)", "\t=1", "\r=1", "fine"]
    fake_upstream.total = len(formulas)
    fake_upstream.message = lambda i: formulas[i]

    _, text = download(client, FAKE_JOB, format="csv", order="asc")
    _, ndjson = download(client, FAKE_JOB, format="ndjson", order="asc")

    assert [row[3] for row in csv_rows(text)[1:]] == [
        "'=1+1",
        "'+cmd|' /C calc'!A0",
        "'-2",
        "'@SUM(A1:A2)",
        "'\t=1",
        "'\r=1",
        "fine",
    ]
    assert [json.loads(line)["message"] for line in ndjson.splitlines()] == formulas


# -- NDJSON and JSON -----------------------------------------------------------------------


def test_its_ndjson_is_one_event_object_per_line(client: Client) -> None:
    response, text = download(client, format="ndjson")

    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == len(sandbox_events(FAILED_JOB_ID))
    assert all(set(r) == {"time", "level", "source", "message"} for r in records)
    assert records[-1]["message"] == "Training job created."


def test_its_json_is_one_object_that_says_it_is_complete(client: Client) -> None:
    response, text = download(client, format="json", level="Error")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(text)
    assert document["complete"] is True
    assert document["error"] is None
    assert (
        document["count"] == len(document["events"]) == upstream_total(FAILED_JOB_ID, level="Error")
    )
    assert document["job"] == {"id": FAILED_JOB_ID, "name": "resnet50-imagenet"}
    assert document["level"] == "Error"


def test_its_json_is_streamed_in_pieces(client: Client) -> None:
    response = client.get(export_path(LONG_JOB_ID), {"format": "json", "pattern": "step 1"})

    chunks = list(response.streaming_content)

    assert len(chunks) > 3
    assert json.loads(b"".join(chunks))["complete"] is True


# -- the file name --------------------------------------------------------------------------


def test_its_file_name_carries_the_job_name_and_the_range(client: Client) -> None:
    response, _ = download(
        client,
        format="ndjson",
        start_time="2026-11-20T02:00:00Z",
        end_time="2026-11-20T03:00:00Z",
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="resnet50-imagenet_events_20261120T020000Z-20261120T030000Z.ndjson"'
    )


def test_its_file_name_is_sanitised(client: Client, fake_upstream: FakeUpstream) -> None:
    fake_upstream.job_name = '../"evil" name\u202e;\r\nX-Header: 1'

    response, _ = download(client, FAKE_JOB)

    filename = re.fullmatch(r'attachment; filename="([^"]+)"', response["Content-Disposition"])
    assert filename is not None
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", filename[1])
    assert filename[1].startswith("evil_name_X-Header_1_events_")
    assert filename[1].endswith(".csv")


def test_its_file_name_falls_back_to_the_job_id(
    client: Client, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.job_status = 500
    fake_upstream.total = 3

    response, text = download(client, FAKE_JOB)

    assert f'filename="{FAKE_JOB}_events_19700101T000000Z-' in response["Content-Disposition"]
    assert len(csv_rows(text)) == 4


# -- the frozen window ----------------------------------------------------------------------


def test_the_window_holds_while_the_live_job_keeps_writing(
    client: Client, monkeypatch: pytest.MonkeyPatch, event_queries: list[EventQuery]
) -> None:
    job = data.find_job(LIVE_JOB_ID)
    assert job is not None
    began = data.live_cycle_start(time.time()) + 2 * 3600
    expected = job.events(now=began)
    # The sandbox's clock moves 10 s (five live events) at every look, so new
    # events arrive between any two page fetches.
    ticks = itertools.count()
    lock = threading.Lock()

    def sandbox_clock() -> float:
        with lock:
            return float(began + 10 * next(ticks))

    monkeypatch.setattr(data, "time", SimpleNamespace(time=sandbox_clock))
    monkeypatch.setattr(export_module, "_now", lambda: datetime.fromtimestamp(began, UTC))

    _, text = download(client, LIVE_JOB_ID)

    rows = csv_rows(text)[1:]
    assert [row[3] for row in rows] == [e.message for e in reversed(expected)]
    assert len(job.events(now=sandbox_clock())) > len(expected) + 100  # they did arrive
    created = datetime.fromtimestamp(data.live_cycle_start(began), UTC)
    assert len(event_queries) == -(-len(expected) // 100) > 10
    assert {(q.start, q.end) for q in event_queries} == {
        (created - timedelta(minutes=1), datetime.fromtimestamp(began, UTC))
    }


def test_it_sends_a_given_window_upstream_unchanged(
    client: Client, event_queries: list[EventQuery]
) -> None:
    download(client, start_time="2026-11-20T02:00:00Z", end_time="2026-11-20T03:00:00Z")

    start = datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert {(q.start, q.end) for q in event_queries} == {(start, start + timedelta(hours=1))}
    assert sorted((q.offset, q.limit) for q in event_queries) == [(0, 100), (100, 100)]


def test_it_cuts_a_future_end_to_the_moment_the_export_began(
    client: Client, monkeypatch: pytest.MonkeyPatch, event_queries: list[EventQuery]
) -> None:
    began = datetime(2026, 11, 27, 12, tzinfo=UTC)
    monkeypatch.setattr(export_module, "_now", lambda: began)

    download(client, start_time="2026-11-20T00:00:00Z", end_time="2030-01-01T00:00:00Z")

    assert {q.end for q in event_queries} == {began}


# -- concurrency ----------------------------------------------------------------------------


def test_it_keeps_at_most_max_in_flight_pages_in_flight_and_ahead(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ModelArtsClient.list_events
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    started = 0

    def slow(self: ModelArtsClient, project_id: str, job_id: str, query: EventQuery) -> Any:
        nonlocal in_flight, peak, started
        with lock:
            in_flight += 1
            started += 1
            peak = max(peak, in_flight)
        try:
            time.sleep(0.01)
            return original(self, project_id, job_id, query)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(ModelArtsClient, "list_events", slow)

    response = client.get(export_path(LONG_JOB_ID), {"pattern": "[worker-1]", "level": "Info"})
    chunks = iter(response.streaming_content)
    next(chunks)  # the header
    pages_written = 0
    for _ in chunks:
        pages_written += 1
        time.sleep(0.005)  # a slow reader: the pool must not run ahead of it
        with lock:
            assert started <= pages_written + MAX_IN_FLIGHT

    assert pages_written > 20
    assert 1 < peak <= MAX_IN_FLIGHT


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_a_failure_mid_stream_ends_the_file_with_a_marker(
    client: Client, fake_upstream: FakeUpstream, fmt: str
) -> None:
    fake_upstream.total = 1000
    fake_upstream.failing_offsets = {200}  # the third page

    response, text = download(client, FAKE_JOB, format=fmt)

    assert response.status_code == 200
    if fmt == "csv":
        rows = csv_rows(text)
        assert len(rows) == 1 + 200 + 1
        assert rows[-1][0].startswith(f"{INCOMPLETE_MARKER}: ")
        assert "503" in rows[-1][0]
        assert len(rows[-1]) == 1
    elif fmt == "ndjson":
        lines = [json.loads(line) for line in text.splitlines()]
        assert len(lines) == 200 + 1
        assert lines[-1]["complete"] is False
        assert "503" in lines[-1]["error"]
        assert lines[-1]["count"] == 200
        assert all("error" not in line for line in lines[:-1])
    else:
        document = json.loads(text)
        assert document["complete"] is False
        assert "503" in document["error"]
        assert document["count"] == len(document["events"]) == 200
    assert fake_upstream.offsets.count(200) == 3  # retried, then given up


def test_a_count_that_changes_between_pages_is_marked_incomplete(
    client: Client, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.total = 300
    fake_upstream.total_at = {100: 301}

    _, text = download(client, FAKE_JOB, format="ndjson")

    last = json.loads(text.splitlines()[-1])
    assert last["complete"] is False
    assert "(300, then 301)" in last["error"]


def test_a_failure_before_the_first_byte_answers_with_the_error_page(
    client: Client, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.failing_offsets = {0}

    response = client.get(export_path(FAKE_JOB), {"format": "csv"})

    assert response.status_code == 502
    assert not response.streaming
    assert "Content-Disposition" not in response
    assert "ModelArts answered 503" in response.content.decode()


def test_a_job_that_does_not_exist_is_404(client: Client) -> None:
    response = client.get(export_path("0000aaaa-0000-4000-8000-000000000000"))

    assert response.status_code == 404
    assert "Content-Disposition" not in response


def test_it_logs_one_line_per_export(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="eventsui.timeline.export"):
        download(client, level="Error")

    lines = [r.getMessage() for r in caplog.records if r.name == "eventsui.timeline.export"]
    assert len(lines) == 1
    expected = upstream_total(FAILED_JOB_ID, level="Error")
    assert f"rows={expected} " in lines[0]
    assert "outcome=complete" in lines[0]
    assert re.search(r"duration_ms=\d+", lines[0])


@pytest.mark.django_db  # closing a response closes old database connections
def test_a_reader_that_goes_away_is_logged_as_aborted(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="eventsui.timeline.export"):
        response = client.get(export_path(LONG_JOB_ID), {"pattern": "[worker-2]"})
        chunks = iter(response.streaming_content)
        next(chunks)
        next(chunks)
        response.close()

    lines = [r.getMessage() for r in caplog.records if r.name == "eventsui.timeline.export"]
    assert len(lines) == 1
    assert "outcome=aborted" in lines[0]


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"level": "Fatal"},
        {"source": "Pod"},
        {"pattern": "x" * 257},
        {"start_time": "2026-11-20T02:00:00Z"},
        {"start_time": "2026-11-20T03:00:00Z", "end_time": "2026-11-20T02:00:00Z"},
        {"start_time": "yesterday", "end_time": "today"},
        {"order": "sideways"},
        {"limit": "1000"},
        {"offset": "-1"},
        {"format": "xlsx"},
    ],
)
def test_it_answers_400_to_bad_input_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], params: dict[str, str]
) -> None:
    response = client.get(export_path(), params)

    assert response.status_code == 400
    assert not response.streaming
    assert "Content-Disposition" not in response
    assert upstream_calls == []


@pytest.mark.parametrize(
    "path",
    [export_path(project_id="not_a_project"), export_path(job_id="-not-a-job")],
)
def test_it_answers_400_to_bad_ids_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 400
    assert upstream_calls == []


def test_it_names_the_bad_filter_and_links_back_to_the_timeline(client: Client) -> None:
    response = client.get(export_path(), {"level": "Fatal", "format": "csv"})

    page = response.content.decode()
    assert "Level: Select a valid choice." in page
    assert f'href="/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/events/?level=Fatal"' in page


# -- the links on the timeline ------------------------------------------------------------------


def _export_links(page: str) -> dict[str, str]:
    found = re.findall(r'<a href="([^"]*/events/export/[^"]*)" download>(\w+)</a>', page)
    return {label: href.replace("&amp;", "&") for href, label in found}


@pytest.mark.parametrize("htmx", [False, True])
def test_the_timeline_links_to_the_export_with_its_filters(client: Client, htmx: bool) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    page = client.get(
        f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/events/",
        {"level": "Error", "order": "asc", "limit": "20", "offset": "20"},
        headers=headers,
    ).content.decode()

    links = _export_links(page)
    base = export_path()
    assert links == {
        "CSV": f"{base}?level=Error&order=asc&format=csv",
        "NDJSON": f"{base}?level=Error&order=asc&format=ndjson",
        "JSON": f"{base}?level=Error&order=asc&format=json",
    }
    response = client.get(links["CSV"])
    assert response.status_code == 200
    assert len(csv_rows(b"".join(response.streaming_content).decode())) - 1 == (
        upstream_total(FAILED_JOB_ID, level="Error")
    )


# -- serving a team: slots per reader, the call budget, restarts ----------------------------


@pytest.fixture
def shared_cache(settings: Any, db: None) -> None:
    """A real cache, as the export slots live in the shared cache (locmem: one process).

    (db: closing a response ends the request, which tidies database connections.)
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"export-{time.monotonic_ns()}",
        }
    }


def _started(client: Client, **extra: Any) -> Any:
    """An export whose response has begun but whose file has not been read."""
    response = client.get(export_path(LONG_JOB_ID), {"format": "ndjson"}, **extra)
    assert response.status_code == 200
    return response


def test_a_readers_third_concurrent_export_answers_429_until_one_ends(
    client: Client, shared_cache: None
) -> None:
    first, second = _started(client), _started(client)

    third = client.get(export_path(), {"format": "csv"})

    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert "at most 2 exports at a time" in third.content.decode()
    first.close()
    again = _started(client)
    second.close()
    again.close()


def test_another_readers_exports_are_not_limited_by_mine(
    client: Client, shared_cache: None
) -> None:
    mine = [_started(client), _started(client)]
    theirs = _started(client, REMOTE_ADDR="192.0.2.7")
    for response in (*mine, theirs):
        response.close()


def test_a_finished_export_frees_its_slot(client: Client, shared_cache: None) -> None:
    for _ in range(3):
        download(client)


def test_an_export_that_fails_before_its_first_byte_frees_its_slot(
    client: Client, shared_cache: None
) -> None:
    missing = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    for _ in range(3):
        assert client.get(export_path(missing)).status_code == 404
    download(client)


def test_an_export_paces_itself_inside_a_binding_budget(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsui import metrics
    from eventsui.modelarts import budget

    monkeypatch.setattr(budget, "_local", budget._LocalBuckets())
    job = data.add_synthetic_job(1_000, seed=7)
    settings.EVENTSUI_UPSTREAM_RATE = 20.0
    settings.EVENTSUI_UPSTREAM_BURST = 2
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0  # a page would be refused at once
    waits = metrics.BUDGET_WAITS.labels(project=PROJECT)._value.get()

    _, text = download(client, job.id, format="ndjson")

    lines = text.splitlines()
    assert len(lines) == 1_000
    assert INCOMPLETE_MARKER not in text and '"error"' not in text
    assert metrics.BUDGET_WAITS.labels(project=PROJECT)._value.get() > waits


def test_a_restart_ends_the_file_with_its_marker_not_a_cut_row(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsui.core import shutdown

    response = client.get(export_path(LONG_JOB_ID), {"format": "csv"})
    chunks = iter(response.streaming_content)
    head = next(chunks)
    monkeypatch.setattr(shutdown, "stopping", threading.Event())
    shutdown.stopping.set()

    text = (head + b"".join(chunks)).decode()

    rows = csv_rows(text)
    assert rows[0] == HEADER
    assert rows[-1][0].startswith(INCOMPLETE_MARKER)
    assert "restarted" in rows[-1][0]
    assert all(len(row) == 4 for row in rows[:-1])
