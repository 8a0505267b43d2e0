"""The jobs of a project, filtered and paged: where a visit starts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie, vary_on_headers
from django_htmx.http import push_url, reselect, reswap, retarget

from eventsui.access.grants import visible_projects
from eventsui.access.views import no_projects
from eventsui.core.forms import is_canonical
from eventsui.core.htmx import wants_fragment
from eventsui.core.pagination import PageLink
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import JobPage, ModelArtsError, Project, default_project, get_client
from eventsui.timeline.zones import viewer_zone

from .access import project_view
from .forms import (
    DEFAULT_LIMIT,
    PAGE_SIZES,
    GotoForm,
    JobFiltersForm,
    JobQuery,
    canonical_params,
    jobs_url,
)


def _pagination(path: str, query: JobQuery, found: JobPage, shown: int) -> dict[str, Any]:
    """First/Previous/Next/Last and "jobs X-Y of N", sized by `count` (jobs matching)."""
    page, limit = query.page, query.limit
    last = max(1, -(-found.count // limit))
    first = PageLink("First", jobs_url(path, query, 1) if page > 1 else None)
    return {
        "first": first,
        "links": [
            first,
            PageLink("Previous", jobs_url(path, query, min(page - 1, last)) if page > 1 else None),
            PageLink("Next", jobs_url(path, query, page + 1) if page < last else None),
            # Beyond the end too: the last page is not "already there".
            PageLink("Last", jobs_url(path, query, last) if page != last else None),
        ],
        "from_index": (page - 1) * limit + 1 if shown else 0,
        "to_index": (page - 1) * limit + shown,
        "beyond_end": page > last,
    }


def _limit_choices(form: JobFiltersForm) -> tuple[list[int], str]:
    """The page sizes offered, and the one selected (a valid size from a URL included)."""
    if form.is_valid():
        limit = form.cleaned_data["limit"] or DEFAULT_LIMIT
        return sorted({*PAGE_SIZES, limit}), str(limit)
    return list(PAGE_SIZES), str(form.data.get("limit") or DEFAULT_LIMIT)


def _browse(request: HttpRequest, project: Project) -> HttpResponse:
    """The jobs page of a project, or its results region for htmx."""
    partial = wants_fragment(request)
    template = "jobs/jobs.html#results" if partial else "jobs/jobs.html"
    path = reverse("jobs", args=[project.project_id])
    form = JobFiltersForm(request.GET)
    limit_choices, selected_limit = _limit_choices(form)
    context: dict[str, Any] = {
        "project": project,
        "project_id": project.project_id,
        # Times in the viewer's zone, as on the timeline (the cookie it sets).
        "zone": viewer_zone(request),
        "jobs_url": path,
        "form": form,
        "goto_form": GotoForm(),
        "limit_choices": limit_choices,
        "selected_limit": selected_limit,
    }
    if not form.is_valid():
        if not partial:
            return render(request, template, context, status=400)
        # The messages belong beside the fields, outside the results region:
        # swap the form and the results this once.
        response = render(request, "jobs/jobs.html", context, status=400)
        return reswap(reselect(retarget(response, "#browser"), "#browser"), "outerHTML")

    query = form.to_query()
    canonical_url = jobs_url(path, query)
    # One URL per view: empty fields and defaults are dropped, and "/" takes
    # no parameters (it is the default project's jobs page, unfiltered).
    at_home = request.path != path
    canonical = is_canonical(request.GET, canonical_params(query)) and not (at_home and request.GET)
    if not partial and not canonical:
        return HttpResponseRedirect(canonical_url)

    context.update(query=query, canonical_url=canonical_url)
    try:
        found = get_client(project).list_jobs(
            project.project_id,
            page=query.upstream_page,
            limit=query.limit,
            name=query.name,
            phases=query.phases,
        )
    except ModelArtsError as exc:
        response = upstream_error(request, template, context, exc)
    else:
        rows = found.jobs[: query.limit]
        context.update(found=found, rows=rows, pages=_pagination(path, query, found, len(rows)))
        response = render(request, template, context)
    if partial:
        # The canonical URL, not the form's raw one, goes into the address bar.
        response = push_url(response, canonical_url)
    return response


@project_view
@require_GET
@vary_on_headers("HX-Request")
@vary_on_cookie
def jobs(request: HttpRequest, project: Project) -> HttpResponse:
    return _browse(request, project)


@require_GET
@vary_on_headers("HX-Request")
@vary_on_cookie
def home(request: HttpRequest) -> HttpResponse:
    """The jobs page of the first project the user may see, or why there is none."""
    if default_project() is None:
        return render(request, "jobs/home.html", {"project_id": ""})
    projects = visible_projects(request)
    if not projects:
        return no_projects(request)
    return _browse(request, projects[0])
