from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from .grants import visible_projects


def _current_project_id(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is None:
        return ""
    if "project_id" in match.kwargs:
        return str(match.kwargs["project_id"])
    if match.url_name == "home":
        # `/` shows the first project the user may see.
        projects = visible_projects(request)
        return projects[0].project_id if projects else ""
    return ""


def access(request: HttpRequest) -> dict[str, object]:
    """The sign-in mode, and the project switcher when there is a choice to make."""
    projects = visible_projects(request)
    switcher: list[dict[str, object]] = []
    current_name = ""
    if len(projects) > 1:
        current = _current_project_id(request)
        for project in projects:
            switcher.append(
                {
                    "name": project.name,
                    "url": reverse("jobs", args=[project.project_id]),
                    "current": project.project_id == current,
                }
            )
            if project.project_id == current:
                current_name = project.name
    return {
        "auth_mode": settings.EVENTSUI_AUTH,
        "access_contact": settings.EVENTSUI_ACCESS_CONTACT,
        "project_switcher": switcher,
        "current_project_name": current_name,
    }
