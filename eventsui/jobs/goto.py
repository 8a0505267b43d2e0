"""The go-to-job box: a job id, a pasted console link or a job's name, to that job's events.

A UUID (typed, or anywhere in a console link) goes straight to its events,
asking ModelArts nothing: whether the job exists is the events page's to say.
Anything else that could be a job name (1-64 letters, digits, '-' or '_') is
looked up with one ListTrainingJobs call (the `name` `like` filter, the first
50 matches, newest first): one match, or one job whose name is exactly what was
typed, goes there; several are listed, each linking to its events; none says
so, with a link to open the text as a job id (ids need not be UUIDs).
Cost: 0 calls for an id or a link, 1 job search for a name.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Job, ModelArtsError, Project, get_client
from eventsui.timeline.zones import viewer_zone

from .access import project_view
from .forms import MAX_LIMIT, NAME_RE, UUID_RE, GotoForm, JobQuery, jobs_url


def _chosen(name: str, jobs: tuple[Job, ...]) -> Job | None:
    """The job a name search lands on: the only match, else the only exact name."""
    linkable = [job for job in jobs if job.linkable]
    if len(linkable) == 1:
        return linkable[0]
    exact = [job for job in linkable if job.name == name]
    return exact[0] if len(exact) == 1 else None


@project_view
@require_GET
def goto(request: HttpRequest, project: Project) -> HttpResponse:
    """Redirect to the events of the job named in ?job=, or list the jobs so named."""
    form = GotoForm(request.GET)
    context = {"project_id": project.project_id, "goto_form": form}
    if not form.is_valid():
        return render(request, "jobs/goto.html", context, status=400)
    text: str = form.cleaned_data["job"]
    if UUID_RE.fullmatch(text) or not NAME_RE.fullmatch(text):
        return HttpResponseRedirect(reverse("events", args=[project.project_id, text]))
    context |= {"name": text, "zone": viewer_zone(request)}
    try:
        found = get_client(project).list_jobs(project.project_id, name=text, limit=MAX_LIMIT)
    except ModelArtsError as exc:
        return upstream_error(request, "jobs/goto.html", context, exc)
    chosen = _chosen(text, found.jobs)
    if chosen is not None:
        return HttpResponseRedirect(reverse("events", args=[project.project_id, chosen.id]))
    path = reverse("jobs", args=[project.project_id])
    context |= {
        "found": found,
        "matches": found.jobs,
        "all_matches_url": jobs_url(path, JobQuery(name=text, limit=MAX_LIMIT)),
    }
    return render(request, "jobs/goto.html", context)
