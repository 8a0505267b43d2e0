"""Which projects a request may reach."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from eventsui.access.grants import visible_project
from eventsui.modelarts import Project
from eventsui.modelarts.ids import is_job_id, is_project_id

from .upstream import bad_identifier


def project_or_404(request: HttpRequest, project_id: str) -> Project:
    """The configured project, if this request may see it, or 404 without asking upstream.

    The configured list is the allowlist: the server's credentials must not
    be usable for any project id a visitor types. With sign-in on, a project
    not granted to the user answers the same 404 (never 403), so ids are not
    confirmed to outsiders.
    """
    project = visible_project(request, project_id)
    if project is None:
        raise Http404(_("No such project"))
    return project


JobView = Callable[[HttpRequest, Project, str], HttpResponseBase]


def job_view(view: JobView) -> Callable[[HttpRequest, str, str], HttpResponseBase]:
    """Check a job URL's ids and project before the view runs.

    A malformed id answers 400 and an unconfigured project 404, both before
    any upstream call; the view gets the configured Project.
    """

    @wraps(view)
    def checked(request: HttpRequest, project_id: str, job_id: str) -> HttpResponseBase:
        if not is_project_id(project_id):
            return bad_identifier(request, _("project id"), _("1-64 letters, digits and hyphens"))
        if not is_job_id(job_id):
            return bad_identifier(request, _("job id"), _("letters, digits, '-' and '_'"))
        return view(request, project_or_404(request, project_id), job_id)

    return checked
