"""The project check of project-level URLs, as core.access.job_view does for job URLs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from eventsui.core.access import project_or_404
from eventsui.core.upstream import bad_identifier
from eventsui.modelarts import Project
from eventsui.modelarts.ids import is_project_id

ProjectView = Callable[[HttpRequest, Project], HttpResponseBase]


def project_view(view: ProjectView) -> Callable[[HttpRequest, str], HttpResponseBase]:
    """A malformed project id answers 400, an unconfigured or forbidden one 404.

    Both before the view runs, so before any upstream call; the view gets the
    configured Project.
    """

    @wraps(view)
    def checked(request: HttpRequest, project_id: str) -> HttpResponseBase:
        if not is_project_id(project_id):
            return bad_identifier(request, _("project id"), _("1-64 letters, digits and hyphens"))
        return view(request, project_or_404(request, project_id))

    return checked
