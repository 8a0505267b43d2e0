"""The project's ModelArts call budget: the bucket, its shared Redis form, and what views answer."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from eventsui.modelarts import budget
from eventsui.modelarts.budget import Budget, BudgetExhausted, _LocalBuckets
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID

PROJECT = DEFAULT_PROJECT_ID
EVENTS = f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/events/"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def local_buckets(monkeypatch: pytest.MonkeyPatch) -> _LocalBuckets:
    """A fresh process bucket, so no earlier test's spending counts."""
    buckets = _LocalBuckets()
    monkeypatch.setattr(budget, "_local", buckets)
    return buckets


@pytest.fixture
def tight_budget(settings: Any, local_buckets: _LocalBuckets) -> Budget:
    settings.EVENTSUI_UPSTREAM_RATE = 2.0
    settings.EVENTSUI_UPSTREAM_BURST = 3
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    return budget.configured()


def _drain(project: str = PROJECT) -> None:
    """Spend the whole burst, so the next call is refused (patience 0)."""
    with pytest.raises(BudgetExhausted):
        for _ in range(1000):
            budget.spend(project)


# -- the bucket ------------------------------------------------------------------------


def test_a_burst_goes_at_once_and_then_one_call_per_interval() -> None:
    clock = FakeClock()
    buckets = _LocalBuckets(clock)
    plan = Budget(rate=10, burst=5)
    waits = [buckets.reserve("p", plan, patience=10)[0] for _ in range(8)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5:] == pytest.approx([0.1, 0.2, 0.3])


def test_a_call_that_would_wait_past_its_patience_is_refused_and_spends_nothing() -> None:
    clock = FakeClock()
    buckets = _LocalBuckets(clock)
    plan = Budget(rate=10, burst=2)
    assert buckets.reserve("p", plan, 0)[1] and buckets.reserve("p", plan, 0)[1]
    wait, reserved = buckets.reserve("p", plan, 0)
    assert (reserved, wait) == (False, pytest.approx(0.1))
    # Nothing was reserved by the refusal: after one interval one call fits.
    clock.now += 0.1
    assert buckets.reserve("p", plan, 0) == (0, True)


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = FakeClock()
    buckets = _LocalBuckets(clock)
    plan = Budget(rate=10, burst=3)
    for _ in range(3):
        buckets.reserve("p", plan, 0)
    clock.now += 60
    granted = [buckets.reserve("p", plan, 0)[1] for _ in range(5)]
    assert granted == [True, True, True, False, False]


def test_projects_have_budgets_of_their_own() -> None:
    buckets = _LocalBuckets(FakeClock())
    plan = Budget(rate=1, burst=1)
    assert buckets.reserve("a", plan, 0)[1]
    assert not buckets.reserve("a", plan, 0)[1]
    assert buckets.reserve("b", plan, 0)[1]


def test_spend_waits_for_a_slot_within_its_patience(settings, local_buckets) -> None:
    settings.EVENTSUI_UPSTREAM_RATE = 10.0
    settings.EVENTSUI_UPSTREAM_BURST = 1
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 1.0
    slept: list[float] = []
    budget.spend(PROJECT, sleep=slept.append)
    budget.spend(PROJECT, sleep=slept.append)
    assert slept == [pytest.approx(0.1, abs=0.02)]


def test_refusal_says_when_to_retry_and_names_the_budget(tight_budget) -> None:
    with pytest.raises(BudgetExhausted) as refused:
        for _ in range(10):
            budget.spend(PROJECT)
    assert refused.value.status == 429
    assert refused.value.retry_after is not None and refused.value.retry_after >= 1
    assert "2 ModelArts calls a second" in refused.value.message
    assert f"Try again in {refused.value.retry_after} second" in refused.value.message


def test_patience_lets_an_export_wait_longer_than_a_page(tight_budget) -> None:
    _drain()
    slept: list[float] = []
    with budget.patience(5):
        budget.spend(PROJECT, sleep=slept.append)
    assert slept and 0 < slept[0] <= 5


def test_a_rate_of_zero_turns_the_budget_off(settings, local_buckets) -> None:
    settings.EVENTSUI_UPSTREAM_RATE = 0
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0
    for _ in range(1000):
        budget.spend(PROJECT)


# -- shared through Redis ----------------------------------------------------------------


@pytest.fixture
def redis_budget(settings: Any, redis_socket: str, local_buckets: _LocalBuckets) -> Iterator[None]:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{redis_socket}",
        }
    }
    from django.core.cache import caches

    caches["default"].clear()
    yield
    caches["default"].clear()


def test_redis_is_the_one_bucket_for_every_process(settings, redis_budget, local_buckets) -> None:
    settings.EVENTSUI_UPSTREAM_RATE = 1.0
    settings.EVENTSUI_UPSTREAM_BURST = 4
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    for _ in range(4):
        budget.spend(PROJECT)
    with pytest.raises(BudgetExhausted):
        budget.spend(PROJECT)
    # The process's own bucket was never used: another process sees the same state.
    assert local_buckets._tat == {}


def test_redis_never_lets_more_than_rate_plus_burst_through_in_any_second(
    settings, redis_budget
) -> None:
    rate, burst = 20.0, 10
    settings.EVENTSUI_UPSTREAM_RATE = rate
    settings.EVENTSUI_UPSTREAM_BURST = burst
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    granted: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + 2.5

    def hammer() -> None:
        while time.monotonic() < stop:
            try:
                budget.spend(PROJECT)
            except BudgetExhausted:
                time.sleep(0.005)
                continue
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    granted.sort()
    busiest = max(sum(1 for t in granted[i:] if t - start < 1.0) for i, start in enumerate(granted))
    assert busiest <= rate + burst
    # And it is a budget, not a wall: about burst + rate x 2.5 s went through.
    assert len(granted) >= burst + rate * 2


def test_a_redis_outage_falls_back_to_the_process_budget(settings, local_buckets, caplog) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    settings.EVENTSUI_UPSTREAM_RATE = 1.0
    settings.EVENTSUI_UPSTREAM_BURST = 2
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    budget.spend(PROJECT)
    budget.spend(PROJECT)
    with pytest.raises(BudgetExhausted):
        budget.spend(PROJECT)
    assert list(local_buckets._tat) == [f"{budget.KEY_PREFIX}{PROJECT}"]


# -- what a reader sees --------------------------------------------------------------------


def test_a_page_past_the_budget_answers_429_with_retry_after(client: Client, tight_budget) -> None:
    _drain()
    response = client.get(EVENTS)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    body = response.content.decode()
    assert "budget is used up" in body
    assert "Try again in" in body


def test_an_htmx_request_past_the_budget_gets_the_message_as_its_fragment(
    client: Client, tight_budget
) -> None:
    _drain()
    response = client.get(EVENTS, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert "Retry-After" in response
    body = response.content.decode()
    assert "budget is used up" in body
    assert "<html" not in body


def test_a_refused_call_never_reaches_modelarts(tight_budget, monkeypatch) -> None:
    from eventsui.modelarts import get_client

    client = get_client()
    sent: list[Any] = []
    monkeypatch.setattr(client.session, "request", lambda *a, **k: sent.append(a))
    _drain()
    with pytest.raises(BudgetExhausted):
        client.get_job(PROJECT, FAILED_JOB_ID)
    assert sent == []


def test_each_retry_is_paid_for_too(settings, local_buckets, monkeypatch) -> None:
    """Two attempts of one call take two slots."""
    from eventsui.modelarts import get_client

    settings.EVENTSUI_UPSTREAM_RATE = 1.0
    settings.EVENTSUI_UPSTREAM_BURST = 5
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    spent: list[str] = []
    original = budget.spend
    monkeypatch.setattr(
        budget, "spend", lambda project, **kw: (spent.append(project), original(project, **kw))
    )
    client = get_client()
    answers = itertools.chain([_response(503)], itertools.repeat(None))
    real_request = client.session.request

    def flaky(*args: Any, **kwargs: Any) -> Any:
        answer = next(answers)
        return answer if answer is not None else real_request(*args, **kwargs)

    monkeypatch.setattr(client.session, "request", flaky)
    monkeypatch.setattr(client, "_sleep", lambda seconds: None)
    client.get_job(PROJECT, FAILED_JOB_ID)
    assert spent == [PROJECT, PROJECT]


def _response(status: int) -> Any:
    import requests

    response = requests.Response()
    response.status_code = status
    response.raw = __import__("io").BytesIO(b"{}")
    return response


def test_a_histogram_past_the_budget_answers_429_with_the_message_as_its_fragment(
    client: Client, tight_budget
) -> None:
    _drain()
    response = client.get(f"{EVENTS}histogram/", headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "budget is used up" in response.content.decode()
