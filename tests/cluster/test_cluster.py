"""Two production instances behind nginx, sharing PostgreSQL and Redis, against the stub upstream.

Issue 9, section 4: what a team running several instances relies on, shown
with real servers (tests/cluster/stack.py). The budget's own test comes last:
it restarts both instances with a budget that binds.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from eventsui.sandbox.data import COMPLETED_JOB_ID, LIVE_JOB_ID, LONG_JOB_ID

from .conftest import sign_in
from .stack import PROJECT, ROOT, Stack

pytestmark = pytest.mark.cluster

# Generous on purpose: a busy 2-core machine must not flake it. The real
# figure (aimed under 100 ms) is measured by `make bench`.
RESPONSIVE_SECONDS = 2.0
# Long enough for 4 exports of the long job on a busy machine.
LOAD_SECONDS = 60.0
LONG_JOB_EVENTS = 30_000


def _events_url(base: str, job_id: str, suffix: str = "") -> str:
    return f"{base}/projects/{PROJECT}/jobs/{job_id}/events/{suffix}"


def _get(url: str, cookies: dict[str, str], timeout: float = 30) -> requests.Response:
    return requests.get(url, cookies=cookies, allow_redirects=False, timeout=timeout)


def _timed_while(
    going: Callable[[], bool], urls: list[str], cookies: dict[str, str]
) -> list[tuple[str, int, float]]:
    """(url, status, seconds) of each url in turn, while `going` (at least 5 rounds)."""
    timings: list[tuple[str, int, float]] = []
    deadline = time.monotonic() + LOAD_SECONDS
    while (going() or len(timings) < 5 * len(urls)) and time.monotonic() < deadline:
        for url in urls:
            started = time.monotonic()
            status = _get(url, cookies).status_code
            timings.append((url, status, round(time.monotonic() - started, 3)))
        time.sleep(0.1)
    return timings


def test_a_session_signed_in_on_one_instance_works_on_the_other(loose_stack: Stack) -> None:
    session = sign_in(loose_stack.a.url)

    answer = _get(_events_url(loose_stack.b.url, COMPLETED_JOB_ID), session.cookies.get_dict())

    assert answer.status_code == 200, answer.headers.get("Location")
    assert "bert-base-finetune" in answer.text


def test_concurrent_first_views_on_both_instances_make_one_events_call(
    loose_stack: Stack, cookies: dict[str, str]
) -> None:
    loose_stack.flush_cache()
    # Slow enough that all twenty views are waiting on the first one's call.
    loose_stack.stub.faults.latency(200, path="/events")
    # A completed job: a failed one's page also reads its banner's events.
    urls = [_events_url(i.url, COMPLETED_JOB_ID) for i in (loose_stack.a, loose_stack.b)] * 10
    start = threading.Barrier(len(urls))

    def view(url: str) -> int:
        start.wait()
        return _get(url, cookies).status_code

    with ThreadPoolExecutor(len(urls)) as pool:
        statuses = list(pool.map(view, urls))

    assert statuses == [200] * len(urls)
    assert loose_stack.stub.faults.requests_to("/events") == 1


def test_healthz_and_a_cached_page_keep_answering_during_exports_and_live_tails(
    loose_stack: Stack, users: list[dict[str, str]]
) -> None:
    cached_page = _events_url(loose_stack.url, COMPLETED_JOB_ID)
    assert _get(cached_page, users[0]).status_code == 200
    live_page = _get(_events_url(loose_stack.url, LIVE_JOB_ID, "?live=1"), users[0])
    poll_path = html.unescape(
        re.findall(r'"(/projects/[^"]*/events/live/\?after=[^"]*)"', live_page.text)[0]
    )
    loose_stack.stub.faults.latency(30, path="/events")
    export_url = _events_url(loose_stack.url, LONG_JOB_ID, "export/?format=ndjson")
    exporting = threading.Event()
    exporting.set()

    def export(cookies: dict[str, str]) -> tuple[int, int]:
        with requests.get(export_url, cookies=cookies, stream=True, timeout=120) as answer:
            rows = sum(chunk.count(b"\n") for chunk in answer.iter_content(64 * 1024))
            return answer.status_code, rows

    def tail(cookies: dict[str, str]) -> list[int]:
        statuses = []
        while exporting.is_set():
            statuses.append(_get(f"{loose_stack.url}{poll_path}", cookies).status_code)
            time.sleep(0.5)
        return statuses

    # Two users, two exports each: the most one user may run at once.
    with ThreadPoolExecutor(24) as pool:
        exports = [pool.submit(export, users[n % 2]) for n in range(4)]
        tails = [pool.submit(tail, users[n % 2]) for n in range(20)]
        try:
            timings = _timed_while(
                lambda: not all(e.done() for e in exports),
                [f"{loose_stack.url}/healthz", cached_page],
                users[0],
            )
        finally:
            exporting.clear()

    assert [e.result() for e in exports] == [(200, LONG_JOB_EVENTS)] * 4
    assert {s for t in tails for s in t.result()} <= {200, 204, 286}
    assert all(t.result() for t in tails), "every live tail polled at least once"
    assert len(timings) >= 10
    slow = [
        (u, status, took)
        for u, status, took in timings
        if status != 200 or took > RESPONSIVE_SECONDS
    ]
    assert not slow, slow


def test_stopping_an_instance_mid_traffic_loses_no_request(
    loose_stack: Stack, cookies: dict[str, str]
) -> None:
    page = _events_url(loose_stack.url, COMPLETED_JOB_ID)
    assert _get(page, cookies).status_code == 200
    done = 0
    lock = threading.Lock()
    stopping = threading.Thread(target=loose_stack.stop_instance, args=(loose_stack.b,))

    def fetch(_: int) -> int:
        nonlocal done
        status = _get(page, cookies).status_code
        with lock:
            done += 1
            if done == 50:
                stopping.start()  # SIGTERM: gunicorn's graceful stop
        return status

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(fetch, range(200)))
    stopping.join()

    assert not loose_stack.b.running
    assert statuses == [200] * 200


def _budget_landed() -> bool:
    return "EVENTSUI_UPSTREAM_RATE" in (ROOT / "eventsui" / "settings.py").read_text()


def _most_in_one_second(times: list[float]) -> int:
    """The most arrivals in any window of one second."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.skipif(
    not _budget_landed(), reason="the call budget (EVENTSUI_UPSTREAM_RATE) is not in settings yet"
)
def test_the_call_budget_holds_across_both_instances(stack: Stack, cookies: dict[str, str]) -> None:
    rate, burst = 5, 10
    stack.instances(EVENTSUI_UPSTREAM_RATE=str(rate), EVENTSUI_UPSTREAM_BURST=str(burst))
    stack.flush_cache()
    stack.stub.faults.recover()
    stack.stub.faults.reset_counts()
    until = time.monotonic() + 3
    answers: list[tuple[int, str | None]] = []

    def fire(worker: int) -> None:
        n = 0
        while time.monotonic() < until:
            base = (stack.a, stack.b)[(worker + n) % 2].url
            url = _events_url(base, LONG_JOB_ID, f"histogram/?pattern=w{worker}n{n}")
            answer = _get(url, cookies)
            answers.append((answer.status_code, answer.headers.get("Retry-After")))
            n += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fire, range(8)))

    arrivals = [r.at for r in stack.stub.faults.received]
    statuses = Counter(status for status, _ in answers)
    assert arrivals, "no upstream call at all"
    assert _most_in_one_second(arrivals) <= rate + burst, statuses
    assert {status for status, _ in answers} <= {200, 429}
    assert any(status == 429 and retry_after for status, retry_after in answers)


def test_most_in_one_second_counts_a_sliding_window() -> None:
    assert _most_in_one_second([0.0, 0.5, 0.99, 1.0, 1.2, 3.0]) == 4
    assert _most_in_one_second([]) == 0
