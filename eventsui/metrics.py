"""What eventsui counts, for Prometheus at /metrics (eventsui/core/views.py).

A leaf module: it imports prometheus_client and the standard library only, so
the service layer (eventsui/modelarts/) and the apps can both record here. The
choices made:

- prometheus-client itself, in its multiprocess mode. gunicorn runs several
  worker processes, each with its own counters in memory, and a scrape reaches
  one of them. With PROMETHEUS_MULTIPROC_DIR set (scripts/serve-production sets
  it to a fresh directory) every worker writes its values to files there, and
  /metrics adds up the files of every worker, live or gone, so the counts are
  the instance's. django-prometheus would need the same multiprocess setup
  underneath (it is built on this client) and adds per-view and per-model
  metrics and middleware we have no use for: what matters here is how
  ModelArts is called, which happens below the views.
- Without PROMETHEUS_MULTIPROC_DIR (tests, `make run`) values stay in the
  process and /metrics renders the default registry. The mode is the client's
  choice at import time, so it is read once here too.
- Labels are few and bounded: an operation, a status, a format, an outcome,
  a project (projects are a configured list). Never a job id, a URL or a user.
- Names start with eventsui_; durations are seconds.

The budget (eventsui/modelarts/budget.py) records through record_budget_wait
and record_budget_exhausted.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Decided when prometheus_client was imported; the same variable decides here.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

UPSTREAM_CALLS = Counter(
    "eventsui_upstream_calls",
    "Logical calls to ModelArts and IAM (retries included), by operation and how they ended.",
    ["operation", "status"],
)
UPSTREAM_CALL_SECONDS = Histogram(
    "eventsui_upstream_call_seconds",
    "Duration of logical calls to ModelArts and IAM, retries and their waits included.",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
)
CACHE_REQUESTS = Counter(
    "eventsui_cache_requests",
    "Reads through the upstream answer cache: hit, or miss (then called or waited for).",
    ["call", "result"],
)
BUDGET_WAITS = Counter(
    "eventsui_budget_waits",
    "Calls that waited for the project's ModelArts call budget.",
    ["project"],
)
BUDGET_WAIT_SECONDS = Histogram(
    "eventsui_budget_wait_seconds",
    "How long calls waited for the ModelArts call budget.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
BUDGET_EXHAUSTED = Counter(
    "eventsui_budget_exhausted",
    "Requests answered 429 because the project's ModelArts call budget was used up.",
    ["project"],
)
EXPORTS_IN_FLIGHT = Gauge(
    "eventsui_exports_in_flight",
    "Exports streaming now, across the instance's workers.",
    multiprocess_mode="livesum",
)
EXPORT_ROWS = Counter("eventsui_export_rows", "Events written by exports.", ["format"])
EXPORTS = Counter(
    "eventsui_exports",
    "Exports by format and outcome: complete, incomplete, aborted (by the reader) or failed "
    "(before the first byte).",
    ["format", "outcome"],
)
LIVE_POLLS = Counter(
    "eventsui_live_polls",
    "Live-tail polls by outcome: new_rows, nothing_new, stopped or failed.",
    ["outcome"],
)


def operation_of(path: str) -> str:
    """The operation label of a ModelArts API path (/v2/<project>/...)."""
    if path.endswith("/events"):
        return "list_events"
    if path.endswith("/training-job-searches"):
        return "list_jobs"
    if path.rsplit("/", 2)[-2:-1] == ["training-jobs"]:
        return "get_job"
    return "other"


def status_label(status: int | None, *, failed: bool, timed_out: bool = False) -> str:
    """The status label of a call: its HTTP status, or how it failed without one.

    A failure answered with an error status is that status (429, 503); one
    without a usable status is "timeout", "connection" (no answer at all) or
    "invalid" (a 2xx answer that could not be read).
    """
    if status is not None and (not failed or status >= 300):
        return str(status)
    if timed_out:
        return "timeout"
    if failed:
        return "connection" if status is None else "invalid"
    return "unknown"


def record_upstream_call(
    operation: str,
    status: int | None,
    seconds: float,
    *,
    failed: bool = False,
    timed_out: bool = False,
) -> None:
    """One logical upstream call, once it has ended (see status_label)."""
    label = status_label(status, failed=failed, timed_out=timed_out)
    UPSTREAM_CALLS.labels(operation, label).inc()
    UPSTREAM_CALL_SECONDS.labels(operation).observe(max(0.0, seconds))


def record_cache(call: str, hit: bool) -> None:
    """A read of the upstream answer cache (call: events, job or jobs)."""
    CACHE_REQUESTS.labels(call, "hit" if hit else "miss").inc()


def record_budget_wait(project: str, seconds: float) -> None:
    """A call that waited for the project's call budget, and for how long."""
    BUDGET_WAITS.labels(project).inc()
    BUDGET_WAIT_SECONDS.observe(max(0.0, seconds))


def record_budget_exhausted(project: str) -> None:
    """A request refused with 429: the project's call budget was used up."""
    BUDGET_EXHAUSTED.labels(project).inc()


def export_started() -> None:
    EXPORTS_IN_FLIGHT.inc()


def export_ended() -> None:
    EXPORTS_IN_FLIGHT.dec()


def record_export(fmt: str, rows: int, outcome: str) -> None:
    """An export that has ended: its rows and its outcome (see EXPORTS)."""
    EXPORT_ROWS.labels(fmt).inc(rows)
    EXPORTS.labels(fmt, outcome).inc()


def record_live_poll(outcome: str) -> None:
    """A live-tail poll answered: new_rows, nothing_new, stopped or failed."""
    LIVE_POLLS.labels(outcome).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type.

    In multiprocess mode, a fresh registry that adds up every worker's files;
    otherwise this process's default registry.
    """
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
