"""Turn what ModelArts really sends into typed results.

The documentation and the service disagree in places (counts typed String in
the docs and int in the example; source spelled K8S and K8s; error bodies with
error_msg or error_message), so every reader here accepts both forms and
raises WrongShape for anything it cannot make sense of.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .types import (
    LEVELS,
    SOURCES,
    Event,
    EventPage,
    Job,
    JobPage,
    Order,
    TaskLog,
    TaskStatus,
)


class WrongShape(ValueError):
    """The body is JSON, but not the JSON this call answers with."""


_LEVELS_BY_FOLD = {level.casefold(): level for level in LEVELS}
_SOURCES_BY_FOLD = {source.casefold(): source for source in SOURCES}


def normalise_level(value: str) -> str:
    return _LEVELS_BY_FOLD.get(value.strip().casefold(), value.strip())


def normalise_source(value: str) -> str:
    return _SOURCES_BY_FOLD.get(value.strip().casefold(), value.strip())


def parse_count(value: Any, name: str, default: int | None = None) -> int:
    """An int the upstream may send as a number or a numeric string."""
    if value is None or value == "":
        if default is None:
            raise WrongShape(f"missing {name}")
        return default
    if isinstance(value, bool):
        raise WrongShape(f"{name} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value.strip())
        except ValueError:  # "--5", or digits int() does not read, such as "²"
            pass
    raise WrongShape(f"{name} is not a number")


def parse_iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time with an offset, as events carry; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # The upstream always sends an offset; a time without one is not
        # guessed at, as any zone we picked could be hours off.
        return None
    return parsed


def parse_epoch_ms(value: Any) -> datetime | None:
    """Epoch milliseconds (job create/start times); 0 means never."""
    try:
        millis = parse_count(value, "time", default=0)
    except WrongShape:
        return None
    if millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):  # beyond the years datetime holds
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def parse_event(raw: Any) -> Event:
    if not isinstance(raw, Mapping):
        raise WrongShape("an event is not an object")
    time_text = _text(raw.get("time"))
    return Event(
        time=parse_iso_time(time_text),
        time_text=time_text,
        level=normalise_level(_text(raw.get("level"))),
        source=normalise_source(_text(raw.get("source"))),
        message=_text(raw.get("message")),
    )


def parse_event_page(body: Any, *, requested_order: Order) -> EventPage:
    if not isinstance(body, Mapping):
        raise WrongShape("the body is not an object")
    raw_events = body.get("events")
    if raw_events is None:
        raw_events = []
    if not isinstance(raw_events, list):
        raise WrongShape("events is not a list")
    events = tuple(parse_event(raw) for raw in raw_events)
    offset = parse_count(body.get("offset"), "offset", default=0)
    limit = parse_count(body.get("limit"), "limit", default=len(events))
    # A missing total is read as "what we can see", never as zero, so a
    # page with rows still shows them.
    total = parse_count(body.get("total"), "total", default=len(events))
    # The order the server says it used, if it says; else the one asked for.
    order_value = _text(body.get("order")).lower()
    order: Order = (
        "asc" if order_value == "asc" else "desc" if order_value == "desc" else requested_order
    )
    return EventPage(total=total, offset=offset, limit=limit, order=order, events=events)


def parse_job(raw: Any) -> Job:
    if not isinstance(raw, Mapping):
        raise WrongShape("a job is not an object")
    metadata = raw.get("metadata") or {}
    status = raw.get("status") or {}
    spec = raw.get("spec") or {}
    if not isinstance(metadata, Mapping) or not isinstance(status, Mapping):
        raise WrongShape("job metadata or status is not an object")
    job_id = _text(metadata.get("id"))
    if not job_id:
        raise WrongShape("a job has no id")
    resource = spec.get("resource") if isinstance(spec, Mapping) else None
    resource = resource if isinstance(resource, Mapping) else {}
    task_statuses = []
    raw_statuses = status.get("task_statuses")
    for item in raw_statuses if isinstance(raw_statuses, list) else []:
        if isinstance(item, Mapping):
            try:
                exit_code: int | None = parse_count(item.get("exit_code"), "exit_code")
            except WrongShape:
                exit_code = None
            task_statuses.append(
                TaskStatus(
                    task=_text(item.get("task")),
                    exit_code=exit_code,
                    message=_text(item.get("message")),
                )
            )
    duration: int | None
    try:
        duration = parse_count(status.get("duration"), "duration")
    except WrongShape:
        duration = None
    node_count: int | None
    try:
        node_count = parse_count(resource.get("node_count"), "node_count")
    except WrongShape:
        node_count = None
    raw_tasks = status.get("tasks")
    tasks = tuple(
        name
        for name in (_text(t) for t in (raw_tasks if isinstance(raw_tasks, list) else []))
        if name
    )
    return Job(
        id=job_id,
        name=_text(metadata.get("name")) or job_id,
        phase=_text(status.get("phase")) or "Unknown",
        secondary_phase=_text(status.get("secondary_phase")),
        description=_text(metadata.get("description")),
        user_name=_text(metadata.get("user_name")),
        created=parse_epoch_ms(metadata.get("create_time")),
        started=parse_epoch_ms(status.get("start_time")),
        duration_ms=duration,
        flavor=_text(resource.get("flavor_name") or resource.get("flavor_id")),
        node_count=node_count,
        task_statuses=tuple(task_statuses),
        tasks=tasks,
    )


def parse_job_page(body: Any) -> JobPage:
    if not isinstance(body, Mapping):
        raise WrongShape("the body is not an object")
    items = body.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise WrongShape("items is not a list")
    jobs = tuple(parse_job(item) for item in items)
    total = parse_count(body.get("total"), "total", default=len(jobs))
    return JobPage(
        count=parse_count(body.get("count"), "count", default=total),
        total=total,
        offset=parse_count(body.get("offset"), "offset", default=0),
        limit=parse_count(body.get("limit"), "limit", default=len(jobs)),
        jobs=jobs,
    )


def parse_task_log(body: Any) -> TaskLog:
    """A log preview: `content`, or `context` as servers before 2022-03 named it.

    No body at all is the 204 that answers ModelArts.2776 NotReadyToFetchLog.
    Sizes missing or unreadable default to the text's own size in bytes.
    """
    if body is None:
        return TaskLog(state="not_ready")
    if not isinstance(body, Mapping):
        raise WrongShape("the body is not an object")
    raw = body.get("content")
    if raw is None:
        raw = body.get("context")
    if raw is not None and not isinstance(raw, str):
        raise WrongShape("the log content is not text")
    # Lines end in \n here: a Windows line end would otherwise show as a
    # visible \x0d marker on every line (a lone \r, a progress bar's, stays).
    text = (raw or "").replace("\r\n", "\n")
    own_size = len((raw or "").encode())
    try:
        current = parse_count(body.get("current_size"), "current_size", default=own_size)
    except WrongShape:
        current = own_size
    try:
        full = parse_count(body.get("full_size"), "full_size", default=current)
    except WrongShape:
        full = current
    return TaskLog(state="ready", text=text, current_size=current, full_size=max(full, current))


def parse_error_body(body: Any) -> tuple[str, str]:
    """(error_code, error_msg) from any of the error shapes seen upstream."""
    if not isinstance(body, Mapping):
        return "", ""
    for code_key, msg_keys in (
        ("error_code", ("error_msg", "error_message")),
        ("errorCode", ("errorMsg", "errorMessage")),
        ("code", ("message", "msg")),
    ):
        if code_key in body:
            message = next((body[k] for k in msg_keys if k in body), "")
            return _text(body[code_key])[:100], _text(message)[:500]
    # Some gateways nest the error one level down: {"error": {...}}.
    for value in body.values():
        if isinstance(value, Mapping):
            nested = parse_error_body(value)
            if nested != ("", ""):
                return nested
    return "", ""
