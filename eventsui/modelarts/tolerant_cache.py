"""Django's cache as an optimisation: every access survives a failing backend.

Used by the answer cache (cache.py), the call budget (budget.py), the events
table's fragment cache, the export slots and /readyz. A backend that fails
(Redis down, a value that no longer unpickles) is skipped: reads miss, writes
are dropped, and what a lock or slot guards goes ahead as it would without a
shared cache.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger("eventsui.modelarts.cache")

# What a read returns for "no value" (None may be a value).
MISS = object()
_MISS = MISS

# The cache is an optimisation: when its backend fails (Redis down, a value
# that no longer unpickles) the call goes upstream and the failure is logged.
# Backends raise their own exception types, hence the broad catches. A down
# Redis fails every cache call of every page, so an outage is logged at most
# once per FAILURE_LOG_INTERVAL per process, not once per call; and a backend
# that timed out is not asked again for TIMEOUT_PAUSE, so a hanging Redis costs
# a page one socket timeout (bounded in settings.py), not one per cache call.
FAILURE_LOG_INTERVAL = 30.0
TIMEOUT_PAUSE = 1.0
# What /readyz reads to see whether the cache answers.
PROBE_KEY = "eventsui:cache-probe"


@dataclass
class _Outage:
    """This process's record of a failing cache backend."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    logged_at: float | None = None
    unlogged: int = 0
    paused_until: float = 0.0


_outage = _Outage()


def _paused() -> bool:
    return time.monotonic() < _outage.paused_until


def _get(cache: BaseCache, key: str) -> Any:
    if _paused():
        return _MISS
    try:
        return cache.get(key, _MISS)
    except Exception as exc:
        _log_cache_failure("get", exc)
        return _MISS


def _set(cache: BaseCache, key: str, value: Any, ttl: int) -> None:
    if _paused():
        return
    try:
        cache.set(key, value, ttl)
    except Exception as exc:
        _log_cache_failure("set", exc)


def _add(cache: BaseCache, key: str, value: str, ttl: int) -> bool:
    if _paused():
        return True
    try:
        return bool(cache.add(key, value, ttl))
    except Exception as exc:
        _log_cache_failure("add", exc)
        return True  # no lock to be had: lead, as without a shared cache


def _delete(cache: BaseCache, key: str) -> None:
    if _paused():
        return
    try:
        cache.delete(key)
    except Exception as exc:
        _log_cache_failure("delete", exc)


def _log_cache_failure(operation: str, exc: Exception) -> None:
    """Warn of a failing cache at most once per FAILURE_LOG_INTERVAL; pause it after a timeout."""
    now = time.monotonic()
    with _outage.lock:
        # redis-py's TimeoutError is not the builtin one; both end so.
        if type(exc).__name__.endswith("TimeoutError"):
            _outage.paused_until = now + TIMEOUT_PAUSE
        if _outage.logged_at is not None and now - _outage.logged_at < FAILURE_LOG_INTERVAL:
            _outage.unlogged += 1
            return
        _outage.logged_at = now
        unlogged, _outage.unlogged = _outage.unlogged, 0
    logger.warning(
        "cache %s failed, going without: %s: %s"
        " (%d more failures since the last warning; one warning per %.0fs at most)",
        operation,
        type(exc).__name__,
        exc,
        unlogged,
        FAILURE_LOG_INTERVAL,
    )


# -- for callers outside this module (the events table, /readyz) ---------------


def cache_get(key: str, default: Any = None) -> Any:
    """The default cache's value for key; default when it has none or fails."""
    value = _get(caches["default"], key)
    return default if value is _MISS else value


def cache_set(key: str, value: Any, ttl: int) -> None:
    """Store in the default cache; a failing cache is logged and skipped."""
    _set(caches["default"], key, value, ttl)


def cache_add(key: str, value: str, ttl: int) -> bool:
    """Store only if key is absent (atomic in Redis); True too when the cache fails.

    A failing cache answers as if the key were free: what it guards (a lock,
    a slot) then goes ahead, as it would without a shared cache.
    """
    return _add(caches["default"], key, value, ttl)


def cache_delete(key: str) -> None:
    _delete(caches["default"], key)


def cache_paused() -> bool:
    """Whether the cache timed out a moment ago and is skipped for now."""
    return _paused()


def log_cache_failure(operation: str, exc: Exception) -> None:
    """Report a failure of the shared cache met outside this module (the call budget)."""
    _log_cache_failure(operation, exc)


def cache_problem() -> str | None:
    """None if the default cache answers a get of PROBE_KEY, else the failure's type name.

    Asks even while the cache is paused: this is how a probe sees it come back.
    """
    try:
        caches["default"].get(PROBE_KEY)
    except Exception as exc:
        _log_cache_failure("get", exc)
        return type(exc).__name__
    return None


__all__ = [
    "MISS",
    "cache_add",
    "cache_delete",
    "cache_get",
    "cache_paused",
    "cache_problem",
    "cache_set",
    "log_cache_failure",
]
