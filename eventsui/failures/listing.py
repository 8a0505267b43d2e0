"""The failed jobs of several projects, each with its cause and reason.

What it costs in ModelArts calls, per page view (every call through the
project's CachedModelArtsClient, so inside its call budget):
- one ListTrainingJobs per project shown: filters `phase in [...]` and
  `create_time between [from_ms, to_ms]`, at most PER_PROJECT (50) jobs, page
  N of the view asking each project for its page N (offset N-1);
- per listed job, at most two ListTrainingJobEvents: the first Error event
  (level=Error, order=asc, limit=1); and, only when that leaves the cause
  user-code or unknown, the first WARNING_LIMIT Warning events (preemption,
  the maximum duration and hang detection are Warnings).
So a page costs at most P + 2 x 50 x P calls for P projects (the cache answers
repeats: a finished job's events are kept long). The job calls run in a pool
of POOL_SIZE threads (copy_context: the request's language and budget
patience go along). A project whose search fails gets a line saying why (a
budget refusal with its Retry-After); a job whose events fail keeps its row,
classified from its task statuses.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import datetime

from eventsui.modelarts import Event, EventQuery, Job, ModelArtsError, Project, get_client

from .causes import Diagnosis, diagnose
from .forms import PER_PROJECT

POOL_SIZE = 6
WARNING_LIMIT = 10


@dataclass(frozen=True)
class FailureRow:
    project: Project
    job: Job
    diagnosis: Diagnosis
    reason: str
    first_error: Event | None

    @property
    def evidence_event(self) -> Event | None:
        """The event the reason links to: the cause's first evidence, else the first Error."""
        decided = next((e.event for e in self.diagnosis.evidence if e.event is not None), None)
        return decided or self.first_error


@dataclass(frozen=True)
class ProjectProblem:
    project: Project
    error: ModelArtsError


@dataclass(frozen=True)
class Listing:
    rows: tuple[FailureRow, ...]
    problems: tuple[ProjectProblem, ...]
    more: bool  # some project has a next page


def reason(job: Job, first_error: Event | None) -> str:
    """The first Error event, or the failing task's exit code and message."""
    if first_error is not None:
        return first_error.message
    for task in job.failed_tasks:
        return f"{task.task} exited with code {task.exit_code}" + (
            f": {task.message}" if task.message else ""
        )
    return ""


def _classify(project: Project, job: Job) -> FailureRow:
    client = get_client(project)
    events: list[Event] = []
    try:
        first = client.list_events(
            project.project_id, job.id, EventQuery(level="Error", order="asc", limit=1)
        )
        events.extend(first.events)
        diagnosis = diagnose(job, events)
        if diagnosis.cause.slug in ("user-code", "unknown"):
            warnings = client.list_events(
                project.project_id,
                job.id,
                EventQuery(level="Warning", order="asc", limit=WARNING_LIMIT),
            )
            events.extend(warnings.events)
    except ModelArtsError:
        pass  # the task statuses still say something; the row stays
    first_error = next((e for e in events if e.level == "Error"), None)
    return FailureRow(project, job, diagnose(job, events), reason(job, first_error), first_error)


def list_failures(
    projects: tuple[Project, ...],
    phases: tuple[str, ...],
    window: tuple[datetime, datetime],
    page: int,
) -> Listing:
    jobs: list[tuple[Project, Job]] = []
    problems: list[ProjectProblem] = []
    more = False
    for project in projects:
        try:
            found = get_client(project).list_jobs(
                project.project_id,
                page=page - 1,
                limit=PER_PROJECT,
                phases=phases,
                created_between=window,
            )
        except ModelArtsError as exc:
            problems.append(ProjectProblem(project, exc))
            continue
        more = more or found.count > page * PER_PROJECT
        jobs.extend((project, job) for job in found.jobs[:PER_PROJECT] if job.linkable)
    with ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="failures") as pool:
        futures = [pool.submit(copy_context().run, _classify, p, j) for p, j in jobs]
        rows = [f.result() for f in futures]
    rows.sort(key=lambda r: r.job.created.timestamp() if r.job.created else 0, reverse=True)
    return Listing(tuple(rows), tuple(problems), more)
