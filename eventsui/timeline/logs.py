"""One task's log, from ModelArts' log preview (ShowTrainingJobLogsPreview).

GET /projects/<project_id>/jobs/<job_id>/logs/<task_id>/ is the whole preview
of one task; .../logs/<task_id>/tail/ is the fragment of its last TAIL_LINES
lines the timeline of a failed job loads under its events (hx-trigger="load",
so the table never waits for it; without JavaScript it is a link).

Choices:
- The page keeps the log in its own order with a "Jump to the end" link at
  the top and an anchor at the end (`#log-end`, where every link to it
  points), rather than reversing the lines: a Python traceback is printed
  innermost call last, and reversed it would read upside down, the
  exception above the frames that explain it.
- Sizes are ModelArts' own: current_size (what the preview holds, at most
  5 MB) and full_size; when the first is smaller, the page says ModelArts
  shows only the last part.
- A bad task id is a 400 and a task the job does not list (status.tasks, or
  task_statuses on servers without it) a 404, both without a log call.
- A log not ready yet (204) is a 200 with that message, one not generated or
  a region without the API a 404 with its message; neither is an error page.

Calls per view, through the cached client and the project's call budget:
1 job call (usually cached by the timeline) + 1 log call, one after the
other, since the task is checked against the job first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from eventsui.core.access import job_view
from eventsui.core.upstream import bad_identifier, upstream_error
from eventsui.modelarts import Job, ModelArtsError, get_client
from eventsui.modelarts.budget import BudgetExhausted
from eventsui.modelarts.ids import is_task_id
from eventsui.modelarts.projects import Project
from eventsui.modelarts.types import TaskLog

TAIL_LINES = 100
PAGE_TEMPLATE = "timeline/task_log.html"
TAIL_TEMPLATE = "timeline/log_tail.html"
_TASK_RULE = gettext_lazy("1-64 letters, digits, '.', '_' and '-', not starting with a dot or dash")
# What the page answers for each state of a log with no text to show.
_STATUS = {"ready": 200, "not_ready": 200, "not_generated": 404, "unavailable": 404}


def job_tasks(job: Job) -> tuple[str, ...]:
    """The job's task ids: status.tasks, else the tasks its statuses name."""
    return job.tasks or tuple(t.task for t in job.task_statuses if t.task)


def megabytes(size: int) -> str:
    """A size in bytes as the note about a cut log says it: "4.8 MB", "120 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": size}


def _read(project: Project, job_id: str, task_id: str) -> tuple[Job, TaskLog | None]:
    """The job, and the task's log if the job has that task (None if not)."""
    client = get_client(project)
    job = client.get_job(project.project_id, job_id)
    if task_id not in job_tasks(job):
        return job, None
    return job, client.get_task_log(project.project_id, job_id, task_id)


def _context(project: Project, job_id: str, task_id: str) -> dict[str, Any]:
    return {"project_id": project.project_id, "job_id": job_id, "task": task_id}


TaskView = Callable[[HttpRequest, Project, str, str], HttpResponseBase]


def task_view(view: TaskView) -> Callable[[HttpRequest, str, str, str], HttpResponseBase]:
    """job_view's checks, and the task id's before them: 400 for a bad one, asking nothing."""

    @wraps(view)
    def checked(
        request: HttpRequest, project_id: str, job_id: str, task_id: str
    ) -> HttpResponseBase:
        if not is_task_id(task_id):
            return bad_identifier(request, _("task id"), str(_TASK_RULE))

        def with_task(request: HttpRequest, project: Project, job_id: str) -> HttpResponseBase:
            return view(request, project, job_id, task_id)

        return job_view(with_task)(request, project_id, job_id)

    return checked


@task_view
@require_GET
def task_log(request: HttpRequest, project: Project, job_id: str, task_id: str) -> HttpResponse:
    context = _context(project, job_id, task_id)
    try:
        job, log = _read(project, job_id, task_id)
    except ModelArtsError as exc:
        return upstream_error(request, PAGE_TEMPLATE, context, exc)
    context["job"] = job
    if log is None:
        context["tasks"] = job_tasks(job)
        return render(request, PAGE_TEMPLATE, context, status=404)
    context.update(
        log=log,
        shown=megabytes(log.current_size),
        full=megabytes(log.full_size),
    )
    return render(request, PAGE_TEMPLATE, context, status=_STATUS[log.state])


@task_view
@require_GET
def task_log_tail(
    request: HttpRequest, project: Project, job_id: str, task_id: str
) -> HttpResponse:
    context = _context(project, job_id, task_id)
    try:
        _, log = _read(project, job_id, task_id)
    except ModelArtsError as exc:
        # A line in the tail's place; the page around it is unaffected.
        context["failure"] = exc.message
        response = render(
            request,
            TAIL_TEMPLATE,
            context,
            status=429 if isinstance(exc, BudgetExhausted) else 200,
        )
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if log is None:
        return render(request, TAIL_TEMPLATE, {**context, "missing": True}, status=404)
    context.update(log=log, tail=log.tail(TAIL_LINES), lines=TAIL_LINES)
    return render(request, TAIL_TEMPLATE, context)
