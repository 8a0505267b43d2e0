"""Upstream answers kept in Django's cache, and one upstream call per cold key.

CachedModelArtsClient is a ModelArtsClient whose four reads answer from the
cache when they can (a subclass, so code typed for the client takes it). What it decides, and why:

- Keys are a digest of the call, the endpoint, the events offset mode, the
  caller's identity (a digest of the credentials, never the credentials) and
  every argument, so other credentials or projects never share an entry.
- An answer lives as long as it can stay true: TTL_ACTIVE (seconds) while the
  job may still change, TTL_FINISHED once it is finished and a grace period
  has passed (Kubernetes events such as pod deletions arrive after the phase
  changes), or once the events query's own time window closed more than
  TTL_ACTIVE ago: a histogram's older buckets and a past range no longer
  change, so a revisit of a running job recounts only its open buckets. The
  phase is read from the cached job record only, never fetched for this
  purpose: an events call costs no extra upstream call and never
  waits on the job call, and the record is written whenever a page shows the
  job's heading. A task's log preview follows the same rule; a log not ready
  or not generated yet keeps the short TTL, a region without the log API
  the long one.
- Errors are not cached: the next request asks again. Requests waiting on the
  same call in this process share its error, though, so a failing upstream is
  not asked once per waiter.
- Single flight: per key, one thread of a process calls upstream and the
  others wait for its answer; across processes sharing the cache (Redis) a
  short lock taken with cache.add makes the others poll the cache for a
  bounded time, then call upstream themselves.
- A cache that fails (Redis down) is skipped, never fatal, and logged at
  most once per 30 s per process; one that times out is skipped for a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.utils import timezone
from requests.auth import AuthBase

from eventsui import metrics

from .client import ClientConfig, ModelArtsClient, epoch_ms
from .language import current_language
from .projects import Credentials
from .tolerant_cache import MISS as _MISS
from .tolerant_cache import _add, _delete, _get, _set
from .types import EventPage, EventQuery, Job, JobPage, TaskLog

logger = logging.getLogger("eventsui.modelarts.cache")

T = TypeVar("T")

# Part of every key. Values are pickled dataclasses: bump this when one of
# them changes shape, so no process reads another layout.
SCHEMA = 1
_POLL_FIRST = 0.02
_POLL_MAX = 0.25
# How long after a job ends its events are taken as final.
FINAL_AFTER = timedelta(minutes=2)


def auth_identity(token: str) -> str:
    """The cache identity of a static token (see Credentials.identity)."""
    return Credentials(kind="token", token=token).identity if token else "anonymous"


@dataclass
class _Flight:
    """One upstream call in progress in this process, and its outcome."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class CachedModelArtsClient(ModelArtsClient):
    """A ModelArtsClient whose reads go through Django's cache (see the module docstring)."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        identity: str,
        auth: AuthBase | None = None,
        session: requests.Session | None = None,
        cache: BaseCache | None = None,
        lock_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config, auth=auth, session=session, sleep=sleep, clock=clock)
        self.identity = identity
        # None: caches["default"], looked up per call so settings can change it.
        self._cache = cache
        # About one upstream call's own deadline (retries included): how long
        # another process may hold a key's lock and be waited for.
        self.lock_timeout = lock_timeout or (
            config.connect_timeout + config.read_timeout + config.retry_wait_budget
        )
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()

    @property
    def cache(self) -> BaseCache:
        return self._cache if self._cache is not None else caches["default"]

    @property
    def uncached(self) -> ModelArtsClient:
        """The same endpoint, credentials and connections, straight to ModelArts.

        For reads nobody will repeat (an export's pages) or that must see
        ModelArts itself (/readyz); they still pay the call budget.
        """
        return ModelArtsClient(
            self.config, auth=self.auth, session=self.session, sleep=self._sleep, clock=self._clock
        )

    # -- the client's calls ------------------------------------------------

    def list_events(self, project_id: str, job_id: str, query: EventQuery) -> EventPage:
        key = self._key("events", project=project_id, job=job_id, query=_query_parts(query))

        def fetch() -> tuple[EventPage, int]:
            ttl = self._events_ttl(project_id, job_id, query)
            return super(CachedModelArtsClient, self).list_events(project_id, job_id, query), ttl

        return self._cached("events", key, fetch)

    def get_job(self, project_id: str, job_id: str) -> Job:
        key = self._key("job", project=project_id, job=job_id)

        def fetch() -> tuple[Job, int]:
            job = super(CachedModelArtsClient, self).get_job(project_id, job_id)
            return job, _finished_ttl() if job.finished else _active_ttl()

        return self._cached("job", key, fetch)

    def list_jobs(
        self,
        project_id: str,
        *,
        page: int = 0,
        limit: int = 50,
        name: str = "",
        phases: tuple[str, ...] = (),
        created_between: tuple[datetime, datetime] | None = None,
    ) -> JobPage:
        between = [w.isoformat() for w in created_between] if created_between else None
        key = self._key(
            "jobs",
            project=project_id,
            page=page,
            limit=limit,
            name=name,
            phases=list(phases),
            created_between=between,
        )

        def fetch() -> tuple[JobPage, int]:
            # New jobs appear at any time: always the short TTL.
            jobs = super(CachedModelArtsClient, self).list_jobs(
                project_id,
                page=page,
                limit=limit,
                name=name,
                phases=phases,
                created_between=created_between,
            )
            return jobs, _active_ttl()

        return self._cached("jobs", key, fetch)

    def get_task_log(self, project_id: str, job_id: str, task_id: str) -> TaskLog:
        key = self._key("task_log", project=project_id, job=job_id, task=task_id)

        def fetch() -> tuple[TaskLog, int]:
            # Like events: a log is final once its job ended a while ago; a
            # region without the API will not grow one soon.
            ttl = self._job_ttl(project_id, job_id)
            log = super(CachedModelArtsClient, self).get_task_log(project_id, job_id, task_id)
            if log.state == "unavailable":
                ttl = _finished_ttl()
            elif log.state != "ready":
                ttl = _active_ttl()
            return log, ttl

        return self._cached("task_log", key, fetch)

    # -- time to live ------------------------------------------------------

    def _events_ttl(self, project_id: str, job_id: str, query: EventQuery) -> int:
        """TTL_FINISHED for the events of a job known to have finished a while ago.

        Decided before the events are fetched, so a page fetched while the
        job ran is never kept as final.
        """
        now = timezone.now()
        if query.end is not None:
            # A window that closed longer ago than the short TTL gets no new
            # events (a histogram's older buckets, a past range): it is kept
            # as long as a finished job's answers, running job or not.
            if query.end < now - timedelta(seconds=_active_ttl()):
                return _finished_ttl()
            return _active_ttl()
        return self._job_ttl(project_id, job_id)

    def _job_ttl(self, project_id: str, job_id: str) -> int:
        """TTL_FINISHED once the cached job record shows it ended FINAL_AFTER ago."""
        job = _get(self.cache, self._key("job", project=project_id, job=job_id))
        if (
            not isinstance(job, Job)
            or job.ended is None
            or timezone.now() - job.ended < FINAL_AFTER
        ):
            return _active_ttl()
        return _finished_ttl()

    # -- keys --------------------------------------------------------------

    def _key(self, call: str, **parts: Any) -> str:
        material = {
            "endpoint": self.config.endpoint,
            "events_offset": self.config.events_offset,
            "identity": self.identity,
            # Sent as X-Language: ModelArts may translate messages.
            "language": current_language(),
            **parts,
        }
        digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
        return f"modelarts:{SCHEMA}:{call}:{digest}"

    # -- single flight -----------------------------------------------------

    def _cached(self, call: str, key: str, fetch: Callable[[], tuple[T, int]]) -> T:
        cache = self.cache
        value = _get(cache, key)
        # A miss is counted once, whether this request then calls or waits for another's call.
        metrics.record_cache(call, hit=value is not _MISS)
        if value is not _MISS:
            return value
        with self._flights_lock:
            flight = self._flights.get(key)
            leads = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leads:
            if flight.done.wait(self.lock_timeout):
                if flight.error is not None:
                    raise flight.error
                return flight.value
            logger.warning("waited %.0fs for a call in this process; calling", self.lock_timeout)
            return self._lead(cache, key, fetch)
        try:
            flight.value = self._lead(cache, key, fetch)
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flights_lock:
                del self._flights[key]
            flight.done.set()

    def _lead(self, cache: BaseCache, key: str, fetch: Callable[[], tuple[T, int]]) -> T:
        """This process's call for key, unless another process makes it first."""
        lock_key = f"{key}:lock"
        owner = uuid.uuid4().hex
        locked = _add(cache, lock_key, owner, math.ceil(self.lock_timeout))
        if not locked:
            value = self._wait_for_other(cache, key, lock_key)
            if value is not _MISS:
                return value
        try:
            if locked:
                # Another process may have stored it between our miss and the lock.
                value = _get(cache, key)
                if value is not _MISS:
                    return value
            result, ttl = fetch()
            if ttl > 0:
                _set(cache, key, result, ttl)
            return result
        finally:
            if locked and _get(cache, lock_key) == owner:
                _delete(cache, lock_key)

    def _wait_for_other(self, cache: BaseCache, key: str, lock_key: str) -> Any:
        """Poll for the value another process is fetching; _MISS if it never comes."""
        deadline = self._clock() + self.lock_timeout
        delay = _POLL_FIRST
        while self._clock() < deadline:
            self._sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            value = _get(cache, key)
            if value is not _MISS:
                return value
            if _get(cache, lock_key) is _MISS:
                # The other process let go: stored just now, or failed.
                return _get(cache, key)
        logger.info("gave up waiting for another process's call; calling")
        return _MISS


def _active_ttl() -> int:
    return int(settings.MODELARTS_CACHE_TTL_ACTIVE)


def _finished_ttl() -> int:
    return int(settings.MODELARTS_CACHE_TTL_FINISHED)


def _query_parts(query: EventQuery) -> dict[str, Any]:
    """Every field of the query, times as the epoch milliseconds sent upstream."""
    parts: dict[str, Any] = {}
    for f in fields(query):
        value = getattr(query, f.name)
        parts[f.name] = epoch_ms(value) if isinstance(value, datetime) else value
    return parts


__all__ = ["CachedModelArtsClient", "auth_identity"]
