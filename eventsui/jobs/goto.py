"""The go-to-job box: a job id or a pasted console link, to that job's events."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from eventsui.modelarts import Project

from .access import project_view
from .forms import GotoForm


@project_view
@require_GET
def goto(request: HttpRequest, project: Project) -> HttpResponse:
    """Redirect to the events of the job named in ?job=, asking ModelArts nothing.

    Whether the job exists is the events page's to say (404 Job not found).
    """
    form = GotoForm(request.GET)
    if not form.is_valid():
        context = {"project_id": project.project_id, "goto_form": form}
        return render(request, "jobs/goto.html", context, status=400)
    return HttpResponseRedirect(
        reverse("events", args=[project.project_id, form.cleaned_data["job"]])
    )
