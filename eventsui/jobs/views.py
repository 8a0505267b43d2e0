"""The jobs of the default project: where a visit starts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from eventsui.core.upstream import upstream_error
from eventsui.modelarts import ModelArtsError, default_project, get_client


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    project = default_project()
    context: dict[str, object] = {"project_id": project.project_id if project else ""}
    if project is None:
        return render(request, "jobs/home.html", context)
    try:
        context["jobs"] = get_client(project).list_jobs(project.project_id, limit=50)
    except ModelArtsError as exc:
        return upstream_error(request, "jobs/home.html", context, exc)
    return render(request, "jobs/home.html", context)
