"""The banner under a job's name: why it failed, or what it waits for, from its events.

What it shows:
- Failed: the tasks that exited with a non-zero code, the earliest failure
  first, that one marked as the likely cause. A task's failure time is the
  first Error event whose message starts with `[<task>]` or names its pod
  (`[Pod: ...-<task>]`); `status.task_statuses` has no time. Tasks without
  such an event follow, in ModelArts' order.
- Abnormal: the phase and secondary phase, and the reason its events give:
  its first Error event (else its newest Warning), since that event's time.
- Pending: what it waits for (its newest Warning or Error event, else its
  newest event) and since when (the first of the same message on the page).
- Each with the cause classified from the same events
  (eventsui.failures.causes.diagnose), its explanation and what to try.

What it costs in ModelArts calls, beside the job call the heading makes
anyway, all through the cached client and the project's call budget:
- Failed: 2, the job's Error and Warning events, oldest first, one page of
  100 each, run at the same time; a finished job's answers are cached long.
- Abnormal or Pending: 1, one page of the newest 100 events.
- Any other phase: none.
They run in the heading's thread (views.py), so beside the page's own events
call. A failed call leaves the banner with what the job record says (the
phase, the exit codes without times), never a failed page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextvars import copy_context
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from eventsui.failures.causes import Diagnosis, Evidence, diagnose
from eventsui.modelarts import Event, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import MAX_PAGE_SIZE

logger = logging.getLogger(__name__)

PAGE = MAX_PAGE_SIZE
# A "[Job: ...] " or "[Pod: ...] " prefix: the banner says what happened, not to which object.
_OBJECT_PREFIX = re.compile(r"^\[(?:Job|Pod): [^\]]*\]\s*")

BannerKind = Literal["failed", "abnormal", "pending"]

# Two pools, so no task waits on a task queued behind it in its own pool: a
# banner waits for the heading's job (views.py's pool) and for its Error
# events call (_calls), and those wait on nothing.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="job-banner")
_calls = ThreadPoolExecutor(max_workers=8, thread_name_prefix="job-banner-call")


@dataclass(frozen=True)
class FailedTask:
    task: str
    exit_code: int | None
    message: str
    # The first Error event naming the task, and its time; None without one.
    event: Event | None = None
    likely_cause: bool = False

    @property
    def failed_at(self) -> datetime | None:
        return self.event.time if self.event is not None else None


@dataclass(frozen=True)
class Banner:
    kind: BannerKind
    phase: str
    secondary_phase: str = ""
    tasks: tuple[FailedTask, ...] = ()
    # Abnormal and Pending: what the events say, without its object prefix.
    reason: str = ""
    since: datetime | None = None
    diagnosis: Diagnosis | None = None
    # False when the events could not be read: the banner then says less.
    events_read: bool = True
    # The task whose log tail the timeline shows under its events.
    log_task: str | None = None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The diagnosis' evidence, each text once (a repeated event says one thing)."""
        if self.diagnosis is None:
            return ()
        first = {e.text: e for e in reversed(self.diagnosis.evidence)}
        return tuple(first[text] for text in dict.fromkeys(e.text for e in self.diagnosis.evidence))


def names_task(event: Event, task: str) -> bool:
    """Whether an event is about one task: `[worker-1] ...` or its pod `[Pod: ...-worker-1]`."""
    message = event.message
    if message.startswith(f"[{task}]"):
        return True
    return re.match(rf"\[Pod: [^\]\s]*-{re.escape(task)}\]", message) is not None


def _first_error(task: str, errors: Sequence[Event]) -> Event | None:
    """The first Error event naming the task; errors are oldest first."""
    return next((e for e in errors if e.time is not None and names_task(e, task)), None)


def order_tasks(job: Job, errors: Sequence[Event]) -> tuple[FailedTask, ...]:
    """The failed tasks, the earliest failure first and marked; untimed ones after."""
    found = [
        FailedTask(t.task, t.exit_code, t.message, _first_error(t.task, errors))
        for t in job.failed_tasks
    ]
    timed = sorted((f for f in found if f.failed_at is not None), key=_failed_at)
    untimed = [f for f in found if f.event is None]
    if timed:
        first = timed[0]
        timed[0] = FailedTask(first.task, first.exit_code, first.message, first.event, True)
    return (*timed, *untimed)


def _failed_at(failed: FailedTask) -> datetime:
    assert failed.failed_at is not None
    return failed.failed_at


def _log_task(job: Job, tasks: Sequence[FailedTask], errors: Sequence[Event]) -> str | None:
    """The likely cause's task, else the first failed one, else the first one an error names."""
    if tasks:
        return tasks[0].task
    return next((t for e in errors for t in job.tasks if names_task(e, t)), None)


def short(message: str) -> str:
    """An event's message without its `[Job: ...]`/`[Pod: ...]` prefix."""
    return _OBJECT_PREFIX.sub("", message, count=1)


def failed_banner(job: Job, errors: Sequence[Event], warnings: Sequence[Event]) -> Banner:
    """A Failed job's banner from its Error and Warning events, each oldest first."""
    tasks = order_tasks(job, errors)
    timeline = sorted([*errors, *warnings], key=_oldest_first)
    return Banner(
        kind="failed",
        phase=job.phase,
        secondary_phase=job.secondary_phase,
        tasks=tasks,
        diagnosis=diagnose(job, timeline),
        log_task=_log_task(job, tasks, errors),
    )


def waiting_banner(job: Job, newest: Sequence[Event]) -> Banner:
    """An Abnormal or Pending job's banner from a page of its newest events."""
    oldest_first = sorted(newest, key=_oldest_first)
    kind: BannerKind = "pending" if job.phase == "Pending" else "abnormal"
    reason: Event | None
    if kind == "abnormal":
        reason = next((e for e in oldest_first if e.level == "Error"), None)
        reason = reason or next((e for e in reversed(oldest_first) if e.level == "Warning"), None)
        since = reason.time if reason is not None else None
    else:
        alarms = [e for e in oldest_first if e.level in ("Warning", "Error")]
        reason = alarms[-1] if alarms else (oldest_first[-1] if oldest_first else None)
        # Since the first time the page says the same thing.
        text = short(reason.message) if reason is not None else ""
        since = next((e.time for e in oldest_first if e.time and short(e.message) == text), None)
    tasks = order_tasks(job, [e for e in oldest_first if e.level == "Error"])
    return Banner(
        kind=kind,
        phase=job.phase,
        secondary_phase=job.secondary_phase,
        tasks=tasks,
        # Without its full stop: the banner's sentence ends it.
        reason=short(reason.message).rstrip(". ") if reason is not None else "",
        since=since,
        diagnosis=diagnose(job, oldest_first),
        log_task=tasks[0].task if tasks else None,
    )


def _oldest_first(event: Event) -> tuple[bool, float]:
    # Events without a readable time go last, as they cannot be placed.
    return (event.time is None, event.time.timestamp() if event.time is not None else 0.0)


def _events(
    client: ModelArtsClient, project_id: str, job_id: str, query: EventQuery
) -> list[Event]:
    return list(client.list_events(project_id, job_id, query).events)


def job_banner(client: ModelArtsClient, project_id: str, job: Job) -> Banner | None:
    """The banner of a job (see the module docstring for its calls), or None for none."""
    if job.phase not in ("Failed", "Abnormal", "Pending"):
        return None
    try:
        if job.phase == "Failed":
            errors = _calls.submit(
                copy_context().run,
                _events,
                client,
                project_id,
                job.id,
                EventQuery(level="Error", order="asc", limit=PAGE),
            )
            try:
                warnings = _events(
                    client, project_id, job.id, EventQuery(level="Warning", order="asc", limit=PAGE)
                )
            finally:
                # Waited for even when this one failed: no call outlives the request.
                wait([errors])
            return failed_banner(job, errors.result(), warnings)
        newest = _events(client, project_id, job.id, EventQuery(order="desc", limit=PAGE))
        return waiting_banner(job, newest)
    except ModelArtsError as exc:
        logger.info("job banner without events: %s", type(exc).__name__)
        if job.phase == "Pending":
            return None  # nothing to say beyond the phase the heading shows
        tasks = order_tasks(job, ())
        return Banner(
            kind="failed" if job.phase == "Failed" else "abnormal",
            phase=job.phase,
            secondary_phase=job.secondary_phase,
            tasks=tasks,
            events_read=False,
            log_task=tasks[0].task if tasks else None,
        )


def submit(project: Project, heading: Future[Job | None]) -> Future[Banner | None]:
    """The banner of the job the heading's call fetches, computed beside the page's calls."""
    # copy_context: the calls carry this request's X-Language and budget patience.
    return _pool.submit(copy_context().run, _after_heading, project, heading)


def _after_heading(project: Project, heading: Future[Job | None]) -> Banner | None:
    job = heading.result()
    if job is None:
        return None
    return job_banner(get_client(project), project.project_id, job)
