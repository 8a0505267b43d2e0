"""The one module that speaks HTTP to ModelArts.

Every call has a connect and a read timeout and a deadline for the whole call,
retries only what is safe and likely to pass on a second try, and turns every
failure into a ModelArtsError subclass the views render as a page.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import ReadTimeoutError

from eventsui import metrics

from . import budget, errors
from .ids import is_job_id, is_project_id, is_task_id
from .language import current_language
from .parsing import (
    WrongShape,
    parse_error_body,
    parse_event_page,
    parse_job,
    parse_job_page,
    parse_task_log,
)
from .redaction import redact
from .types import (
    MAX_LOG_PREVIEW_BYTES,
    MAX_PAGE_SIZE,
    EventPage,
    EventQuery,
    Job,
    JobPage,
    TaskLog,
)

logger = logging.getLogger("eventsui.modelarts")

OffsetMode = Literal["records", "pages"]

JOB_NOT_FOUND_CODES = frozenset({"ModelArts.2775"})
# Throttling answers. They come as 429, but are recognised by code too, since
# the gateway's status for them is not documented everywhere.
THROTTLE_CODES = frozenset({"APIGW.0308", "ModelArts.2799", "ModelArts.4206", "ModelArts.6101"})
# The token's project is not the URL's project: a credentials problem, though
# ModelArts answers it with 404.
PROJECT_MISMATCH_CODES = frozenset({"ModelArts.2786", "ModelArts.0210"})
API_NOT_FOUND_CODES = frozenset({"APIGW.0101"})
LOG_NOT_READY_CODES = frozenset({"ModelArts.2776"})
LOG_NOT_GENERATED_CODES = frozenset({"ModelArts.2818"})
# A 5 MB preview as JSON: escaping can double it (\uXXXX for non-ASCII text,
# control characters), so a log call may read more than a page of events.
LOG_BODY_BYTES = 3 * MAX_LOG_PREVIEW_BYTES
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    # At least two retries, all within a few seconds of waiting.
    max_retries: int = 2
    retry_wait_budget: float = 3.0
    retry_after_cap: float = 2.0
    backoff_base: float = 0.2
    # The docs call the events `offset` a record offset; the SDKs call it a
    # page index. Which the server uses is unconfirmed, so it is a setting.
    events_offset: OffsetMode = "records"
    # An events page of 100 is tens of KB; anything far larger is not one.
    max_body_bytes: int = 8 * 1024 * 1024


class _Retry(Exception):
    """An attempt failed in a way worth another try."""

    def __init__(self, final: errors.ModelArtsError, wait: float | None) -> None:
        super().__init__(final.message)
        self.final = final
        self.wait = wait


class _Watch:
    """One response body being read; shut down at its deadline unless stopped first."""

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        self._lock = threading.Lock()
        self.stopped = False
        self._fired = False

    def fire(self) -> None:
        # Under the lock, so a body read in time is never cut after stop():
        # its connection may already be back in the pool, serving another call.
        with self._lock:
            if self.stopped:
                return
            try:
                # urllib3's way to interrupt a read from another thread (SHUT_RD).
                self._response.raw.shutdown()
            except (ValueError, RuntimeError, OSError):
                return  # no socket of its own (a mocked answer), or already closed
            self._fired = True

    def stop(self) -> bool:
        """Disarm it; whether it cut the body short."""
        with self._lock:
            self.stopped = True
        return self._fired


class _Watchdog:
    """One thread per process that fires each armed _Watch at its deadline.

    One thread for every call, not a timer thread per call: a thread start
    per page was 7% of an export's time.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, response: requests.Response, seconds: float) -> _Watch:
        watch = _Watch(response)
        with self._changed:
            heapq.heappush(
                self._due, (time.monotonic() + max(0.0, seconds), next(self._order), watch)
            )
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="modelarts-body-watchdog", daemon=True
                )
                self._thread.start()
            # Woken only when this deadline comes first: calls share one
            # deadline length, so the thread mostly sleeps undisturbed.
            if self._due[0][2] is watch:
                self._changed.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due:
                    self._changed.wait()
                due, _, watch = self._due[0]
                if not watch.stopped and due > time.monotonic():
                    self._changed.wait(due - time.monotonic())
                    continue
                heapq.heappop(self._due)
            if not watch.stopped:
                watch.fire()


_watchdog = _Watchdog()


class ModelArtsClient:
    def __init__(
        self,
        config: ClientConfig,
        *,
        auth: AuthBase | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.auth = auth
        self.session = session or new_session()
        self._sleep = sleep
        self._clock = clock

    @property
    def uncached(self) -> ModelArtsClient:
        """This client, past any cache in front of it (this one has none)."""
        return self

    # -- calls -------------------------------------------------------------

    def list_events(self, project_id: str, job_id: str, query: EventQuery) -> EventPage:
        """One page of a job's events.

        https://support.huaweicloud.com/intl/en-us/api-modelarts/ListTrainingJobEvents.html
        """
        path = _job_path(project_id, job_id) + "/events"
        # A limit below 1 goes up as it is, for the upstream to refuse (400), as
        # there is no page index to compute from it.
        if (
            self.config.events_offset == "records"
            or query.limit < 1
            or query.offset % query.limit == 0
        ):
            page = self._events_request(path, query, query.offset)
        else:
            page = self._events_unaligned(path, query)
        return _apply_source_filter(page, query.source)

    def get_job(self, project_id: str, job_id: str) -> Job:
        """ShowTrainingJobDetails: GET /v2/{project_id}/training-jobs/{id}."""
        job: Job = self._call("GET", _job_path(project_id, job_id), job_call=True, parse=parse_job)
        return job

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
        """ListTrainingJobs: POST /v2/{project_id}/training-job-searches.

        `offset` there is a page index (as the SDK and the Terraform provider
        use it), and `limit` is at most 50. `created_between` becomes the
        `create_time` `between` filter, its two ends as epoch milliseconds in
        strings: the docs type the values as strings and `create_time` as ms,
        but do not show the format (UNCONFIRMED against the live API).
        """
        if not is_project_id(project_id):
            raise ValueError("invalid project id")
        filters: list[dict[str, Any]] = []
        if name:
            filters.append({"key": "name", "operator": "like", "value": [name]})
        if phases:
            filters.append({"key": "phase", "operator": "in", "value": list(phases)})
        if created_between is not None:
            low, high = (str(int(when.timestamp() * 1000)) for when in created_between)
            filters.append({"key": "create_time", "operator": "between", "value": [low, high]})
        body: dict[str, Any] = {
            "offset": page,
            "limit": max(1, min(limit, 50)),
            "sort_by": "create_time",
            "order": "desc",
        }
        if filters:
            body["filters"] = filters
        # A search is a read, so it is retried like a GET.
        result: JobPage = self._call(
            "POST",
            f"/v2/{project_id}/training-job-searches",
            json_body=body,
            parse=parse_job_page,
        )
        return result

    def get_task_log(self, project_id: str, job_id: str, task_id: str) -> TaskLog:
        """ShowTrainingJobLogsPreview: GET .../training-jobs/{id}/tasks/{task_id}/logs/preview.

        The answers that mean "no log to show" are states, not errors: 204
        (ModelArts.2776, not ready yet), ModelArts.2818 (not generated) and
        404 APIGW.0101 (this region has no such API).
        """
        if not is_task_id(task_id):
            raise ValueError("invalid task id")
        path = f"{_job_path(project_id, job_id)}/tasks/{quote(task_id, safe='')}/logs/preview"
        try:
            log: TaskLog = self._call(
                "GET", path, job_call=True, parse=parse_task_log, max_body=LOG_BODY_BYTES
            )
        except errors.ModelArtsError as exc:
            if exc.error_code in LOG_NOT_READY_CODES:
                return TaskLog(state="not_ready")
            if exc.error_code in LOG_NOT_GENERATED_CODES:
                return TaskLog(state="not_generated")
            if exc.upstream_status == 404 and exc.error_code in API_NOT_FOUND_CODES:
                return TaskLog(state="unavailable")
            raise
        return log

    # -- events paging -----------------------------------------------------

    def _events_request(self, path: str, query: EventQuery, offset: int) -> EventPage:
        params: dict[str, str] = {
            "offset": str(
                offset
                if self.config.events_offset == "records" or query.limit < 1
                else offset // query.limit
            ),
            "limit": str(query.limit),
            "order": query.order,
        }
        if query.level:
            params["level"] = query.level
        if query.source:
            params["source"] = query.source
        if query.pattern:
            params["pattern"] = query.pattern
        if (query.start is None) != (query.end is None):
            raise ValueError("start and end go together")
        if query.start is not None and query.end is not None:
            params["start_time"] = str(epoch_ms(query.start))
            params["end_time"] = str(epoch_ms(query.end))
        page: EventPage = self._call(
            "GET",
            path,
            params=params,
            job_call=True,
            parse=lambda body: parse_event_page(body, requested_order=query.order),
        )
        # Report the record offset whatever the server echoed, so paging
        # arithmetic above this layer never depends on the offset mode.
        return EventPage(
            total=page.total,
            offset=offset,
            limit=query.limit,
            order=page.order,
            events=page.events[: query.limit],
            source_filter_ignored=page.source_filter_ignored,
        )

    def _events_unaligned(self, path: str, query: EventQuery) -> EventPage:
        """A record offset that falls inside a page, when offset counts pages."""
        first_page = query.offset // query.limit
        skip = query.offset - first_page * query.limit
        first = self._events_request(path, query, first_page * query.limit)
        events = first.events[skip:]
        if len(events) < query.limit and first.total > (first_page + 1) * query.limit:
            second = self._events_request(path, query, (first_page + 1) * query.limit)
            events = events + second.events
        return EventPage(
            total=first.total,
            offset=query.offset,
            limit=query.limit,
            order=first.order,
            events=events[: query.limit],
        )

    # -- transport ---------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        job_call: bool = False,
        parse: Callable[[Any], Any] = lambda body: body,
        max_body: int | None = None,
    ) -> Any:
        """Send one logical call, with retries; return its JSON body through `parse`.

        The body is at most `max_body` bytes (config.max_body_bytes unless given).
        """
        config = self.config
        url = config.endpoint.rstrip("/") + path
        # Every path is /v2/{project_id}/...: the call is that project's to pay.
        project_id = path.split("/")[2]
        # The first attempt's slot is waited for before the deadline starts:
        # that wait is bounded by the caller's patience, not the upstream's.
        self._spend(project_id, method, path)
        started = self._clock()
        # The whole call, retries included, ends by this time.
        deadline = started + config.connect_timeout + config.read_timeout + config.retry_wait_budget
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1:
                self._spend(project_id, method, path)
            try:
                status, body = self._attempt(
                    method, url, params, json_body, job_call, deadline, max_body
                )
            except _Retry as retry:
                wait = retry.wait
                if wait is None:
                    wait = config.backoff_base * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311
                if (
                    attempt > config.max_retries
                    or wait > config.retry_after_cap
                    or waited + wait > config.retry_wait_budget
                    or self._clock() + wait >= deadline
                ):
                    self._log(
                        method, path, retry.final.upstream_status, started, attempt, retry.final
                    )
                    raise retry.final from None
                logger.info(
                    "modelarts retry method=%s path=%s reason=%r wait=%.2fs attempt=%d",
                    method,
                    path,
                    retry.final.message,
                    wait,
                    attempt,
                )
                self._sleep(wait)
                waited += wait
                continue
            except errors.ModelArtsError as exc:
                self._log(method, path, exc.upstream_status, started, attempt, exc)
                raise
            # Parsed here, so an answer of the wrong shape is logged as the
            # failure it is, not as a successful call.
            try:
                result = parse(body)
            except WrongShape as exc:
                failure = _wrong_shape(exc)
                self._log(method, path, status, started, attempt, failure)
                raise failure from None
            self._log(method, path, status, started, attempt, None)
            return result

    def _spend(self, project_id: str, method: str, path: str) -> None:
        """One call from the project's budget (budget.py), or BudgetExhausted."""
        try:
            budget.spend(project_id, sleep=self._sleep)
        except budget.BudgetExhausted as exc:
            logger.warning(
                "modelarts budget exhausted method=%s path=%s retry_after=%ss",
                method,
                path,
                exc.retry_after,
            )
            raise

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        job_call: bool,
        deadline: float,
        max_body: int | None = None,
    ) -> tuple[int, Any]:
        config = self.config
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise errors.UpstreamTimeout(_("ModelArts did not answer in time."))
        timeout = (min(config.connect_timeout, remaining), min(config.read_timeout, remaining))
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                # The viewer's language (set per request by middleware).
                headers={"X-Language": current_language()},
                auth=self.auth,
                timeout=timeout,
                stream=True,
                # A redirect would carry X-Auth-Token to wherever it points.
                allow_redirects=False,
            )
        except requests.ReadTimeout:
            # Not retried: the upstream may be stuck on this very query, and a
            # retry would multiply the reader's wait.
            raise errors.UpstreamTimeout(
                _("ModelArts did not answer within %(seconds)s seconds.")
                % {"seconds": f"{config.read_timeout:g}"}
            ) from None
        except requests.ConnectTimeout:
            raise _Retry(
                errors.UpstreamTimeout(
                    _("ModelArts could not be reached in time (connect timeout).")
                ),
                None,
            ) from None
        except requests.ConnectionError:
            raise _Retry(
                errors.UpstreamUnavailable(
                    _("ModelArts could not be reached (connection failed).")
                ),
                None,
            ) from None
        except requests.RequestException as exc:
            raise errors.UpstreamUnavailable(
                _("The request to ModelArts failed (%(kind)s).") % {"kind": type(exc).__name__}
            ) from None
        with response:
            raw = self._read_body(response, deadline, max_body)
        return response.status_code, self._interpret(response, raw, job_call)

    def _read_body(
        self, response: requests.Response, deadline: float, max_body: int | None = None
    ) -> bytes:
        """The body, read by the call's deadline however it arrives.

        The read timeout bounds each wait on the socket, not the body: an
        upstream trickling a byte a second never trips it. So a watchdog
        shuts the socket down at the deadline, whatever the read waits on
        (a trickle, a stall, the next block of a compressed body); the read
        then fails at once, urllib3 closes the connection, and the answer
        counts as too slow.
        """
        too_slow = errors.UpstreamTimeout(
            _("ModelArts sent its answer too slowly."), upstream_status=response.status_code
        )
        limit = self.config.max_body_bytes if max_body is None else max_body
        watchdog = _watchdog.arm(response, deadline - self._clock())
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise errors.UpstreamUnavailable(
                        _("ModelArts sent a response far larger than any page of results."),
                        upstream_status=response.status_code,
                    )
                if self._clock() > deadline:
                    raise too_slow
                chunks.append(chunk)
        except requests.ConnectionError as exc:
            if watchdog.stop():
                raise too_slow from None
            # requests reports a read timeout inside the body as a
            # ConnectionError wrapping urllib3's ReadTimeoutError.
            if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):
                raise errors.UpstreamTimeout(
                    _("ModelArts stopped sending within %(seconds)s seconds.")
                    % {"seconds": f"{self.config.read_timeout:g}"},
                    upstream_status=response.status_code,
                ) from None
            raise _Retry(
                errors.UpstreamUnavailable(
                    _("ModelArts dropped the connection mid-answer."),
                    upstream_status=response.status_code,
                ),
                None,
            ) from None
        except requests.RequestException:
            if watchdog.stop():
                raise too_slow from None
            # ChunkedEncodingError, ContentDecodingError: a cut or garbled body.
            raise _Retry(
                errors.UpstreamUnavailable(
                    _("ModelArts dropped the connection mid-answer."),
                    upstream_status=response.status_code,
                ),
                None,
            ) from None
        finally:
            watchdog.stop()
        return b"".join(chunks)

    def _interpret(self, response: requests.Response, raw: bytes, job_call: bool) -> Any:
        status = response.status_code
        try:
            body = json.loads(raw) if raw else None
            parsed_json = True
        except ValueError:
            body = None
            parsed_json = False
        # Upstream text like the rest: a gateway may echo a credential into it.
        request_id = self._redact(response.headers.get("X-Request-Id", "")[:100])
        if status == 204:
            # No Content has no body by definition: the parser says what that
            # means for its call (a log not ready yet, ModelArts.2776).
            return None
        if 200 <= status < 300:
            if not parsed_json or body is None:
                raise errors.UpstreamUnavailable(
                    _("ModelArts answered %(status)s with a body that is not JSON.")
                    % {"status": status},
                    upstream_status=status,
                    request_id=request_id,
                )
            return body
        code, msg = (self._redact(text) for text in parse_error_body(body))
        if not request_id and isinstance(body, dict):
            request_id = self._redact(str(body.get("request_id") or "")[:100])
        details: dict[str, Any] = {
            "upstream_status": status,
            "error_code": code,
            "error_msg": msg,
            "request_id": request_id,
        }
        named = f" ({code})" if code else ""
        if status in RETRY_STATUSES or code in THROTTLE_CODES:
            final: errors.ModelArtsError
            if status == 429 or code in THROTTLE_CODES:
                final = errors.UpstreamThrottled(
                    _("ModelArts is throttling requests%(code)s; try again in a few seconds.")
                    % {"code": named},
                    **details,
                )
            else:
                final = errors.UpstreamUnavailable(
                    _("ModelArts answered %(status)s%(code)s.") % {"status": status, "code": named},
                    **details,
                )
            raise _Retry(final, _retry_after(response.headers.get("Retry-After")))
        if code in JOB_NOT_FOUND_CODES:
            raise errors.JobNotFound(_("ModelArts has no training job with this id."), **details)
        if code in PROJECT_MISMATCH_CODES:
            raise errors.UpstreamAuthError(
                _("ModelArts says the credentials do not belong to this project%(code)s.")
                % {"code": named},
                **details,
            )
        if status == 400:
            raise errors.UpstreamBadRequest(
                _("ModelArts refused the request%(code)s.") % {"code": named}, **details
            )
        if status in (401, 403):
            raise errors.UpstreamAuthError(
                _(
                    "ModelArts refused eventsui's credentials or permissions (%(status)s%(code)s). "
                    "An operator needs to check the configured credentials and their project."
                )
                % {"status": status, "code": named},
                **details,
            )
        if status == 404 and code in API_NOT_FOUND_CODES:
            raise errors.UpstreamUnavailable(
                _("The configured endpoint has no such API%(code)s: check MODELARTS_ENDPOINT.")
                % {"code": named},
                **details,
            )
        if status == 404:
            if job_call:
                raise errors.JobNotFound(
                    _("ModelArts has no training job with this id."), **details
                )
            raise errors.NotFound(
                _("ModelArts answered %(status)s%(code)s.") % {"status": 404, "code": named},
                **details,
            )
        raise errors.UpstreamUnavailable(
            _("ModelArts answered %(status)s%(code)s.") % {"status": status, "code": named},
            **details,
        )

    def _redact(self, text: str) -> str:
        """Remove our own credentials from upstream text before anyone sees it.

        A gateway that echoes request headers into its error message would
        otherwise put the token on the page; a part of it (8 characters or
        more) is masked as well as the whole.
        """
        return redact(text, getattr(self.auth, "secrets", ()))

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempts: int,
        failure: errors.ModelArtsError | None,
    ) -> None:
        duration_ms = (self._clock() - started) * 1000
        metrics.record_upstream_call(
            metrics.operation_of(path),
            status,
            duration_ms / 1000,
            failed=failure is not None,
            timed_out=isinstance(failure, errors.UpstreamTimeout),
        )
        if failure is None:
            logger.info(
                "modelarts call method=%s path=%s status=%s duration_ms=%.0f attempts=%d",
                method,
                path,
                status,
                duration_ms,
                attempts,
            )
        else:
            logger.warning(
                "modelarts failure method=%s path=%s status=%s duration_ms=%.0f attempts=%d "
                "error=%s code=%s request_id=%s",
                method,
                path,
                status if status is not None else "-",
                duration_ms,
                attempts,
                type(failure).__name__,
                failure.error_code or "-",
                failure.request_id or "-",
            )


def new_session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (see ModelArtsClient._call); urllib3's are off so a
    # read timeout is never retried behind our back.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # The process environment's proxies and .netrc must not silently apply.
    session.trust_env = False
    return session


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    # Integer arithmetic, so 16:01:36.964 is sent as ...964, never ...963.
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _job_path(project_id: str, job_id: str) -> str:
    # The views validate these already; checked again because this is the
    # boundary, and quoted anyway so nothing can reshape the upstream path.
    if not is_project_id(project_id):
        raise ValueError("invalid project id")
    if not is_job_id(job_id):
        raise ValueError("invalid job id")
    return f"/v2/{quote(project_id, safe='')}/training-jobs/{quote(job_id, safe='')}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _apply_source_filter(page: EventPage, source: str | None) -> EventPage:
    if not source:
        return page
    matching = tuple(e for e in page.events if e.source.casefold() == source.casefold())
    if len(matching) == len(page.events):
        return page
    return EventPage(
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        order=page.order,
        events=matching,
        source_filter_ignored=True,
    )


def _wrong_shape(exc: WrongShape) -> errors.UpstreamUnavailable:
    return errors.UpstreamUnavailable(
        _("ModelArts answered with data of an unexpected shape (%(problem)s).") % {"problem": exc},
        upstream_status=200,
    )


__all__ = ["MAX_PAGE_SIZE", "ClientConfig", "ModelArtsClient", "epoch_ms", "new_session"]
