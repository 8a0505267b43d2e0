"""A task's log preview at the HTTP boundary: what ModelArts answers, and what it becomes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from django.core.cache.backends import locmem

from eventsui.modelarts import budget, errors, get_client
from eventsui.modelarts.auth import TokenAuth
from eventsui.modelarts.budget import BudgetExhausted, _LocalBuckets
from eventsui.modelarts.client import LOG_BODY_BYTES, ClientConfig, ModelArtsClient
from eventsui.modelarts.ids import is_task_id
from eventsui.modelarts.parsing import WrongShape, parse_task_log
from eventsui.modelarts.types import MAX_LOG_PREVIEW_BYTES, TaskLog

ENDPOINT = "https://modelarts.logs-test.invalid"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
TASK = "worker-3"
TOKEN = "MIIT-logs-test-token-" + "z" * 40
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
LOG_URL = f"{JOB_URL}/tasks/{TASK}/logs/preview"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 88, in <module>\n'
    "RuntimeError: CUDA out of memory.\n"
    "[Modelarts Service Log]Training end with return code: 137\n"
)


def _client() -> ModelArtsClient:
    return ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT), auth=TokenAuth(TOKEN), sleep=lambda seconds: None
    )


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def configured(settings: Any) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT
    settings.MODELARTS_PROJECT_ID = PROJECT
    settings.MODELARTS_AUTH_TOKEN = TOKEN
    settings.MODELARTS_CACHE_TTL_ACTIVE = 5
    settings.MODELARTS_CACHE_TTL_FINISHED = 3600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"logs-{uuid.uuid4().hex}",
        }
    }


class _Clock:
    def __init__(self) -> None:
        self.now = __import__("time").time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def cache_clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(locmem, "time", clock)
    return clock


def _job_body(phase: str, *, ended_ago: timedelta) -> dict[str, Any]:
    ended = datetime.now(UTC) - ended_ago
    start = int(ended.timestamp() * 1000) - 60_000
    return {
        "metadata": {"id": JOB, "name": "resnet", "create_time": start - 1000},
        "status": {"phase": phase, "duration": 60_000, "start_time": start, "tasks": [TASK]},
    }


# -- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"content": TRACEBACK, "current_size": 180, "full_size": 180},
            TaskLog(state="ready", text=TRACEBACK, current_size=180, full_size=180),
        ),
        # Servers before 2022-03 named the text `context`.
        (
            {"context": TRACEBACK, "current_size": "180", "full_size": "9000"},
            TaskLog(state="ready", text=TRACEBACK, current_size=180, full_size=9000),
        ),
        # Sizes missing: the text's own size in bytes (UTF-8), not its length.
        (
            {"content": "数据\n"},
            TaskLog(state="ready", text="数据\n", current_size=7, full_size=7),
        ),
        # A full size below the current one cannot be: the preview is not cut.
        (
            {"content": "ab", "current_size": 2, "full_size": 1},
            TaskLog(state="ready", text="ab", current_size=2, full_size=2),
        ),
        (
            {"content": "a\r\nb\r\n"},
            TaskLog(state="ready", text="a\nb\n", current_size=6, full_size=6),
        ),
        ({}, TaskLog(state="ready")),
        (None, TaskLog(state="not_ready")),
    ],
)
def test_it_parses_each_shape_of_a_log_preview(body: Any, expected: TaskLog) -> None:
    assert parse_task_log(body) == expected


@pytest.mark.parametrize("body", [[], "text", {"content": 12}])
def test_a_body_of_another_shape_is_refused(body: Any) -> None:
    with pytest.raises(WrongShape):
        parse_task_log(body)


def test_a_cut_preview_says_so_and_its_tail_is_its_last_lines() -> None:
    log = TaskLog(state="ready", text="a\nb\nc\nd\n", current_size=8, full_size=80)

    assert log.cut
    assert log.tail(2) == "c\nd"
    assert log.tail(100) == "a\nb\nc\nd"
    assert log.tail(0) == ""
    assert not TaskLog(state="ready", text="x", current_size=1, full_size=1).cut


@pytest.mark.parametrize(
    ("task", "valid"),
    [
        ("worker-0", True),
        ("launcher", True),
        ("ps.1_a", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("..", False),
        (".hidden", False),
        ("worker/0", False),
        ("worker-0?x=1", False),
        ("worker 0", False),
        ("worker-0\n", False),
    ],
)
def test_task_ids_are_checked_at_the_boundary(task: str, valid: bool) -> None:
    assert is_task_id(task) is valid


# -- the call ---------------------------------------------------------------------------


def test_it_asks_for_the_preview_of_one_task_and_reads_its_text(
    upstream: responses.RequestsMock,
) -> None:
    upstream.get(LOG_URL, json={"content": TRACEBACK, "current_size": 180, "full_size": 180})

    log = _client().get_task_log(PROJECT, JOB, TASK)

    assert log == TaskLog(state="ready", text=TRACEBACK, current_size=180, full_size=180)
    assert upstream.calls[0].request.headers["X-Auth-Token"] == TOKEN


def test_204_is_a_log_not_ready_yet(upstream: responses.RequestsMock) -> None:
    upstream.get(LOG_URL, status=204, body=b"")

    assert _client().get_task_log(PROJECT, JOB, TASK) == TaskLog(state="not_ready")


def test_2776_answered_with_a_body_is_not_ready_too(upstream: responses.RequestsMock) -> None:
    upstream.get(
        LOG_URL, status=400, json={"error_code": "ModelArts.2776", "error_msg": "not ready"}
    )

    assert _client().get_task_log(PROJECT, JOB, TASK).state == "not_ready"


def test_2818_is_a_log_not_generated(upstream: responses.RequestsMock) -> None:
    upstream.get(
        LOG_URL,
        status=400,
        json={"error_code": "ModelArts.2818", "error_msg": "Log file not generated."},
    )

    assert _client().get_task_log(PROJECT, JOB, TASK) == TaskLog(state="not_generated")


def test_a_region_without_the_api_is_unavailable_not_a_failure(
    upstream: responses.RequestsMock,
) -> None:
    upstream.get(
        LOG_URL,
        status=404,
        json={"error_code": "APIGW.0101", "error_msg": "The API does not exist"},
    )

    assert _client().get_task_log(PROJECT, JOB, TASK) == TaskLog(state="unavailable")


def test_other_failures_stay_errors(upstream: responses.RequestsMock) -> None:
    upstream.get(LOG_URL, status=400, json={"error_code": "ModelArts.2775", "error_msg": "no"})

    with pytest.raises(errors.JobNotFound):
        _client().get_task_log(PROJECT, JOB, TASK)


def test_a_bad_task_id_never_reaches_the_upstream(upstream: responses.RequestsMock) -> None:
    with pytest.raises(ValueError, match="task id"):
        _client().get_task_log(PROJECT, JOB, "../events")
    assert len(upstream.calls) == 0


def test_a_5_mb_log_fits_the_body_cap_though_a_page_of_events_would_not(
    upstream: responses.RequestsMock,
) -> None:
    # 5 MB of Chinese in UTF-8, each 3-byte character sent as a 6-byte \uXXXX.
    text = "数" * (MAX_LOG_PREVIEW_BYTES // 3)
    size = len(text.encode())
    body = json.dumps({"content": text, "current_size": size, "full_size": size})
    assert ClientConfig(endpoint=ENDPOINT).max_body_bytes < len(body) <= LOG_BODY_BYTES
    upstream.get(LOG_URL, body=body, content_type="application/json")

    assert _client().get_task_log(PROJECT, JOB, TASK).text == text


def test_a_body_past_the_log_cap_is_refused(upstream: responses.RequestsMock) -> None:
    upstream.get(LOG_URL, body=b'{"content": "' + b"x" * LOG_BODY_BYTES + b'"}')

    with pytest.raises(errors.UpstreamUnavailable, match="far larger"):
        _client().get_task_log(PROJECT, JOB, TASK)


# -- caching and the budget ---------------------------------------------------------------


def test_a_finished_jobs_log_is_cached_long(
    configured: None, upstream: responses.RequestsMock, cache_clock: _Clock
) -> None:
    upstream.get(JOB_URL, json=_job_body("Failed", ended_ago=timedelta(hours=1)))
    upstream.get(LOG_URL, json={"content": TRACEBACK})
    client = get_client()
    client.get_job(PROJECT, JOB)

    client.get_task_log(PROJECT, JOB, TASK)
    cache_clock.now += 3000
    log = client.get_task_log(PROJECT, JOB, TASK)

    assert log.text == TRACEBACK
    assert len([c for c in upstream.calls if c.request.url == LOG_URL]) == 1


def test_a_running_jobs_log_is_asked_again_after_the_short_ttl(
    configured: None, upstream: responses.RequestsMock, cache_clock: _Clock
) -> None:
    body = _job_body("Running", ended_ago=timedelta(hours=1))
    upstream.get(JOB_URL, json=body)
    upstream.get(LOG_URL, json={"content": "step 1\n"})
    upstream.get(LOG_URL, json={"content": "step 1\nstep 2\n"})
    client = get_client()
    client.get_job(PROJECT, JOB)

    assert client.get_task_log(PROJECT, JOB, TASK).text == "step 1\n"
    assert client.get_task_log(PROJECT, JOB, TASK).text == "step 1\n"
    cache_clock.now += 6
    assert client.get_task_log(PROJECT, JOB, TASK).text == "step 1\nstep 2\n"


def test_a_log_not_ready_is_asked_again_after_the_short_ttl_even_for_a_finished_job(
    configured: None, upstream: responses.RequestsMock, cache_clock: _Clock
) -> None:
    upstream.get(JOB_URL, json=_job_body("Failed", ended_ago=timedelta(hours=1)))
    upstream.get(LOG_URL, status=204)
    upstream.get(LOG_URL, json={"content": TRACEBACK})
    client = get_client()
    client.get_job(PROJECT, JOB)

    assert client.get_task_log(PROJECT, JOB, TASK).state == "not_ready"
    cache_clock.now += 6
    assert client.get_task_log(PROJECT, JOB, TASK).state == "ready"


def test_each_task_has_its_own_entry(configured: None, upstream: responses.RequestsMock) -> None:
    upstream.get(LOG_URL, json={"content": "three"})
    upstream.get(LOG_URL.replace(TASK, "worker-0"), json={"content": "zero"})
    client = get_client()

    assert client.get_task_log(PROJECT, JOB, TASK).text == "three"
    assert client.get_task_log(PROJECT, JOB, "worker-0").text == "zero"


def test_a_log_call_is_paid_from_the_budget(
    configured: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "_local", _LocalBuckets())
    settings.EVENTSUI_UPSTREAM_RATE = 1.0
    settings.EVENTSUI_UPSTREAM_BURST = 1
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    with pytest.raises(BudgetExhausted):
        for _ in range(10):
            budget.spend(PROJECT)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(LOG_URL, json={"content": TRACEBACK})
        with pytest.raises(BudgetExhausted) as refused:
            get_client().get_task_log(PROJECT, JOB, TASK)
        assert len(mock.calls) == 0
    assert refused.value.status == 429


# -- the sandbox's logs -----------------------------------------------------------------


def _sandbox_log(job_id: str, task: str) -> TaskLog:
    from eventsui.sandbox.data import DEFAULT_PROJECT_ID

    return get_client().uncached.get_task_log(DEFAULT_PROJECT_ID, job_id, task)


def test_the_failed_sandbox_jobs_oom_worker_log_ends_with_its_traceback_and_code_137() -> None:
    from eventsui.sandbox.data import FAILED_JOB_ID

    log = _sandbox_log(FAILED_JOB_ID, "worker-3")

    assert log.state == "ready"
    last = log.tail(3).split("\n")
    assert last[0].startswith("RuntimeError: CUDA out of memory.")
    assert last[-1] == "[Modelarts Service Log]Training end with return code: 137"
    assert "Traceback (most recent call last):" in log.tail(12)
    # The old servers' shape: `context` and sizes as strings, read all the same.
    assert log.current_size == log.full_size == len(log.text.encode())


def test_a_sandbox_worker_log_carries_the_hostile_text_its_events_do() -> None:
    from eventsui.sandbox.data import FAILED_JOB_ID

    log = _sandbox_log(FAILED_JOB_ID, "worker-1")

    assert "<script>alert('eventsui')</script>" in log.text
    assert "\x1b[31mWARNING\x1b[0m" in log.text


def test_the_long_sandbox_jobs_log_is_cut_by_the_preview() -> None:
    from eventsui.sandbox import logs
    from eventsui.sandbox.data import LONG_JOB_ID

    log = _sandbox_log(LONG_JOB_ID, "worker-0")

    assert log.cut
    assert log.current_size <= logs.PREVIEW_BYTES < log.full_size
    # Cut at a line start: the first line is a whole one.
    assert log.text.split("\n", 1)[0].startswith("2026-11-")


def test_a_running_sandbox_jobs_log_grows() -> None:
    from eventsui.sandbox import data, logs

    job = data.find_job(data.LIVE_JOB_ID)
    assert job is not None
    start = data.live_cycle_start(__import__("time").time()) + 600

    earlier = logs.preview(job, "worker-0", now=start)
    later = logs.preview(job, "worker-0", now=start + 60)

    assert earlier.text is not None and later.text is not None
    assert later.full_size > earlier.full_size
    assert later.text.startswith(earlier.text)


def test_a_pending_sandbox_job_answers_204_and_an_abnormal_one_2818() -> None:
    pending = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
    abnormal = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"

    assert _sandbox_log(pending, "worker-0").state == "not_ready"
    assert _sandbox_log(abnormal, "worker-0").state == "not_generated"


def test_the_stub_server_answers_204_with_no_body() -> None:
    import io

    from eventsui.sandbox.data import DEFAULT_PROJECT_ID
    from eventsui.sandbox.wsgi import make_app

    started: list[str] = []
    path = (
        f"/v2/{DEFAULT_PROJECT_ID}/training-jobs/7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
        "/tasks/worker-1/logs/preview"
    )
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}

    body = make_app()(environ, lambda status, headers: started.append(status))

    assert started == ["204 No Content"]
    assert b"".join(body) == b""
