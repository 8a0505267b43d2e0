from __future__ import annotations

from django.http import HttpRequest

from eventsui.access.grants import visible_project
from eventsui.modelarts import uses_sandbox


def upstream(request: HttpRequest) -> dict[str, object]:
    """Whether this page shows sandbox data, which every page must say."""
    match = request.resolver_match
    project_id = match.kwargs.get("project_id") if match else None
    # A project the user may not see must not show through its badge either.
    project = visible_project(request, project_id) if project_id else None
    return {"sandbox": project.sandbox if project else uses_sandbox()}
