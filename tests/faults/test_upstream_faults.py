"""The dashboard against a real HTTP upstream that misbehaves on purpose.

Each test points the client at eventsui.sandbox.server on 127.0.0.1, injects
one fault, loads the timeline through Django's test client and checks what
the reader sees, how long it took, how many requests reached the upstream,
what was logged, and that the page works again once the fault is gone.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import requests
from django.test import Client, override_settings

from eventsui.modelarts import EventQuery
from eventsui.modelarts.client import ClientConfig, ModelArtsClient
from eventsui.modelarts.errors import UpstreamTimeout
from eventsui.sandbox.data import COMPLETED_JOB_ID, DEFAULT_PROJECT_ID
from eventsui.sandbox.server import Faults, StubServer, running_stub_server

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
TOKEN = "fake-token-DO-NOT-LOG-6c1f0e9a"
EVENTS = "/events"
# A completed job: a failed one's page also asks for its banner's events,
# and these tests count the page's own two calls.
JOB_ID = COMPLETED_JOB_ID
PAGE = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{JOB_ID}/events/"
EVENTS_PATH = f"/v2/{DEFAULT_PROJECT_ID}/training-jobs/{JOB_ID}/events"
JOB_PATH = f"/v2/{DEFAULT_PROJECT_ID}/training-jobs/{JOB_ID}"
# The client's defaults (ClientConfig): 2 retries, back-off 0.2 s doubling
# with jitter up to x1.5, so all waits of one call stay under 0.9 s.
MAX_ATTEMPTS = 3
BACKOFF_TOTAL = 0.9
# Slack for the test client, rendering and a loaded CI machine.
SLACK = 0.5


UPSTREAM_SETTINGS = {
    "MODELARTS_PROJECT_ID": DEFAULT_PROJECT_ID,
    "MODELARTS_AUTH_TOKEN": TOKEN,
    "MODELARTS_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
    "MODELARTS_READ_TIMEOUT": READ_TIMEOUT,
}


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    """Pay the one-off costs (building the sandbox's data, about 0.6 s, and
    compiling templates) before any test starts a clock."""
    with (
        running_stub_server() as server,
        override_settings(MODELARTS_ENDPOINT=server.url, **UPSTREAM_SETTINGS),
    ):
        assert Client().get(PAGE).status_code == 200


@pytest.fixture
def upstream(settings) -> Iterator[StubServer]:
    with running_stub_server() as server:
        settings.MODELARTS_ENDPOINT = server.url
        for name, value in UPSTREAM_SETTINGS.items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # The "eventsui" logger does not propagate to the root, where caplog
    # listens, so caplog's handler is attached to it directly.
    logger = logging.getLogger("eventsui")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="eventsui")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@dataclass(frozen=True)
class Visit:
    status: int
    elapsed: float
    html: str
    alert_title: str
    alert_message: str


class _AlertParser(HTMLParser):
    """The heading and first paragraph of the page's role="alert" box."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # >0 while inside the alert
        self.capture: str | None = None
        self.title = ""
        self.message = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
            if tag == "h2" and not self.title:
                self.capture = "title"
            elif tag == "p" and not self.message:
                self.capture = "message"
        elif ("role", "alert") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1
            self.capture = None

    def handle_data(self, data: str) -> None:
        if self.capture == "title":
            self.title += data
        elif self.capture == "message":
            self.message += data


def visit(client: Client) -> Visit:
    started = time.monotonic()
    response = client.get(PAGE)
    elapsed = time.monotonic() - started
    html = response.content.decode()
    parser = _AlertParser()
    parser.feed(html)
    return Visit(response.status_code, elapsed, html, parser.title.strip(), parser.message.strip())


def outcome_lines(logs: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    """The client's one line per logical call, as key=value fields."""
    lines = []
    for record in logs.records:
        text = record.getMessage()
        if record.name == "eventsui.modelarts" and text.startswith(
            ("modelarts call ", "modelarts failure ")
        ):
            fields = dict(re.findall(r"(\w+)=(\S+)", text))
            fields["outcome"] = text.split()[1]
            lines.append(fields)
    return lines


def assert_logged(
    logs: pytest.LogCaptureFixture,
    server: StubServer,
    events: tuple[str, str, int],
    *,
    job_calls_succeed: bool = True,
) -> None:
    """One line per upstream call, and nothing secret in any line.

    `events` is the events call's line as (outcome, status, attempts). The job
    is also fetched (for the heading and the cache's TTL), as many times as
    the view and the cache choose; those lines are checked against what the
    server received rather than counted here. The attempts logged add up to
    the requests received, so a retry can neither go unlogged nor be invented.
    """
    lines = outcome_lines(logs)
    for line in lines:
        assert {"method", "path", "status", "duration_ms", "attempts"} <= line.keys()
        assert line["method"] == "GET"
        assert line["path"] in (EVENTS_PATH, JOB_PATH)
        assert float(line["duration_ms"]) >= 0
    event_lines = [x for x in lines if x["path"] == EVENTS_PATH]
    assert [(x["outcome"], x["status"], int(x["attempts"])) for x in event_lines] == [events]
    job_lines = [x for x in lines if x["path"] == JOB_PATH]
    if job_calls_succeed:
        assert all(
            (x["outcome"], x["status"], x["attempts"]) == ("call", "200", "1") for x in job_lines
        )
    assert sum(int(x["attempts"]) for x in lines) == server.requests
    assert all(r.has_token for r in server.faults.received)
    for record in logs.records:
        assert TOKEN not in record.getMessage()
    assert TOKEN not in logs.text


def assert_recovers(client: Client, server: StubServer, logs: pytest.LogCaptureFixture) -> None:
    """After recover(), the very next page load is whole again."""
    server.faults.recover()
    server.faults.reset_counts()
    logs.clear()
    again = visit(client)
    assert again.status == 200
    assert again.alert_title == ""
    assert "Showing events 1–50 of" in again.html
    assert_logged(logs, server, ("call", "200", 1))


@dataclass(frozen=True)
class Case:
    inject: Callable[[Faults], None]
    status: int
    title: str
    message: str
    upstream_status: str  # as logged; "-" when no answer came
    attempts: int
    max_elapsed: float


FAILURES = {
    "5xx burst outlasting the retries": Case(
        lambda f: f.burst(MAX_ATTEMPTS, statuses=(502, 503), path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts answered 502.",
        "502",
        MAX_ATTEMPTS,
        BACKOFF_TOTAL + SLACK,
    ),
    "500 is not retried": Case(
        lambda f: f.burst(1, statuses=(500,), path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts answered 500 (ModelArts.0010).",
        "500",
        1,
        SLACK,
    ),
    "invalid JSON with 200": Case(
        lambda f: f.invalid_json(path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts answered 200 with a body that is not JSON.",
        "200",
        1,
        SLACK,
    ),
    "events as a string": Case(
        lambda f: f.wrong_shape(path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts answered with data of an unexpected shape",
        "200",
        1,
        SLACK,
    ),
    "body larger than max_body_bytes": Case(
        lambda f: f.huge_body(path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts sent a response far larger than any page of results.",
        "200",
        1,
        1.0 + SLACK,
    ),
    "connection dropped mid-body every time": Case(
        lambda f: f.drop_mid_body(path=EVENTS),
        502,
        "ModelArts failed",
        "ModelArts dropped the connection mid-answer.",
        "200",
        MAX_ATTEMPTS,
        BACKOFF_TOTAL + SLACK,
    ),
    "429 without Retry-After every time": Case(
        lambda f: f.throttle(path=EVENTS),
        502,
        "ModelArts is throttling requests",
        "ModelArts is throttling requests (APIGW.0308); try again in a few seconds.",
        "429",
        MAX_ATTEMPTS,
        BACKOFF_TOTAL + SLACK,
    ),
    "429 with Retry-After above the cap": Case(
        lambda f: f.throttle(retry_after="30", path=EVENTS),
        502,
        "ModelArts is throttling requests",
        "ModelArts is throttling requests (APIGW.0308); try again in a few seconds.",
        "429",
        1,
        SLACK,
    ),
}


@pytest.mark.parametrize("case", FAILURES.values(), ids=FAILURES.keys())
def test_it_shows_a_bad_gateway_page_for_a_broken_upstream(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture, case: Case
) -> None:
    case.inject(upstream.faults)

    seen = visit(client)

    assert seen.status == case.status
    assert seen.alert_title == case.title
    assert seen.alert_message.startswith(case.message)
    assert f"eventsui answered <strong>{case.status}</strong>" in seen.html
    assert TOKEN not in seen.html
    assert seen.elapsed < case.max_elapsed
    assert upstream.faults.requests_to(EVENTS) == case.attempts
    assert_logged(logs, upstream, ("failure", case.upstream_status, case.attempts))
    assert_recovers(client, upstream, logs)


def test_the_throttled_page_shows_the_gateway_code_and_request_id(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture
) -> None:
    upstream.faults.throttle(retry_after="30", path=EVENTS)

    seen = visit(client)

    assert seen.status == 502
    assert "<code>APIGW.0308</code>" in seen.html
    assert "policy user over ratelimit" in seen.html
    assert re.search(r"<dt>Request id</dt><dd><code>[0-9a-f]{32}</code></dd>", seen.html)
    (line,) = [x for x in outcome_lines(logs) if x["path"] == EVENTS_PATH]
    assert line["error"] == "UpstreamThrottled"
    assert line["code"] == "APIGW.0308"


@pytest.mark.parametrize(
    ("inject", "events_attempts"),
    [
        pytest.param(lambda f: f.burst(2, statuses=(502, 503), path=EVENTS), 3, id="502 then 503"),
        pytest.param(lambda f: f.drop_mid_body(times=1, path=EVENTS), 2, id="one dropped body"),
        pytest.param(
            lambda f: f.throttle(times=1, path=EVENTS), 2, id="one 429 without Retry-After"
        ),
    ],
)
def test_it_absorbs_a_short_fault_with_retries(
    client: Client,
    upstream: StubServer,
    logs: pytest.LogCaptureFixture,
    inject: Callable[[Faults], None],
    events_attempts: int,
) -> None:
    inject(upstream.faults)

    seen = visit(client)

    assert seen.status == 200
    assert seen.alert_title == ""
    assert "Showing events 1–50 of" in seen.html
    assert seen.elapsed < BACKOFF_TOTAL + SLACK
    assert upstream.faults.requests_to(EVENTS) == events_attempts
    assert_logged(logs, upstream, ("call", "200", events_attempts))
    retries = [r for r in logs.records if r.getMessage().startswith("modelarts retry ")]
    assert len(retries) == events_attempts - 1


@pytest.mark.slow
def test_it_waits_a_short_retry_after_then_shows_the_events(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture
) -> None:
    upstream.faults.throttle(retry_after="1", times=1, path=EVENTS)

    seen = visit(client)

    assert seen.status == 200
    assert 1.0 <= seen.elapsed < 1.0 + SLACK
    assert upstream.faults.requests_to(EVENTS) == 2
    assert_logged(logs, upstream, ("call", "200", 2))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("inject", "message", "upstream_status"),
    [
        pytest.param(
            lambda f: f.hang(path=EVENTS),
            f"ModelArts did not answer within {READ_TIMEOUT:g} seconds.",
            "-",
            id="hang",
        ),
        pytest.param(
            lambda f: f.latency(READ_TIMEOUT * 1000 + 1500, path=EVENTS),
            f"ModelArts did not answer within {READ_TIMEOUT:g} seconds.",
            "-",
            id="answer slower than the read timeout",
        ),
        pytest.param(
            lambda f: f.stall_mid_body(path=EVENTS),
            f"ModelArts stopped sending within {READ_TIMEOUT:g} seconds.",
            "200",
            id="body stalls halfway",
        ),
    ],
)
def test_it_gives_up_after_one_read_timeout(
    client: Client,
    upstream: StubServer,
    logs: pytest.LogCaptureFixture,
    inject: Callable[[Faults], None],
    message: str,
    upstream_status: str,
) -> None:
    inject(upstream.faults)

    seen = visit(client)

    assert seen.status == 504
    assert seen.alert_title == "ModelArts did not answer in time"
    assert seen.alert_message == message
    # One read timeout, not one per attempt: a stuck query is not retried.
    assert READ_TIMEOUT <= seen.elapsed < READ_TIMEOUT + SLACK
    assert upstream.faults.requests_to(EVENTS) == 1
    assert_logged(logs, upstream, ("failure", upstream_status, 1))
    (line,) = [x for x in outcome_lines(logs) if x["path"] == EVENTS_PATH]
    assert line["error"] == "UpstreamTimeout"
    assert_recovers(client, upstream, logs)


def test_it_shows_the_events_when_the_upstream_is_slow_but_in_time(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture
) -> None:
    upstream.faults.latency(250)

    seen = visit(client)

    assert seen.status == 200
    # The events and the job heading are fetched side by side: the page
    # waits for one delay, not one per call.
    assert upstream.requests == 2
    assert 0.25 <= seen.elapsed < 0.25 + SLACK
    assert_logged(logs, upstream, ("call", "200", 1))
    durations = [float(line["duration_ms"]) for line in outcome_lines(logs)]
    assert all(d >= 250 for d in durations)


def test_the_server_shuts_down_while_a_request_hangs() -> None:
    with running_stub_server() as server:
        server.faults.hang()
        with pytest.raises(requests.ReadTimeout):
            requests.get(server.url + EVENTS_PATH, timeout=(0.5, 0.2))
        started = time.monotonic()
    assert time.monotonic() - started < 1.0


# -- the whole upstream at fault, as in a real outage --------------------------------
# One page makes several calls (the job for the cache's TTL and the heading,
# then the events), so a fault on every path shows what the reader waits for.


@pytest.mark.slow
def test_a_hanging_upstream_answers_within_one_read_timeout(
    client: Client, upstream: StubServer
) -> None:
    upstream.faults.hang()

    seen = visit(client)

    assert seen.status == 504
    assert seen.elapsed < READ_TIMEOUT + SLACK


@pytest.mark.slow
def test_a_hanging_job_endpoint_delays_the_events_by_one_read_timeout_at_most(
    client: Client, upstream: StubServer
) -> None:
    upstream.faults.hang(path=JOB_ID)

    seen = visit(client)

    assert seen.status == 200
    assert "Showing events 1–50 of" in seen.html
    assert seen.elapsed < READ_TIMEOUT + SLACK


def test_an_upstream_failing_everywhere_answers_502_and_recovers(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture
) -> None:
    upstream.faults.burst(1000, statuses=(503,))

    seen = visit(client)

    assert seen.status == 502
    assert seen.alert_title == "ModelArts failed"
    assert seen.alert_message == "ModelArts answered 503."
    assert upstream.faults.requests_to(EVENTS) == MAX_ATTEMPTS
    assert_logged(logs, upstream, ("failure", "503", MAX_ATTEMPTS), job_calls_succeed=False)
    assert_recovers(client, upstream, logs)


# -- a body that arrives too slowly: the whole-call deadline holds -----------------
# Each byte of a trickle arrives within the read timeout, which bounds one wait
# on the socket, not the body; only the call's deadline (connect + read +
# retry budget, see ModelArtsClient._call) stops it.

RETRY_WAIT_BUDGET = ClientConfig(endpoint="").retry_wait_budget
DEADLINE = CONNECT_TIMEOUT + READ_TIMEOUT + RETRY_WAIT_BUDGET


def wait_for_hang_up(faults: Faults, count: int = 1) -> int:
    """How many answers the client hung up on, once `count` have been or after 2 s."""
    until = time.monotonic() + 2.0
    while faults.closed_by_client < count and time.monotonic() < until:
        time.sleep(0.02)
    return faults.closed_by_client


@pytest.mark.slow
def test_a_trickling_body_answers_504_within_the_call_deadline(
    client: Client, upstream: StubServer, logs: pytest.LogCaptureFixture
) -> None:
    # A byte every quarter second: never a read timeout (1 s), never the end.
    upstream.faults.trickle(bytes_per_second=4, content_length=100_000, path=EVENTS)

    seen = visit(client)

    assert seen.status == 504
    assert seen.alert_title == "ModelArts did not answer in time"
    assert seen.alert_message == "ModelArts sent its answer too slowly."
    assert DEADLINE - SLACK <= seen.elapsed < DEADLINE + 1.0
    # Not retried, and the connection dropped rather than kept for the pool.
    assert upstream.faults.requests_to(EVENTS) == 1
    assert wait_for_hang_up(upstream.faults) == 1
    assert_logged(logs, upstream, ("failure", "200", 1))
    assert_recovers(client, upstream, logs)


def _client(
    server: StubServer, *, read_timeout: float, retry_wait_budget: float
) -> ModelArtsClient:
    """A client straight to the stub (no cache), whose calls end after 0.2 + read + budget s."""
    config = ClientConfig(
        endpoint=server.url,
        connect_timeout=0.2,
        read_timeout=read_timeout,
        retry_wait_budget=retry_wait_budget,
    )
    return ModelArtsClient(config)


def test_the_client_drops_a_trickle_at_the_deadline_and_reconnects() -> None:
    with running_stub_server() as server:
        server.faults.trickle(bytes_per_second=20, times=1, path=EVENTS)
        client = _client(server, read_timeout=0.5, retry_wait_budget=0.3)

        started = time.monotonic()
        with pytest.raises(UpstreamTimeout, match="sent its answer too slowly"):
            client.list_events(DEFAULT_PROJECT_ID, JOB_ID, EventQuery())
        elapsed = time.monotonic() - started

        assert 1.0 - 0.1 <= elapsed < 1.0 + SLACK
        assert wait_for_hang_up(server.faults) == 1
        # The next call gets a new connection and a whole answer.
        assert client.list_events(DEFAULT_PROJECT_ID, JOB_ID, EventQuery()).total > 0


@pytest.mark.slow
def test_a_body_stalled_after_late_headers_ends_at_the_deadline_not_a_read_timeout_later() -> None:
    with running_stub_server() as server:
        # The headers come 1.5 s in, within the 2 s read timeout; then half
        # the body and silence. The socket's read timeout alone would end it
        # at 3.5 s; the call's deadline is 2.2 s.
        server.faults.latency(1500, path=EVENTS)
        server.faults.stall_mid_body(path=EVENTS)
        client = _client(server, read_timeout=2.0, retry_wait_budget=0.0)

        started = time.monotonic()
        with pytest.raises(UpstreamTimeout, match="sent its answer too slowly"):
            client.list_events(DEFAULT_PROJECT_ID, JOB_ID, EventQuery())
        elapsed = time.monotonic() - started

        assert 2.2 - 0.1 <= elapsed < 2.2 + SLACK
        assert server.faults.requests_to(EVENTS) == 1
