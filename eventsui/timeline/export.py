"""Export every event of a job that matches the timeline's filters, as a download.

GET /projects/<project_id>/jobs/<job_id>/events/export/?format=csv|ndjson|json
plus the timeline's own filters (level, source, pattern, start_time, end_time,
order). The choices made here:

- Input. The filters go through EventFiltersForm, so bad input answers 400 as
  on the timeline and nothing is asked of ModelArts. `limit` and `offset` are
  validated like there (a malformed one is still 400) and then ignored: an
  export is every matching event, so a timeline URL with `export/` added works
  as it is. `format` defaults to csv; any other value than csv, ndjson or json
  is 400.
- A frozen window. The export reads pages by offset, so events arriving while
  it runs would shift the pages and duplicate or drop rows. The window is fixed
  when the export begins and sent upstream explicitly with every page: without
  start_time/end_time it is [the job's create time minus a minute, the moment
  the export began] (the Unix epoch when the create time is unknown); a given
  end_time later than that moment is cut to it, since no event can carry a
  later time yet. The window actually used names the file.
- Paging. The first page of 100 is read before the response starts, so a
  failure then is the ordinary error page with the ordinary status; it also
  gives `total`. The other pages are read through a pool of at most
  MAX_IN_FLIGHT threads, keeping at most that many pages requested ahead of
  the one being written (in flight or finished), and written in order. Memory
  is bounded by that window, never by the job's size. The bound is per export.
  Pages are read past the cache in front of the client (each is read once,
  under a window no other request shares). A reader that goes away stops the
  export; calls already in flight end on their own within their deadline.
- A failure after the first byte cannot change the status any more, so the
  file says it instead: CSV ends with a row `# EXPORT INCOMPLETE: <reason>`,
  NDJSON with a line {"error": ..., "complete": false, "count": n}, and the
  JSON document is an object whose "complete" is false and "error" a reason
  (true and null when every page arrived). A `total` that changes between
  pages, or a page shorter than the total implies, counts as such a failure,
  since rows may then be duplicated or missing.
- CSV: a header row (time, level, source, message), quoting by the csv module,
  and cells starting with = + - @ tab or carriage return prefixed with a single
  quote, since messages come from arbitrary training code and spreadsheets
  would run them as formulas. NDJSON and JSON carry the text unchanged.
- Times are ISO 8601 with the offset ModelArts sent (+08:00 in its example); a
  time it sent that cannot be read is written as it was sent.
- Filters eventsui applies itself (worker, case=ignore, exclude; search.py)
  are applied here too: the pages of the narrowest query ModelArts can
  answer are read as above (every one of them: an export has no scan bound)
  and only the matching rows are written; `count` (JSON, NDJSON's marker)
  counts those rows. The cost is that query's `total / 100` calls.
- The combined level (level=Warning,Error) is exported as well: each level
  is read as above (its first page before the response, the read-ahead bound
  shared between them) and the two are merged by time in the order the
  timeline shows them (eventsui/modelarts/merge.py).
- One log line per export: format, rows, pages, duration and how it ended.
- Serving a team. Every page is read inside the project's ModelArts call
  budget (modelarts/budget.py) with BUDGET_PATIENCE (30 s) of patience, so an
  export slows down to the budget rather than fail or crowd others out; it
  needs `total / 100` calls, so at the default 50 calls a second a
  24,000-event job takes at least about 5 s of budget. A reader (the signed-in
  user, else the client address) runs at most MAX_EXPORTS_PER_READER (2)
  exports at once, counted in the shared cache so every instance agrees; a
  third answers 429 with Retry-After. A process that is stopping (SIGTERM,
  core/shutdown.py) ends its exports at the next page with the marker
  ("eventsui was restarted"), never mid-row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import chain, islice
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from eventsui import metrics
from eventsui.core import shutdown
from eventsui.core.access import job_view
from eventsui.core.forms import encode
from eventsui.modelarts import (
    Event,
    EventPage,
    EventQuery,
    Job,
    JobNotFound,
    ModelArtsError,
    budget,
    get_client,
)
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.merge import COMBINED_LEVEL, COMBINED_PARTS, merge_streams
from eventsui.modelarts.projects import Project
from eventsui.modelarts.scan import Predicate
from eventsui.modelarts.tolerant_cache import cache_add, cache_delete, cache_get, cache_set
from eventsui.modelarts.types import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

from .forms import EventFiltersForm, canonical_params
from .search import LocalFilters
from .times import format_instant

logger = logging.getLogger(__name__)

PAGE_SIZE = MAX_PAGE_SIZE
# Pages requested ahead of the writer. Each call waits on the network (and
# pays a Redis round trip to the call budget): 12 keep a 20 ms upstream busy
# on two cores where 8 left the export 20% slower, and memory stays a dozen
# pages of 100 events.
MAX_IN_FLIGHT = 12
# How long one page may wait for a slot of the project's call budget.
BUDGET_PATIENCE = 30.0
MAX_EXPORTS_PER_READER = 2
SLOT_SECONDS = 120
SLOT_RETRY_AFTER = 10
START_SLACK = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
CSV_HEADER = ("time", "level", "source", "message")
INCOMPLETE_MARKER = "# EXPORT INCOMPLETE"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


def _now() -> datetime:
    return datetime.now(UTC)


# -- cells and rows ---------------------------------------------------------------


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet will not evaluate as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def event_time(event: Event) -> str:
    return event.time.isoformat() if event.time is not None else event.time_text


def event_record(event: Event) -> dict[str, str]:
    return {
        "time": event_time(event),
        "level": event.level,
        "source": event.source,
        "message": event.message,
    }


class _Echo:
    """A file for csv.writer whose write() hands the formatted line back."""

    def write(self, value: str) -> str:
        return value


class CsvWriter:
    def __init__(self) -> None:
        self._csv = csv.writer(_Echo())

    def head(self) -> str:
        return str(self._csv.writerow(CSV_HEADER))

    def rows(self, events: tuple[Event, ...]) -> str:
        return "".join(
            str(
                self._csv.writerow(
                    [spreadsheet_safe(value) for value in event_record(event).values()]
                )
            )
            for event in events
        )

    def tail(self, error: str | None, count: int) -> str:
        if error is None:
            return ""
        return str(self._csv.writerow([f"{INCOMPLETE_MARKER}: {error} ({count} rows written)"]))


class NdjsonWriter:
    def head(self) -> str:
        return ""

    def rows(self, events: tuple[Event, ...]) -> str:
        return "".join(_dumps(event_record(event)) + "\n" for event in events)

    def tail(self, error: str | None, count: int) -> str:
        if error is None:
            return ""
        return _dumps({"error": error, "complete": False, "count": count}) + "\n"


class JsonWriter:
    """One object, {..., "events": [...], "count", "complete", "error"}, written as it goes."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self._meta = meta
        self._first = True

    def head(self) -> str:
        # The object's opening and the meta fields, leaving "events" open.
        opening = _dumps({**self._meta, "events": []})
        return opening[: -len("[]}")] + "[\n"

    def rows(self, events: tuple[Event, ...]) -> str:
        parts = []
        for event in events:
            parts.append(("" if self._first else ",\n") + _dumps(event_record(event)))
            self._first = False
        return "".join(parts)

    def tail(self, error: str | None, count: int) -> str:
        closing = _dumps({"count": count, "complete": error is None, "error": error})
        return "\n], " + closing[1:] + "\n"


Writer = CsvWriter | NdjsonWriter | JsonWriter


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- the window and the file name ---------------------------------------------------


def frozen_window(query: EventQuery, job: Job | None, began: datetime) -> tuple[datetime, datetime]:
    """The [start, end] every page is asked for, fixed when the export begins."""
    if query.start is not None and query.end is not None:
        return query.start, max(query.start, min(query.end, began))
    start = job.created - START_SLACK if job is not None and job.created is not None else EPOCH
    return max(EPOCH, min(start, began)), began


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def export_filename(name: str, start: datetime, end: datetime, fmt: str) -> str:
    safe_name = _UNSAFE_FILENAME.sub("_", name).strip("_-")[:64] or "job"
    return f"{safe_name}_events_{_stamp(start)}-{_stamp(end)}.{fmt}"


def export_url(
    project_id: str, job_id: str, query: EventQuery, fmt: str, local: LocalFilters | None = None
) -> str:
    """The export of a timeline view: its filters, without its page."""
    params = canonical_params(replace(query, offset=0, limit=DEFAULT_PAGE_SIZE), local=local)
    params["format"] = fmt
    path = reverse("events_export", args=[project_id, job_id])
    return f"{path}?{encode(params)}"


# -- streaming ----------------------------------------------------------------------


class _Inconsistent(Exception):
    """Pages that do not add up: rows may be duplicated or missing."""


def _check(page: EventPage, total: int) -> None:
    if page.total != total:
        raise _Inconsistent(
            f"ModelArts changed the number of matching events during the export "
            f"({total}, then {page.total})."
        )
    expected = min(PAGE_SIZE, max(0, total - page.offset))
    # Fewer rows are expected when the source filter was applied here.
    if len(page.events) < expected and not page.source_filter_ignored:
        raise _Inconsistent(
            f"ModelArts sent {len(page.events)} events at offset {page.offset} "
            f"where {expected} were expected."
        )


class _Interrupted(Exception):
    """The process is stopping (shutdown.py): the file ends with its marker."""


@dataclass(frozen=True)
class _Slot:
    """One of a reader's MAX_EXPORTS_PER_READER export slots, held in the shared cache.

    Renewed while the export runs (at most every SLOT_SECONDS / 4, not per
    page: a cache write per page would be a Redis round trip in the writing
    thread) and released at the end; a process that dies holding one frees
    it after SLOT_SECONDS.
    """

    key: str
    token: str
    renewed: list[float] = field(default_factory=lambda: [time.monotonic()])

    def renew(self) -> None:
        now = time.monotonic()
        if now - self.renewed[0] >= SLOT_SECONDS / 4:
            cache_set(self.key, self.token, SLOT_SECONDS)
            self.renewed[0] = now

    def release(self) -> None:
        if cache_get(self.key) == self.token:
            cache_delete(self.key)


def _reader(request: HttpRequest) -> str:
    """Whose exports count together: the signed-in user, else the client's address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{request.META.get('REMOTE_ADDR', '')}"


def _take_slot(request: HttpRequest) -> _Slot | None:
    """A free export slot of this reader's, or None when all are in use."""
    reader = hashlib.sha256(_reader(request).encode()).hexdigest()[:32]
    token = uuid.uuid4().hex
    for number in range(MAX_EXPORTS_PER_READER):
        key = f"eventsui:export-slot:{reader}:{number}"
        if cache_add(key, token, SLOT_SECONDS):
            return _Slot(key, token)
    return None


class _Download:
    """The streamed file. The server closes it however far it got, which frees the slot.

    A generator that never started runs no finally block when closed, so a
    reader who leaves before the first byte would otherwise hold a slot
    until it expires.
    """

    def __init__(self, stream: Iterator[str], slot: _Slot) -> None:
        self.stream, self.slot = stream, slot

    def __iter__(self) -> Iterator[str]:
        return self.stream

    def close(self) -> None:
        try:
            close = getattr(self.stream, "close", None)
            if close is not None:
                close()
        finally:
            self.slot.release()


@dataclass
class _Progress:
    rows: int = 0
    pages: int = 0
    outcome: str = "aborted by the client"


def _read_page(
    client: ModelArtsClient, project_id: str, job_id: str, query: EventQuery
) -> EventPage:
    # Straight to ModelArts, past any cache in front of the client: an export
    # reads each page once, under a window no other request shares, and
    # storing its pages would only push the timeline's entries out. Inside
    # the project's call budget with an export's patience: it slows down
    # rather than fail when others are spending the budget too.
    with budget.patience(BUDGET_PATIENCE):
        return client.uncached.list_events(project_id, job_id, query)


def _pages(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    first: EventPage,
    in_flight: int = MAX_IN_FLIGHT,
) -> Generator[EventPage, None, None]:
    """The pages after the first, read ahead concurrently and yielded in order."""
    offsets = iter(range(PAGE_SIZE, first.total, PAGE_SIZE))
    window: deque[Future[EventPage]] = deque()
    pool = ThreadPoolExecutor(in_flight, thread_name_prefix="events-export")

    def fill() -> None:
        while len(window) < in_flight:
            offset = next(offsets, None)
            if offset is None:
                return
            page_query = replace(query, offset=offset)
            # copy_context: the read carries the request's X-Language.
            window.append(
                pool.submit(copy_context().run, _read_page, client, project_id, job_id, page_query)
            )

    try:
        fill()
        while window:
            page = window.popleft().result()
            fill()
            yield page
    finally:
        # Not waiting: calls in flight end within the client's deadline on
        # their own, and the marker or the closed connection need not wait.
        pool.shutdown(wait=False, cancel_futures=True)


def _level_pages(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    first: EventPage,
    in_flight: int = MAX_IN_FLIGHT,
) -> Generator[EventPage, None, None]:
    """first and the pages after it, each checked against first's total."""
    rest = _pages(client, project_id, job_id, query, first, in_flight)
    try:
        for page in chain((first,), rest):
            _check(page, first.total)
            yield page
    finally:
        rest.close()


def _merged_pages(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    firsts: dict[str, EventPage],
) -> Generator[EventPage, None, None]:
    """The combined level: its levels' pages merged by time (modelarts/merge.py).

    firsts holds each level's first page, in merge.COMBINED_PARTS' order. The
    levels are read side by side, sharing the export's read-ahead bound.
    """
    total = sum(first.total for first in firsts.values())
    in_flight = max(1, MAX_IN_FLIGHT // len(firsts))
    levels = [
        _level_pages(client, project_id, job_id, replace(query, level=level), first, in_flight)
        for level, first in firsts.items()
    ]
    merged = merge_streams(
        [(event for page in pages for event in page.events) for pages in levels], query.order
    )
    try:
        offset = 0
        while chunk := tuple(islice(merged, PAGE_SIZE)):
            yield EventPage(
                total=total, offset=offset, limit=PAGE_SIZE, order=query.order, events=chunk
            )
            offset += len(chunk)
    finally:
        for pages in levels:
            pages.close()


def _kept(
    pages: Generator[EventPage, None, None], keep: Predicate
) -> Generator[EventPage, None, None]:
    """The pages, already checked, holding only the events keep() accepts (search.py)."""
    try:
        for page in pages:
            yield replace(page, events=tuple(e for e in page.events if keep(e)))
    finally:
        pages.close()


def _stream(
    pages: Generator[EventPage, None, None],
    writer: Writer,
    log: dict[str, Any],
    slot: _Slot,
) -> Iterator[str]:
    """The file: pages already read in order and checked (_level_pages, _merged_pages)."""
    progress = _Progress()
    metrics.export_started()
    try:
        error: str | None = None
        yield writer.head()
        try:
            for page in pages:
                if shutdown.stopping.is_set():
                    raise _Interrupted(
                        "eventsui was restarted during the export; export again to get the rest."
                    )
                slot.renew()
                progress.pages += 1
                progress.rows += len(page.events)
                yield writer.rows(page.events)
        except ModelArtsError as exc:
            error = f"{exc.title}: {exc.message}"
        except (_Inconsistent, _Interrupted) as exc:
            error = str(exc)
        except Exception:
            # Logged with its traceback; the file must still say it is short.
            logger.exception("events export failed in eventsui itself")
            error = "eventsui failed while writing the export; the error has been logged."
        progress.outcome = "complete" if error is None else f"incomplete: {error}"
        yield writer.tail(error, progress.rows)
    finally:
        metrics.export_ended()
        pages.close()
        slot.release()
        _log(log, progress.rows, progress.pages, progress.outcome)


def _log(log: dict[str, Any], rows: int, pages: int, outcome: str) -> None:
    logger.info(
        "events export project=%s job=%s format=%s rows=%d pages=%d duration_ms=%.0f outcome=%s",
        log["project_id"],
        log["job_id"],
        log["format"],
        rows,
        pages,
        (time.monotonic() - log["started"]) * 1000,
        outcome,
    )
    # The outcome's first word: complete, incomplete, aborted or failed.
    metrics.record_export(log["format"], rows, outcome.split()[0].rstrip(":"))


# -- the view -----------------------------------------------------------------------


def _timeline_url(request: HttpRequest, project_id: str, job_id: str) -> str:
    params = request.GET.copy()
    params.pop("format", None)
    path = reverse("events", args=[project_id, job_id])
    return f"{path}?{params.urlencode()}" if params else path


def _refused(
    request: HttpRequest,
    project_id: str,
    job_id: str,
    *,
    status: int,
    title: StrOrPromise,
    problems: list[str] | None = None,
    error: ModelArtsError | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "status": status,
        "title": title,
        "problems": problems or [],
        "timeline_url": _timeline_url(request, project_id, job_id),
        "job_id": job_id,
    }
    if error is not None:
        context["error"] = {
            "status": error.status,
            "title": error.title,
            "message": error.message,
            "upstream_status": error.upstream_status,
            "error_code": error.error_code,
            "error_msg": error.error_msg,
            "request_id": error.request_id,
        }
    return render(request, "timeline/export_error.html", context, status=status)


def _job_or_none(client: ModelArtsClient, project_id: str, job_id: str) -> Job | None:
    """The job's name and create time; the export works without them."""
    try:
        return client.get_job(project_id, job_id)
    except JobNotFound:
        raise
    except ModelArtsError as exc:
        logger.info("export without job details: %s", type(exc).__name__)
        return None


@job_view
@require_GET
@never_cache
def export(request: HttpRequest, project: Project, job_id: str) -> HttpResponseBase:
    project_id = project.project_id
    fmt = request.GET.get("format", "csv").lower()
    form = EventFiltersForm(request.GET)
    if fmt not in CONTENT_TYPES or not form.is_valid():
        problems = [] if fmt in CONTENT_TYPES else [_("Format: choose csv, ndjson or json.")]
        problems += [
            f"{form[name].label}: {e}" if name != "__all__" else str(e)
            for name, errors in form.errors.items()
            for e in errors
        ]
        return _refused(
            request,
            project_id,
            job_id,
            status=400,
            title=_("This export cannot be made"),
            problems=problems,
        )

    slot = _take_slot(request)
    if slot is None:
        busy = _refused(
            request,
            project_id,
            job_id,
            status=429,
            title=_("Two exports are already running for you"),
            problems=[
                _(
                    "eventsui runs at most %(most)s exports at a time for each reader, so "
                    "that large downloads leave ModelArts' budget to everyone else. Wait for "
                    "one of yours to finish (or cancel it), then try again."
                )
                % {"most": MAX_EXPORTS_PER_READER}
            ],
        )
        busy["Retry-After"] = str(SLOT_RETRY_AFTER)
        return busy

    log = {"project_id": project_id, "job_id": job_id, "format": fmt, "started": time.monotonic()}
    began = _now()
    client = get_client(project)
    local = form.local_filters()
    try:
        job = _job_or_none(client, project_id, job_id)
        if local.worker and job is not None and not form.check_worker(job.tasks):
            slot.release()
            return _refused(
                request,
                project_id,
                job_id,
                status=400,
                title=_("This export cannot be made"),
                problems=[str(e) for e in form.errors["worker"]],
            )
        start, end = frozen_window(form.to_query(), job, began)
        wanted = replace(form.to_query(), start=start, end=end, offset=0, limit=PAGE_SIZE)
        # Filters eventsui applies itself: the narrowest query ModelArts can
        # answer, every page of it, and only the rows the reader asked for.
        query = local.upstream(wanted)
        pages: Generator[EventPage, None, None]
        if query.level == COMBINED_LEVEL:
            # Read as its levels, each from its own first page.
            firsts = {
                level: _read_page(client, project_id, job_id, replace(query, level=level))
                for level in COMBINED_PARTS
            }
            pages = _merged_pages(client, project_id, job_id, query, firsts)
        else:
            first = _read_page(client, project_id, job_id, query)
            pages = _level_pages(client, project_id, job_id, query, first)
        if local.active:
            pages = _kept(pages, local.predicate(wanted))
    except ModelArtsError as exc:
        slot.release()
        _log(log, 0, 0, f"failed before the first byte: {type(exc).__name__}")
        failed = _refused(
            request, project_id, job_id, status=exc.status, title=exc.title, error=exc
        )
        if exc.retry_after is not None:
            failed["Retry-After"] = str(exc.retry_after)
        return failed

    name = job.name if job is not None and job.name else job_id
    writer: Writer
    if fmt == "csv":
        writer = CsvWriter()
    elif fmt == "ndjson":
        writer = NdjsonWriter()
    else:
        writer = JsonWriter(
            {
                "job": {"id": job_id, "name": name},
                "level": query.level,
                "source": query.source,
                "pattern": wanted.pattern,
                **local.params(),
                "order": query.order,
                "start_time": format_instant(start),
                "end_time": format_instant(end),
            }
        )
    response = StreamingHttpResponse(
        _Download(_stream(pages, writer, log, slot), slot),
        content_type=CONTENT_TYPES[fmt],
    )
    response["Content-Disposition"] = content_disposition_header(
        True, export_filename(name, start, end, fmt)
    )
    return response
