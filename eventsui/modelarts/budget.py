"""The project's ModelArts call budget: how fast eventsui may spend a project's API quota.

ModelArts' API gateway throttles each API at a per-project rate (200 calls a
second by default, answered with 429 APIGW.0308), and eventsui shares that
quota with the console and every other tool of the project. So every HTTP
call eventsui makes to ModelArts for a project, retries included, first takes
a token from that project's bucket: EVENTSUI_UPSTREAM_RATE tokens a second,
at most EVENTSUI_UPSTREAM_BURST saved up. In any one second eventsui then
sends at most rate + burst calls for a project, and over a longer time at
most the rate.

The choices made here:

- The bucket is a GCRA (the "generic cell rate algorithm", a token bucket
  kept as one number: the theoretical arrival time of the next call). One
  atomic step both checks and reserves, so a call that must wait a little
  reserves its slot at once and sleeps until it; callers are served in the
  order they asked, and nobody polls.
- Shared by every process and instance through Redis when the default cache
  is Redis (a Lua script run atomically by Redis, on Redis' own clock, so
  instances with skewed clocks agree). Any other cache (locmem, dummy) cannot
  be shared across processes, so the bucket is then kept in the process:
  each process spends up to the budget on its own. Production runs Redis.
- A Redis failure does not block calls: the process falls back to its own
  bucket, so the budget degrades to per process, and the outage is logged
  once with every other cache failure (tolerant_cache.py).
- Patience: a page waits at most EVENTSUI_UPSTREAM_MAX_WAIT (1 s) for its
  slot, then BudgetExhausted (a 429 with Retry-After) is raised without
  spending anything; the views render it as they render other upstream
  failures. An export asks for more patience (with patience(...)) and so
  paces itself inside the budget instead of failing.
- Per project id: the quota belongs to the project, whatever endpoint or
  credentials reach it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from eventsui import metrics

from . import errors
from .tolerant_cache import cache_paused, log_cache_failure

KEY_PREFIX = "eventsui:budget:"

# KEYS[1]: the bucket. ARGV: emission interval (s), tolerance (s), patience (s).
# Returns {waited-or-retry-after in microseconds, 1 if reserved else 0}.
# The time is Redis' own (TIME), the same for every instance.
_GCRA = """
local now_s, now_us = unpack(redis.call('TIME'))
local now = tonumber(now_s) + tonumber(now_us) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local patience = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > patience then
  return {math.ceil(wait * 1000000), 0}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {math.ceil(wait * 1000000), 1}
"""


class BudgetExhausted(errors.ModelArtsError):
    """The project's call budget has no slot within the caller's patience."""

    status = 429
    title = _("This project's ModelArts budget is used up")


@dataclass(frozen=True)
class Budget:
    rate: float  # calls a second
    burst: int  # calls that may go at once after a quiet time

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def tolerance(self) -> float:
        # burst calls fit in the bucket at once: the burst-th waits 0.
        return self.burst * self.interval


_patience: ContextVar[float | None] = ContextVar("eventsui_budget_patience", default=None)


@contextmanager
def patience(seconds: float) -> Iterator[None]:
    """Calls made inside wait up to `seconds` for their slot (an export's pacing)."""
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


def configured() -> Budget:
    return Budget(rate=settings.EVENTSUI_UPSTREAM_RATE, burst=settings.EVENTSUI_UPSTREAM_BURST)


def current_patience() -> float:
    chosen = _patience.get()
    return settings.EVENTSUI_UPSTREAM_MAX_WAIT if chosen is None else chosen


class _LocalBuckets:
    """The same GCRA in this process, for caches that cannot be shared."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def reserve(self, key: str, budget: Budget, patience: float) -> tuple[float, bool]:
        with self._lock:
            now = self._clock()
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + budget.interval
            # Rounded to the nanosecond: float sums must not make the last
            # call of a burst wait 1e-13 s.
            wait = max(0.0, round(new_tat - budget.tolerance - now, 9))
            if wait > patience:
                return wait, False
            self._tat[key] = new_tat
            return wait, True


_local = _LocalBuckets()


def _reserve_shared(key: str, budget: Budget, patience: float) -> tuple[float, bool] | None:
    """The shared bucket's answer, or None when there is no shared cache to ask."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache) or cache_paused():
        return None
    try:
        client = cache._cache.get_client(key, write=True)
        micros, reserved = client.eval(
            _GCRA, 1, key, repr(budget.interval), repr(budget.tolerance), repr(patience)
        )
    except Exception as exc:  # redis-py raises its own types; the budget must not fail pages
        # The cache's one outage log (at most a line per 30 s), shared with
        # every other use of Redis.
        log_cache_failure("budget", exc)
        return None
    return int(micros) / 1_000_000, bool(reserved)


def spend(project_id: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Take one call from the project's budget, waiting for a slot if one comes soon enough.

    Raises BudgetExhausted, having spent nothing, when the next slot is
    further away than the caller's patience.
    """
    budget = configured()
    if budget.rate <= 0:
        return  # no budget configured: unlimited
    wait_for = current_patience()
    key = f"{KEY_PREFIX}{project_id}"
    answer = _reserve_shared(key, budget, wait_for)
    wait, reserved = answer if answer is not None else _local.reserve(key, budget, wait_for)
    if not reserved:
        metrics.record_budget_exhausted(project_id)
        retry_after = max(1, math.ceil(wait - wait_for))
        message = ngettext(
            "eventsui spends at most %(rate)s ModelArts calls a second for this project "
            "(bursts of %(burst)s), shared by everyone who uses it, and that budget is used "
            "up for now. Try again in %(seconds)s second.",
            "eventsui spends at most %(rate)s ModelArts calls a second for this project "
            "(bursts of %(burst)s), shared by everyone who uses it, and that budget is used "
            "up for now. Try again in %(seconds)s seconds.",
            retry_after,
        ) % {"rate": f"{budget.rate:g}", "burst": budget.burst, "seconds": retry_after}
        raise BudgetExhausted(message, retry_after=retry_after)
    if wait > 0:
        metrics.record_budget_wait(project_id, wait)
        sleep(wait)


__all__ = ["Budget", "BudgetExhausted", "configured", "patience", "spend"]
