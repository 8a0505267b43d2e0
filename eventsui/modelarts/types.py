"""Typed results of the ModelArts calls: what views get instead of JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from .ids import is_job_id

Order = Literal["asc", "desc"]

# The upstream's spellings. Level is capitalised; source comes back as K8S or
# K8s (both in the API's own example), so it is normalised to these.
LEVELS = ("Info", "Warning", "Error")
SOURCES = ("K8S", "Job", "Task")
ORDERS: tuple[Order, ...] = ("desc", "asc")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_PATTERN_LENGTH = 256


@dataclass(frozen=True)
class EventQuery:
    """One page request for a job's events; offset counts records, not pages."""

    level: str | None = None
    source: str | None = None
    pattern: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    order: Order = "desc"
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Event:
    # None when the upstream sent a time we could not read; time_text keeps
    # what it sent so the row can still show it.
    time: datetime | None
    time_text: str
    level: str
    source: str
    message: str


@dataclass(frozen=True)
class EventPage:
    total: int
    offset: int
    limit: int
    order: Order
    events: tuple[Event, ...]
    # Set when the upstream returned events of other sources although a source
    # was asked for: the docs list the parameter but the SDKs do not, so the
    # server may ignore it. Rows are then filtered here and counts are not.
    source_filter_ignored: bool = False


@dataclass(frozen=True)
class TaskStatus:
    task: str
    exit_code: int | None
    message: str


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    phase: str
    secondary_phase: str = ""
    description: str = ""
    user_name: str = ""
    created: datetime | None = None
    started: datetime | None = None
    duration_ms: int | None = None
    flavor: str = ""
    node_count: int | None = None
    task_statuses: tuple[TaskStatus, ...] = field(default=())
    # status.tasks: the job's task ids ("worker-0", ...), in ModelArts' order.
    tasks: tuple[str, ...] = field(default=())

    @property
    def linkable(self) -> bool:
        """Whether the id can go into one of our URLs (the upstream's ids always can)."""
        return is_job_id(self.id)

    @property
    def failed(self) -> bool:
        return self.phase in ("Failed", "Abnormal")

    @property
    def finished(self) -> bool:
        return self.phase in ("Failed", "Completed", "Terminated", "Abnormal")

    @property
    def failed_tasks(self) -> tuple[TaskStatus, ...]:
        """The tasks that exited with a non-zero code."""
        return tuple(t for t in self.task_statuses if t.exit_code)

    @property
    def ended(self) -> datetime | None:
        """When a finished job ended: its start (or creation) plus its duration."""
        start = self.started or self.created
        if not self.finished or start is None:
            return None
        return start + timedelta(milliseconds=self.duration_ms or 0)


@dataclass(frozen=True)
class JobPage:
    # count: jobs matching the filters (what pagination needs); total counts
    # all of the user's jobs, which the docs warn is not the same thing.
    count: int
    total: int
    offset: int
    limit: int
    jobs: tuple[Job, ...]


LogState = Literal["ready", "not_ready", "not_generated", "unavailable"]
# ModelArts shows at most the last 5 MB of a task's log in a preview.
MAX_LOG_PREVIEW_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class TaskLog:
    """One task's log preview (ShowTrainingJobLogsPreview), or why there is none.

    state: "ready" (text holds the log), "not_ready" (ModelArts.2776, answered
    204: the job has not written it yet), "not_generated" (ModelArts.2818) or
    "unavailable" (the region has no such API: 404 APIGW.0101).
    """

    state: LogState
    text: str = ""
    # Bytes: current_size is what the preview holds (at most 5 MB), full_size
    # the whole log; current_size < full_size means ModelArts cut its head.
    current_size: int = 0
    full_size: int = 0

    @property
    def cut(self) -> bool:
        return self.full_size > self.current_size

    def tail(self, lines: int) -> str:
        """The last `lines` lines of the text."""
        if lines <= 0:
            return ""
        # rsplit with a bound: a 5 MB log is not cut into a hundred thousand lines.
        return "\n".join(self.text.rstrip("\n").rsplit("\n", lines)[-lines:])
