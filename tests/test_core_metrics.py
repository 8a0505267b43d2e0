"""/metrics: off without a token, a bearer token to read it, and counts that add up.

The default registry is global to the test process, so counts are read before
and after the action under test. The last test starts the production server
(scripts/serve-production: gunicorn, 2 workers) and checks that /metrics adds
up what every worker counted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from eventsui import metrics
from eventsui.modelarts import get_client
from eventsui.modelarts.client import ClientConfig, ModelArtsClient, new_session
from eventsui.modelarts.iam import PasswordAuth, forget_tokens
from eventsui.modelarts.projects import Credentials
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LIVE_JOB_ID

TOKEN = "metrics-test-token-" + "m" * 24
ENDPOINT = "https://modelarts.metrics-test.invalid"
IAM = "https://iam.metrics-test.invalid"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
JOB_BODY = {"metadata": {"id": JOB, "name": "train-resnet"}, "status": {"phase": "Running"}}
ROOT = Path(__file__).resolve().parent.parent


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def change(name: str, action: Callable[[], Any], **labels: str) -> float:
    """How much a sample grew while action ran."""
    before = value(name, **labels)
    action()
    return value(name, **labels) - before


@pytest.fixture
def token(settings: Any) -> str:
    settings.EVENTSUI_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _client() -> ModelArtsClient:
    return ModelArtsClient(ClientConfig(endpoint=ENDPOINT), sleep=lambda seconds: None)


# -- the view ---------------------------------------------------------------------------


def test_it_is_not_found_without_a_token_configured(client: Client, settings: Any) -> None:
    settings.EVENTSUI_METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404
    assert b"No page has this address." in response.content


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer é"],
)
def test_it_refuses_a_missing_or_wrong_bearer_token(
    client: Client, token: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"eventsui_" not in response.content


def test_it_answers_the_right_bearer_token_with_every_metric(client: Client, token: str) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    families = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert {
        "eventsui_upstream_calls",
        "eventsui_upstream_call_seconds",
        "eventsui_cache_requests",
        "eventsui_budget_waits",
        "eventsui_budget_wait_seconds",
        "eventsui_budget_exhausted",
        "eventsui_exports_in_flight",
        "eventsui_export_rows",
        "eventsui_exports",
        "eventsui_live_polls",
    } <= families


def test_it_answers_scrapers_when_sign_in_is_required(
    client: Client, token: str, settings: Any
) -> None:
    settings.EVENTSUI_AUTH = "login"

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200


def test_it_refuses_other_methods(client: Client, token: str) -> None:
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405


# -- what is counted --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        (f"/v2/{PROJECT}/training-jobs/{JOB}/events", "list_events"),
        (f"/v2/{PROJECT}/training-jobs/{JOB}", "get_job"),
        (f"/v2/{PROJECT}/training-job-searches", "list_jobs"),
        (f"/v2/{PROJECT}/training-jobs", "other"),
        ("/v3/auth/tokens", "other"),
    ],
)
def test_the_operation_is_read_from_the_path(path: str, operation: str) -> None:
    assert metrics.operation_of(path) == operation


@pytest.mark.parametrize(
    ("status", "failed", "timed_out", "label"),
    [
        (200, False, False, "200"),
        (201, False, False, "201"),
        (429, True, False, "429"),
        (503, True, False, "503"),
        (None, True, True, "timeout"),
        (200, True, True, "timeout"),
        (None, True, False, "connection"),
        (200, True, False, "invalid"),
    ],
)
def test_the_status_label_is_the_status_or_how_the_call_failed(
    status: int | None, failed: bool, timed_out: bool, label: str
) -> None:
    assert metrics.status_label(status, failed=failed, timed_out=timed_out) == label


def test_a_call_to_the_sandbox_counts_its_operation_and_status() -> None:
    def call() -> None:
        get_client().get_job(DEFAULT_PROJECT_ID, FAILED_JOB_ID)

    before = value("eventsui_upstream_call_seconds_count", operation="get_job")
    counted = change("eventsui_upstream_calls_total", call, operation="get_job", status="200")

    assert counted == 1
    assert value("eventsui_upstream_call_seconds_count", operation="get_job") == before + 1


@pytest.mark.parametrize(
    ("answer", "label"),
    [
        ({"status": 503, "json": {"error_code": "ModelArts.0010"}}, "503"),
        ({"status": 429, "json": {"error_code": "APIGW.0308"}}, "429"),
        ({"status": 404, "json": {"error_code": "ModelArts.2775"}}, "404"),
        ({"body": requests.ConnectionError("refused")}, "connection"),
        ({"body": requests.ReadTimeout("slow")}, "timeout"),
        ({"status": 200, "body": "<html>"}, "invalid"),
    ],
)
def test_a_failed_call_counts_once_with_its_status_or_failure(
    upstream: responses.RequestsMock, answer: dict[str, Any], label: str
) -> None:
    upstream.get(JOB_URL, **answer)

    def call() -> None:
        with pytest.raises(Exception, match=r"."):
            _client().get_job(PROJECT, JOB)

    assert change("eventsui_upstream_calls_total", call, operation="get_job", status=label) == 1


def test_an_iam_token_call_is_counted_as_its_own_operation(
    upstream: responses.RequestsMock,
) -> None:
    forget_tokens()
    upstream.post(
        f"{IAM}/v3/auth/tokens",
        status=201,
        json={"token": {"expires_at": "2999-01-01T00:00:00.000000Z"}},
        headers={"X-Subject-Token": "iam-token-for-metrics"},
    )
    upstream.get(JOB_URL, json=JOB_BODY)
    credentials = Credentials(
        kind="password", iam_endpoint=IAM, username="u", domain="d", password="p" * 12
    )
    session = new_session()
    client = ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT),
        auth=PasswordAuth(credentials, PROJECT, session, timeout=(3.0, 10.0)),
        session=session,
    )

    try:
        counted = change(
            "eventsui_upstream_calls_total",
            lambda: client.get_job(PROJECT, JOB),
            operation="iam_token",
            status="201",
        )
    finally:
        forget_tokens()

    assert counted == 1


def test_a_cache_miss_then_a_hit_are_counted(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"metrics-{uuid.uuid4().hex}",
        }
    }
    misses = value("eventsui_cache_requests_total", call="job", result="miss")
    hits = value("eventsui_cache_requests_total", call="job", result="hit")

    get_client().get_job(DEFAULT_PROJECT_ID, FAILED_JOB_ID)
    get_client().get_job(DEFAULT_PROJECT_ID, FAILED_JOB_ID)

    assert value("eventsui_cache_requests_total", call="job", result="miss") == misses + 1
    assert value("eventsui_cache_requests_total", call="job", result="hit") == hits + 1


def test_an_export_counts_its_rows_and_outcome_and_leaves_nothing_in_flight(
    client: Client,
) -> None:
    rows = value("eventsui_export_rows_total", format="ndjson")
    done = value("eventsui_exports_total", format="ndjson", outcome="complete")
    in_flight = value("eventsui_exports_in_flight")

    response = client.get(
        f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/export/",
        {"format": "ndjson"},
    )
    chunks = iter(response.streaming_content)
    first = next(chunks) + next(chunks)
    assert value("eventsui_exports_in_flight") == in_flight + 1
    lines = (first + b"".join(chunks)).decode().splitlines()

    assert len(lines) > 100
    assert value("eventsui_export_rows_total", format="ndjson") == rows + len(lines)
    assert value("eventsui_exports_total", format="ndjson", outcome="complete") == done + 1
    assert value("eventsui_exports_in_flight") == in_flight


def test_a_live_poll_that_stops_is_counted(client: Client) -> None:
    def poll() -> None:
        url = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LIVE_JOB_ID}/events/live/"
        assert client.get(url, {"after": "not-a-cursor"}).status_code == 400

    assert change("eventsui_live_polls_total", poll, outcome="stopped") == 1


def test_the_budget_records_waits_and_refusals_by_project() -> None:
    waits = value("eventsui_budget_waits_total", project=PROJECT)
    waited = value("eventsui_budget_wait_seconds_sum")
    refused = value("eventsui_budget_exhausted_total", project=PROJECT)

    metrics.record_budget_wait(PROJECT, 0.25)
    metrics.record_budget_exhausted(PROJECT)

    assert value("eventsui_budget_waits_total", project=PROJECT) == waits + 1
    assert value("eventsui_budget_wait_seconds_sum") == pytest.approx(waited + 0.25)
    assert value("eventsui_budget_exhausted_total", project=PROJECT) == refused + 1


# -- every worker of an instance --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    # urllib closes every connection, so gunicorn's workers race to accept each one.
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _pids(folder: Path, kind: str) -> set[str]:
    # prometheus-client names each process's file <kind>_<pid>.db.
    return {path.stem.rsplit("_", 1)[1] for path in folder.glob(f"{kind}_*.db")}


@pytest.fixture
def production_server() -> Iterator[tuple[str, Path]]:
    """scripts/serve-production on a free port, with 2 workers, against the sandbox."""
    folder = Path(tempfile.mkdtemp(prefix="eventsui-metrics-test-"))
    multiproc = folder / "metrics"
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", str(folder)),
        "TMPDIR": str(folder),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x",
        "EVENTSUI_MIGRATE": "1",
        "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "EVENTSUI_METRICS_TOKEN": "t",
        "CACHE_URL": "locmemcache://",
        # The sandbox is the upstream; nothing from a developer's .env changes that.
        "MODELARTS_ENDPOINT": "",
        "EVENTSUI_PROJECTS": "",
        "EVENTSUI_AUTH": "",
        # A budget that never binds: every request below is one upstream call.
        "EVENTSUI_UPSTREAM_RATE": "1000000",
        "EVENTSUI_UPSTREAM_BURST": "1000000",
    }
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [str(ROOT / "scripts" / "serve-production")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError(
                    "the server did not start:\n" + (folder / "server.log").read_text()[-3000:]
                )
            time.sleep(0.1)
        yield base, multiproc
    finally:
        # SIGINT: gunicorn's quick shutdown, with no requests left to finish.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_metrics_add_up_every_worker_of_the_production_server(
    production_server: tuple[str, Path],
) -> None:
    base, folder = production_server
    # /readyz is one ModelArts call (a one-job search past the cache) each time.
    made = 0
    with ThreadPoolExecutor(4) as pool:
        while made < 40 or (len(_pids(folder, "counter")) < 2 and made < 400):
            statuses = list(pool.map(lambda _: _get(f"{base}/readyz")[0], range(8)))
            assert statuses == [200] * 8
            made += 8

    assert len(_pids(folder, "counter")) == 2
    assert _get(f"{base}/metrics")[0] == 401
    status, body = _get(f"{base}/metrics", {"Authorization": "Bearer t"})
    assert status == 200
    samples = [
        sample
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    ]
    calls = [s for s in samples if s.name == "eventsui_upstream_calls_total"]
    assert [(s.labels, s.value) for s in calls] == [
        ({"operation": "list_jobs", "status": "200"}, made)
    ]
    durations = [s for s in samples if s.name == "eventsui_upstream_call_seconds_count"]
    assert [(s.labels, s.value) for s in durations] == [({"operation": "list_jobs"}, made)]
    in_flight = [s for s in samples if s.name == "eventsui_exports_in_flight"]
    assert [s.value for s in in_flight] == [0]
