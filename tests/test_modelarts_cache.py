"""Cached upstream answers: how long they live, whose they are, one call per cold key.

The upstream is `responses` on a fake https endpoint, so every call the real
client makes is counted. Two caches are used: a fresh local-memory cache per
test, and a real redis-server started for this module.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import responses
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.test import Client

from eventsui.modelarts import (
    EventQuery,
    Job,
    JobNotFound,
    ModelArtsError,
    get_client,
    tolerant_cache,
)
from eventsui.modelarts.cache import CachedModelArtsClient, auth_identity
from eventsui.modelarts.client import ClientConfig

ENDPOINT = "https://modelarts.cache-test.invalid"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
OTHER_PROJECT = "ffeeddccbbaa99887766554433221100"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
TOKEN = "MIIT-cache-test-token-" + "x" * 40
OTHER_TOKEN = "MIIT-another-token-" + "y" * 40


def _events_url(project: str = PROJECT, job: str = JOB) -> str:
    return f"{ENDPOINT}/v2/{project}/training-jobs/{job}/events"


def _job_url(project: str = PROJECT, job: str = JOB) -> str:
    return f"{ENDPOINT}/v2/{project}/training-jobs/{job}"


def _search_url(project: str = PROJECT) -> str:
    return f"{ENDPOINT}/v2/{project}/training-job-searches"


EVENTS_BODY = {
    "total": 1,
    "limit": 50,
    "offset": 0,
    "order": "desc",
    "events": [
        {
            "time": "2022-11-29T16:31:04+08:00",
            "level": "Info",
            "message": "Training job is running.",
            "source": "Job",
        }
    ],
}


def _job_body(phase: str, job: str = JOB, *, ended_ago: timedelta | None = None) -> dict[str, Any]:
    """A job as the upstream sends it; by default it ran for a second in 2022.

    ended_ago: start it a minute before that long ago, so (finished) it ended then.
    """
    start_time, duration = 1669449697000, 1000
    if ended_ago is not None:
        duration = 60_000
        ended = datetime.now(UTC) - ended_ago
        start_time = int(ended.timestamp() * 1000) - duration
    return {
        "kind": "job",
        "metadata": {"id": job, "name": "resnet", "create_time": start_time - 36},
        "status": {"phase": phase, "duration": duration, "start_time": start_time},
    }


def _calls(url: str) -> int:
    return sum(1 for call in responses.calls if call.request.url.split("?")[0] == url)


class FakeTime:
    """The local-memory cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def configured(settings) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT
    settings.MODELARTS_PROJECT_ID = PROJECT
    settings.MODELARTS_AUTH_TOKEN = TOKEN
    settings.MODELARTS_CACHE_TTL_ACTIVE = 5
    settings.MODELARTS_CACHE_TTL_FINISHED = 3600


@pytest.fixture
def memory_cache(settings, configured: None) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    clock = FakeTime()
    monkeypatch.setattr(locmem, "time", clock)
    return clock


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    # The module-level mock, so responses.calls counts what it answered.
    with responses.mock as mock:
        yield mock


def _serve(mock: responses.RequestsMock, phase: str = "Running") -> None:
    mock.add(responses.GET, _events_url(), json=EVENTS_BODY)
    mock.add(responses.GET, _job_url(), json=_job_body(phase))


# -- cached answers ----------------------------------------------------------


def test_a_second_identical_request_makes_no_upstream_call(memory_cache, upstream) -> None:
    _serve(upstream)
    first = get_client().list_events(PROJECT, JOB, EventQuery(level="Info"))
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)
    second = get_client().list_events(PROJECT, JOB, EventQuery(level="Info"))
    assert second == first
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)
    # The events cached no job record: the job is asked when it is wanted.
    get_client().get_job(PROJECT, JOB)
    get_client().get_job(PROJECT, JOB)
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)


@pytest.mark.django_db
def test_a_second_identical_page_view_makes_no_upstream_call(memory_cache, upstream) -> None:
    _serve(upstream)
    page = f"/projects/{PROJECT}/jobs/{JOB}/events/"
    assert Client().get(page).status_code == 200
    assert Client().get(page).status_code == 200
    assert _calls(_events_url()) == 1
    assert _calls(_job_url()) == 1


@pytest.mark.django_db
def test_a_finished_jobs_page_reaches_the_long_ttl_once_its_heading_is_cached(
    memory_cache, upstream, fake_time
) -> None:
    _serve(upstream, "Completed")
    page = f"/projects/{PROJECT}/jobs/{JOB}/events/"
    # The first view fetches the heading's job alongside the events: whether
    # those events found the record is a race, so they may be kept briefly.
    assert Client().get(page).status_code == 200
    fake_time.advance(6)
    assert Client().get(page).status_code == 200
    events_calls = _calls(_events_url())
    assert events_calls in (1, 2)
    assert _calls(_job_url()) == 1
    # By the second view the record was cached: its events are kept long.
    fake_time.advance(600)
    assert Client().get(page).status_code == 200
    assert (_calls(_events_url()), _calls(_job_url())) == (events_calls, 1)


def test_every_query_field_makes_its_own_entry(memory_cache, upstream) -> None:
    _serve(upstream)
    start = datetime(2022, 11, 26, tzinfo=UTC)
    queries = [
        EventQuery(),
        EventQuery(level="Error"),
        EventQuery(source="Task"),
        EventQuery(pattern="OOM"),
        EventQuery(start=start, end=start + timedelta(days=1)),
        EventQuery(start=start, end=start + timedelta(days=2)),
        EventQuery(order="asc"),
        EventQuery(offset=50),
        EventQuery(limit=20),
    ]
    for query in queries:
        get_client().list_events(PROJECT, JOB, query)
    assert _calls(_events_url()) == len(queries)
    assert _calls(_job_url()) == 0


def test_the_job_list_is_cached_per_search(memory_cache, upstream) -> None:
    upstream.add(
        responses.POST,
        _search_url(),
        json={"total": 1, "count": 1, "limit": 50, "offset": 0, "items": [_job_body("Running")]},
    )
    client = get_client()
    client.list_jobs(PROJECT, limit=50)
    client.list_jobs(PROJECT, limit=50)
    client.list_jobs(PROJECT, limit=50, name="resnet")
    client.list_jobs(PROJECT, limit=50, phases=("Running",))
    client.list_jobs(PROJECT, limit=50, page=1)
    assert _calls(_search_url()) == 4


# -- time to live ------------------------------------------------------------


def test_a_running_jobs_entry_expires_after_the_active_ttl(
    memory_cache, upstream, fake_time
) -> None:
    _serve(upstream, "Running")
    get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(4)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert _calls(_events_url()) == 1
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


@pytest.mark.parametrize("phase", ["Creating", "Pending", "Running", "Terminating"])
def test_a_job_that_may_still_change_is_cached_briefly(
    memory_cache, upstream, fake_time, phase
) -> None:
    _serve(upstream, phase)
    get_client().get_job(PROJECT, JOB)
    fake_time.advance(4)
    get_client().get_job(PROJECT, JOB)
    assert _calls(_job_url()) == 1
    fake_time.advance(2)
    get_client().get_job(PROJECT, JOB)
    assert _calls(_job_url()) == 2


@pytest.mark.parametrize("phase", ["Completed", "Failed", "Terminated", "Abnormal"])
def test_a_finished_jobs_entries_use_the_long_ttl(memory_cache, upstream, fake_time, phase) -> None:
    _serve(upstream, phase)
    # As the page does: the job for its heading, then the events.
    get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(3599)
    get_client().list_events(PROJECT, JOB, EventQuery())
    get_client().get_job(PROJECT, JOB)
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, EventQuery())
    get_client().get_job(PROJECT, JOB)
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 2)


@pytest.mark.parametrize("phase", ["Completed", "Failed", "Terminated", "Abnormal"])
def test_a_finished_jobs_events_keep_the_short_ttl_without_a_cached_job_record(
    memory_cache, upstream, fake_time, phase
) -> None:
    _serve(upstream, phase)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(4)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 0)


def test_a_job_that_ended_more_than_two_minutes_ago_gets_the_long_ttl(
    memory_cache, upstream, fake_time
) -> None:
    upstream.add(responses.GET, _events_url(), json=EVENTS_BODY)
    upstream.add(
        responses.GET, _job_url(), json=_job_body("Completed", ended_ago=timedelta(seconds=130))
    )
    job = get_client().get_job(PROJECT, JOB)
    assert job.ended is not None
    assert timedelta(seconds=125) < datetime.now(UTC) - job.ended < timedelta(seconds=135)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(600)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)


def test_a_job_that_ended_less_than_two_minutes_ago_keeps_the_short_ttl(
    memory_cache, upstream, fake_time
) -> None:
    # Kubernetes events (pod deletions) still arrive after the phase changes.
    upstream.add(responses.GET, _events_url(), json=EVENTS_BODY)
    upstream.add(
        responses.GET, _job_url(), json=_job_body("Completed", ended_ago=timedelta(seconds=110))
    )
    job = get_client().get_job(PROJECT, JOB)
    assert job.ended is not None
    assert timedelta(seconds=105) < datetime.now(UTC) - job.ended < timedelta(seconds=115)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(4)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert _calls(_events_url()) == 1
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, EventQuery())
    # The record (kept long, since the job finished) was read, not fetched again.
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


def test_a_finished_jobs_past_window_uses_the_long_ttl(memory_cache, upstream, fake_time) -> None:
    _serve(upstream, "Completed")
    get_client().get_job(PROJECT, JOB)
    end = datetime.now(UTC) - timedelta(hours=1)
    query = EventQuery(start=end - timedelta(days=1), end=end)
    get_client().list_events(PROJECT, JOB, query)
    fake_time.advance(600)
    get_client().list_events(PROJECT, JOB, query)
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)


def test_a_window_ending_in_the_future_keeps_the_short_ttl(
    memory_cache, upstream, fake_time
) -> None:
    _serve(upstream, "Completed")
    # The job record alone would give the long TTL: the window is what stops it.
    get_client().get_job(PROJECT, JOB)
    end = datetime.now(UTC) + timedelta(hours=1)
    query = EventQuery(start=end - timedelta(days=1), end=end)
    get_client().list_events(PROJECT, JOB, query)
    fake_time.advance(4)
    get_client().list_events(PROJECT, JOB, query)
    assert _calls(_events_url()) == 1
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, query)
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


def test_a_running_jobs_window_that_closed_before_the_short_ttl_is_kept_long(
    memory_cache, upstream, fake_time
) -> None:
    """A histogram's closed buckets are not recounted on every visit of a running job."""
    _serve(upstream, "Running")
    get_client().get_job(PROJECT, JOB)
    end = datetime.now(UTC) - timedelta(hours=1)
    query = EventQuery(start=end - timedelta(days=1), end=end)
    get_client().list_events(PROJECT, JOB, query)
    fake_time.advance(600)
    get_client().list_events(PROJECT, JOB, query)
    assert _calls(_events_url()) == 1


def test_a_running_jobs_window_that_just_closed_keeps_the_short_ttl(
    memory_cache, upstream, fake_time
) -> None:
    _serve(upstream, "Running")
    get_client().get_job(PROJECT, JOB)
    end = datetime.now(UTC) - timedelta(seconds=2)
    query = EventQuery(start=end - timedelta(hours=1), end=end)
    get_client().list_events(PROJECT, JOB, query)
    fake_time.advance(6)
    get_client().list_events(PROJECT, JOB, query)
    assert _calls(_events_url()) == 2


def test_listing_events_never_calls_the_job_endpoint_and_a_running_record_keeps_the_short_ttl(
    memory_cache, upstream, fake_time
) -> None:
    upstream.add(responses.GET, _events_url(), json=EVENTS_BODY)
    upstream.add(responses.GET, _job_url(), json=_job_body("Running"))
    client = get_client()
    client.get_job(PROJECT, JOB)
    # The job finishes upstream; the record cached a moment ago still says Running.
    upstream.replace(responses.GET, _job_url(), json=_job_body("Completed"))
    client.list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(4)
    client.list_events(PROJECT, JOB, EventQuery())
    assert _calls(_events_url()) == 1
    fake_time.advance(2)  # the record has expired too: no record, still short
    client.list_events(PROJECT, JOB, EventQuery())
    client.list_events(PROJECT, JOB, EventQuery(level="Error"))
    urls = [call.request.url.split("?")[0] for call in upstream.calls]
    assert urls == [_job_url(), _events_url(), _events_url(), _events_url()]


def test_the_ttl_is_decided_from_the_record_cached_before_the_events_are_fetched(
    memory_cache, upstream, fake_time
) -> None:
    # Events fetched while the job ran must not be kept as final because the
    # job finished (and its record was cached) while they were on their way.
    client = get_client()
    job_key = client._key("job", project=PROJECT, job=JOB)
    finished = Job(
        id=JOB,
        name="resnet",
        phase="Completed",
        started=datetime.now(UTC) - timedelta(hours=1),
        duration_ms=1000,
    )

    def events_while_the_job_finishes(request: Any) -> tuple[int, dict[str, str], str]:
        caches["default"].set(job_key, finished, 3600)
        return 200, {"Content-Type": "application/json"}, json.dumps(EVENTS_BODY)

    upstream.add(responses.GET, _job_url(), json=_job_body("Running"))
    upstream.add_callback(responses.GET, _events_url(), callback=events_while_the_job_finishes)
    client.get_job(PROJECT, JOB)
    client.list_events(PROJECT, JOB, EventQuery())
    assert client.get_job(PROJECT, JOB) == finished
    fake_time.advance(6)
    client.list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)
    # The entry fetched with the finished record cached is kept long.
    fake_time.advance(600)
    client.list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


def test_a_job_record_cached_for_other_credentials_does_not_lengthen_the_ttl(
    memory_cache, settings, upstream, fake_time
) -> None:
    _serve(upstream, "Completed")
    get_client().get_job(PROJECT, JOB)
    settings.MODELARTS_AUTH_TOKEN = OTHER_TOKEN
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(6)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


def test_an_unknown_phase_keeps_the_short_ttl(memory_cache, upstream, fake_time) -> None:
    upstream.add(responses.GET, _events_url(), json=EVENTS_BODY)
    upstream.add(
        responses.GET,
        _job_url(),
        status=500,
        json={"error_code": "ModelArts.0010", "error_msg": "Internal error."},
    )
    # The heading's job call fails, so no record is cached.
    with pytest.raises(ModelArtsError):
        get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    fake_time.advance(4)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert _calls(_events_url()) == 1
    fake_time.advance(2)
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 1)


def test_a_ttl_of_zero_turns_the_cache_off(memory_cache, settings, upstream) -> None:
    settings.MODELARTS_CACHE_TTL_ACTIVE = 0
    _serve(upstream, "Running")
    get_client().list_events(PROJECT, JOB, EventQuery())
    get_client().list_events(PROJECT, JOB, EventQuery())
    assert _calls(_events_url()) == 2


# -- errors ------------------------------------------------------------------


def test_errors_are_not_cached(memory_cache, upstream) -> None:
    upstream.add(
        responses.GET,
        _job_url(),
        status=400,
        json={"error_code": "ModelArts.2775", "error_msg": "Training job not found."},
    )
    for _ in range(2):
        with pytest.raises(JobNotFound):
            get_client().get_job(PROJECT, JOB)
    assert _calls(_job_url()) == 2


def test_a_recovered_upstream_is_seen_at_once(memory_cache, upstream) -> None:
    upstream.add(
        responses.GET,
        _events_url(),
        status=400,
        json={"error_code": "ModelArts.50004000", "error_msg": "Bad request."},
    )
    upstream.add(responses.GET, _events_url(), json=EVENTS_BODY)
    upstream.add(responses.GET, _job_url(), json=_job_body("Running"))
    with pytest.raises(ModelArtsError):
        get_client().list_events(PROJECT, JOB, EventQuery())
    assert get_client().list_events(PROJECT, JOB, EventQuery()).total == 1


# -- whose entries -----------------------------------------------------------


def test_different_projects_do_not_share_entries(memory_cache, upstream) -> None:
    _serve(upstream)
    other = {**EVENTS_BODY, "total": 7}
    upstream.add(responses.GET, _events_url(OTHER_PROJECT), json=other)
    upstream.add(responses.GET, _job_url(OTHER_PROJECT), json=_job_body("Running"))
    assert get_client().list_events(PROJECT, JOB, EventQuery()).total == 1
    assert get_client().list_events(OTHER_PROJECT, JOB, EventQuery()).total == 7


def test_different_tokens_do_not_share_entries(memory_cache, settings, upstream) -> None:
    _serve(upstream)
    get_client().list_events(PROJECT, JOB, EventQuery())
    settings.MODELARTS_AUTH_TOKEN = OTHER_TOKEN
    get_client().list_events(PROJECT, JOB, EventQuery())
    get_client().get_job(PROJECT, JOB)
    settings.MODELARTS_AUTH_TOKEN = TOKEN
    get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    sent = [
        (call.request.url.split("?")[0], call.request.headers["X-Auth-Token"])
        for call in upstream.calls
    ]
    assert sorted(sent) == sorted(
        [
            (_events_url(), TOKEN),
            (_events_url(), OTHER_TOKEN),
            (_job_url(), OTHER_TOKEN),
            (_job_url(), TOKEN),
        ]
    )


def test_different_endpoints_do_not_share_entries(memory_cache, settings, upstream) -> None:
    _serve(upstream)
    get_client().list_events(PROJECT, JOB, EventQuery())
    settings.MODELARTS_ENDPOINT = ""  # the sandbox: its own answers
    page = get_client().list_events(PROJECT, JOB, EventQuery())
    assert page.total != 1
    assert _calls(_events_url()) == 1


def test_no_entry_names_the_token(memory_cache, upstream) -> None:
    _serve(upstream)
    get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    keys = list(caches["default"]._cache)
    assert len(keys) == 2  # the job and the events
    assert not [k for k in keys if TOKEN in k or auth_identity(TOKEN) in k]


def test_the_identity_is_a_digest() -> None:
    assert auth_identity("") == "anonymous"
    assert TOKEN not in auth_identity(TOKEN)
    assert auth_identity(TOKEN) != auth_identity(OTHER_TOKEN)


# -- single flight -----------------------------------------------------------


def _slow(body: dict[str, Any], status: int = 200, delay: float = 0.3) -> Callable[..., Any]:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(delay)
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    return answer


def _together(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run call in count threads released at once; each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_identical_concurrent_requests_make_one_upstream_call(memory_cache, upstream) -> None:
    upstream.add_callback(responses.GET, _events_url(), callback=_slow(EVENTS_BODY))
    upstream.add_callback(responses.GET, _job_url(), callback=_slow(_job_body("Running")))
    client = get_client()
    results = _together(16, lambda: client.list_events(PROJECT, JOB, EventQuery()))
    assert all(r == results[0] for r in results)
    assert results[0].total == 1
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)


def test_identical_concurrent_job_requests_make_one_upstream_call(memory_cache, upstream) -> None:
    upstream.add_callback(responses.GET, _job_url(), callback=_slow(_job_body("Completed")))
    client = get_client()
    results = _together(16, lambda: client.get_job(PROJECT, JOB))
    assert all(isinstance(r, Job) and r == results[0] for r in results)
    assert results[0].phase == "Completed"
    assert _calls(_job_url()) == 1


def test_concurrent_waiters_share_the_leaders_error(memory_cache, upstream) -> None:
    upstream.add_callback(
        responses.GET,
        _job_url(),
        callback=_slow({"error_code": "ModelArts.2775", "error_msg": "No."}, status=400),
    )
    client = get_client()
    results = _together(12, lambda: client.get_job(PROJECT, JOB))
    assert all(isinstance(r, JobNotFound) for r in results)
    assert _calls(_job_url()) == 1


# -- a failing cache ---------------------------------------------------------


@pytest.fixture
def fresh_outage_log(monkeypatch) -> None:
    """No cache outage logged yet in this process: the next failure is warned of."""
    monkeypatch.setattr(tolerant_cache, "_outage", tolerant_cache._Outage())


def test_a_cache_that_fails_is_skipped(
    settings, configured, upstream, caplog, fresh_outage_log
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{tempfile.gettempdir()}/no-redis-{uuid.uuid4().hex}.sock",
        }
    }
    _serve(upstream)
    assert get_client().list_events(PROJECT, JOB, EventQuery()).total == 1
    assert get_client().list_events(PROJECT, JOB, EventQuery()).total == 1
    assert (_calls(_events_url()), _calls(_job_url())) == (2, 0)
    assert "cache get failed" in caplog.text
    assert TOKEN not in caplog.text


# -- Redis: the cache shared by processes ------------------------------------


@pytest.fixture
def redis_cache(settings, configured, redis_socket: str) -> Iterator[redis.Redis]:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{redis_socket}",
        }
    }
    connection = redis.Redis(unix_socket_path=redis_socket)
    connection.flushall()
    yield connection
    connection.close()


def _process(**options: Any) -> CachedModelArtsClient:
    """Another worker process's client: its own in-process flights, the same Redis."""
    return CachedModelArtsClient(
        ClientConfig(endpoint=ENDPOINT), identity=auth_identity(TOKEN), **options
    )


def test_redis_a_second_identical_request_makes_no_upstream_call(redis_cache, upstream) -> None:
    _serve(upstream)
    first = get_client().list_events(PROJECT, JOB, EventQuery(pattern="OOM"))
    # Another process reads what this one stored.
    second = _process().list_events(PROJECT, JOB, EventQuery(pattern="OOM"))
    assert second == first
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)


@pytest.mark.parametrize(("phase", "ttl"), [("Running", 5), ("Completed", 3600)])
def test_redis_entries_expire_by_the_jobs_phase(redis_cache, upstream, phase, ttl) -> None:
    _serve(upstream, phase)
    get_client().get_job(PROJECT, JOB)  # the heading's job record, read for the events' TTL
    get_client().list_events(PROJECT, JOB, EventQuery())
    keys = [k.decode() for k in redis_cache.scan_iter("*modelarts*")]
    assert len(keys) == 2  # events and job; no lock left behind
    assert all(ttl - 2 <= redis_cache.ttl(k) <= ttl for k in keys)
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)


def test_redis_events_without_a_cached_job_record_keep_the_short_ttl(redis_cache, upstream) -> None:
    _serve(upstream, "Completed")
    get_client().list_events(PROJECT, JOB, EventQuery())
    keys = [k.decode() for k in redis_cache.scan_iter("*modelarts*")]
    assert len(keys) == 1  # the events only
    assert 3 <= redis_cache.ttl(keys[0]) <= 5
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)


def test_redis_a_job_record_cached_by_one_process_sets_the_ttl_in_another(
    redis_cache, upstream
) -> None:
    _serve(upstream, "Completed")
    get_client().get_job(PROJECT, JOB)
    _process().list_events(PROJECT, JOB, EventQuery())
    keys = [k.decode() for k in redis_cache.scan_iter("*modelarts*:events:*")]
    assert len(keys) == 1
    assert 3598 <= redis_cache.ttl(keys[0]) <= 3600
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 1)


def test_redis_no_key_names_the_token(redis_cache, upstream) -> None:
    _serve(upstream)
    get_client().get_job(PROJECT, JOB)
    get_client().list_events(PROJECT, JOB, EventQuery())
    keys = [k.decode() for k in redis_cache.scan_iter("*")]
    assert keys
    assert not [k for k in keys if TOKEN in k or auth_identity(TOKEN) in k]


def test_redis_different_tokens_do_not_share_entries(redis_cache, upstream) -> None:
    _serve(upstream)
    _process().get_job(PROJECT, JOB)
    CachedModelArtsClient(
        ClientConfig(endpoint=ENDPOINT), identity=auth_identity(OTHER_TOKEN)
    ).get_job(PROJECT, JOB)
    assert _calls(_job_url()) == 2


def test_redis_concurrent_requests_of_several_processes_make_one_upstream_call(
    redis_cache, upstream
) -> None:
    upstream.add_callback(responses.GET, _events_url(), callback=_slow(EVENTS_BODY, delay=0.5))
    upstream.add_callback(
        responses.GET, _job_url(), callback=_slow(_job_body("Running"), delay=0.2)
    )
    processes = [_process() for _ in range(4)]
    counter = iter(range(1000))
    lock = threading.Lock()

    def call() -> Any:
        with lock:
            client = processes[next(counter) % len(processes)]
        return client.list_events(PROJECT, JOB, EventQuery())

    results = _together(24, call)
    assert all(r == results[0] for r in results)
    assert (_calls(_events_url()), _calls(_job_url())) == (1, 0)


def test_redis_a_waiter_takes_the_value_another_process_stores(redis_cache, upstream) -> None:
    _serve(upstream)
    client = _process(lock_timeout=5)
    key = client._key("job", project=PROJECT, job=JOB)
    cache = caches["default"]
    assert cache.add(f"{key}:lock", "another process", 5)
    found: list[Any] = []
    waiter = threading.Thread(target=lambda: found.append(client.get_job(PROJECT, JOB)))
    waiter.start()
    time.sleep(0.2)
    cache.set(key, Job(id=JOB, name="from-elsewhere", phase="Running"), 5)
    cache.delete(f"{key}:lock")
    waiter.join(timeout=5)
    assert found[0].name == "from-elsewhere"
    assert _calls(_job_url()) == 0


def test_redis_a_waiter_calls_upstream_itself_when_the_other_process_fails(
    redis_cache, upstream
) -> None:
    _serve(upstream)
    client = _process(lock_timeout=5)
    key = client._key("job", project=PROJECT, job=JOB)
    cache = caches["default"]
    assert cache.add(f"{key}:lock", "another process", 5)
    threading.Timer(0.2, lambda: cache.delete(f"{key}:lock")).start()
    started = time.monotonic()
    assert client.get_job(PROJECT, JOB).phase == "Running"
    assert time.monotonic() - started < 2
    assert _calls(_job_url()) == 1


def test_redis_a_waiter_gives_up_after_the_lock_timeout(redis_cache, upstream) -> None:
    _serve(upstream)
    client = _process(lock_timeout=1)
    key = client._key("job", project=PROJECT, job=JOB)
    # A process that died holding the lock (it expires after 30 s).
    assert caches["default"].add(f"{key}:lock", "a dead process", 30)
    started = time.monotonic()
    client.get_job(PROJECT, JOB)
    assert 0.9 <= time.monotonic() - started < 3
    assert _calls(_job_url()) == 1
