"""The events timeline of one training job."""

from __future__ import annotations

import functools
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie, vary_on_headers
from django_htmx.http import push_url, reselect, reswap, retarget

from eventsui.core.access import job_view
from eventsui.core.forms import encode, is_canonical, with_query
from eventsui.core.htmx import wants_fragment
from eventsui.core.pagination import PageLink
from eventsui.core.upstream import upstream_error
from eventsui.modelarts import Event, EventPage, EventQuery, Job, ModelArtsError, get_client
from eventsui.modelarts.projects import Project
from eventsui.modelarts.scan import ScanResult

from . import banner as job_banner
from . import live as live_tail
from .anchors import anchors
from .folding import fold_rows
from .forms import PAGE_SIZES, EventFiltersForm, canonical_params
from .range_links import navigation as range_navigation
from .ranges import job_end
from .search import LocalFilters, context_link_base, read_page
from .times import format_picker_value
from .zones import ViewerZone, viewer_zone

logger = logging.getLogger(__name__)


def _page_url(
    path: str,
    query: EventQuery,
    offset: int,
    mark: str = "",
    *,
    fold: bool = False,
    live: bool = False,
    local: LocalFilters | None = None,
) -> str:
    params = canonical_params(
        replace(query, offset=offset), mark, fold=fold, live=live, local=local
    )
    qs = encode(params)
    return f"{path}?{qs}" if qs else path


def _pagination(
    path: str,
    query: EventQuery,
    page: EventPage,
    mark: str = "",
    *,
    fold: bool = False,
    live: bool = False,
    local: LocalFilters | None = None,
) -> dict[str, Any]:
    page_url = functools.partial(_page_url, fold=fold, live=live, local=local)
    limit, offset, total = query.limit, query.offset, page.total
    last = max(0, (total - 1) // limit * limit)
    has_prev = offset > 0
    has_next = offset + limit < total
    beyond_end = offset > 0 and offset >= total
    first = PageLink("First", page_url(path, query, 0, mark) if has_prev else None)
    return {
        "first": first,
        "links": [
            first,
            PageLink(
                "Previous",
                page_url(path, query, max(0, offset - limit), mark) if has_prev else None,
            ),
            PageLink(
                "Next",
                page_url(path, query, offset + limit, mark) if has_next else None,
            ),
            # Beyond the end too: the last page is not "already there".
            PageLink(
                "Last",
                page_url(path, query, last, mark) if has_next or beyond_end else None,
            ),
        ],
        "from_index": offset + 1 if page.events else 0,
        "to_index": offset + len(page.events),
        "beyond_end": beyond_end,
    }


def _rows(
    path: str,
    query: EventQuery,
    page: EventPage,
    *,
    fold: bool = False,
    local: LocalFilters | None = None,
) -> list[tuple[Event, str, str]]:
    """Each event with its anchor and its permalink: this view, marking that row."""
    ids = anchors(page.events, page.order)
    # `mark` is the last parameter of a canonical URL and anchors need no
    # escaping, so one URL built here serves every row (the canonical form,
    # as _page_url would build it, without a hundred rebuilds of it).
    base = _page_url(path, query, query.offset, fold=fold, local=local)
    joiner = "&" if "?" in base else "?"
    return [
        (event, anchor, f"{base}{joiner}mark={anchor}#{anchor}")
        for event, anchor in zip(page.events, ids, strict=True)
    ]


def _table_key(canonical_url: str, zone: object, page: EventPage) -> str:
    """What the events table shows, as a key for its cached HTML.

    The table is the costly part of the page to render (a hundred rows of
    filters and links); it is a function of the view's URL, the viewer's zone
    and the events themselves, so a digest of those names it exactly.
    """
    material = repr((canonical_url, repr(zone), page.events)).encode()
    return hashlib.sha256(material).hexdigest()


# Fetches the job heading beside the events call, so a full page waits for
# the slower of the two upstream calls rather than for both in a row.
_heading_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="job-heading")


def _job_heading(project: Project, job_id: str) -> Job | None:
    """The job's name and phase for the heading; the timeline works without it."""
    try:
        return get_client(project).get_job(project.project_id, job_id)
    except ModelArtsError as exc:
        logger.info("job heading unavailable: %s", type(exc).__name__)
        return None


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], partial: bool
) -> HttpResponse:
    """The filters' messages, status 400; nothing (more) is asked of ModelArts."""
    context["picker"] = {
        "start_time": request.GET.get("start_time", ""),
        "end_time": request.GET.get("end_time", ""),
    }
    if not partial:
        return render(request, template, context, status=400)
    # The messages belong next to the fields, which sit outside the
    # results region: swap the form and the results this once (the job
    # heading stays, since it is not fetched for a refused query).
    response = render(request, "timeline/events.html", context, status=400)
    return reswap(reselect(retarget(response, "#timeline"), "#timeline"), "outerHTML")


@dataclass(frozen=True)
class _View:
    """What one timeline view shows, as read from its URL."""

    project_id: str
    job_id: str
    path: str
    query: EventQuery
    local: LocalFilters
    mark: str
    fold: bool
    live: bool
    relative: str


def _results(
    view: _View,
    page: EventPage,
    scan: ScanResult | None,
    canonical_url: str,
    zone: ViewerZone,
    job: Job | None,
) -> dict[str, Any]:
    """The results region's context: rows and their links, paging, folds and live tail."""
    query, local, mark, fold = view.query, view.local, view.mark, view.fold
    rows = _rows(view.path, query, page, fold=fold, local=local)
    context: dict[str, Any] = {
        "page": page,
        "pages": _pagination(view.path, query, page, mark, fold=fold, live=view.live, local=local),
        "rows": rows,
        "scan": scan,
        "local": local,
        "hl": local.highlight(query),
        "context_base": context_link_base(view.project_id, view.job_id, query, local),
        "mark": mark,
        "fold": fold,
        "table_key": _table_key(canonical_url, zone, page),
        "live": live_tail.page_context(
            project_id=view.project_id,
            job_id=view.job_id,
            query=query,
            page=page,
            rows=rows,
            enabled=view.live,
            fold=fold,
            relative=view.relative,
            job=job,
        ),
    }
    if fold:
        context["folds"] = fold_rows(rows, mark)
    return context


@job_view
@require_GET
@vary_on_headers("HX-Request")
@vary_on_cookie  # the viewer's time zone (zones.py)
def events(request: HttpRequest, project: Project, job_id: str) -> HttpResponse:
    project_id = project.project_id

    partial = wants_fragment(request)
    template = "timeline/events.html#results" if partial else "timeline/events.html"
    zone = viewer_zone(request)
    form = EventFiltersForm(request.GET, zone=zone.tz)
    # Every link is built from the route, not request.path: reverse() escapes
    # a leading "//" that a SCRIPT_NAME could add, so no link names another host.
    path = reverse("events", args=[project_id, job_id])
    context: dict[str, Any] = {
        "zone": zone,
        "project_id": project_id,
        "job_id": job_id,
        "form": form,
        "page_sizes": PAGE_SIZES,
        "events_path": path,
    }
    if not form.is_valid():
        return _refused(request, template, context, partial)

    # A finished job's presets count back from its last event, not from now.
    ended = job_end(project, job_id) if form.range_key else None
    form.count_back_from(ended)
    query = form.to_query()
    local = form.local_filters()
    mark = form.cleaned_data["mark"]
    fold = form.cleaned_data["fold"] == "1"
    # Live tail follows ModelArts' own filters only: not with filters applied here.
    live = form.cleaned_data["live"] == "1" and not local.active
    params = canonical_params(
        query, mark, fold=fold, live=live, relative=form.range_key, local=local
    )
    canonical_url = with_query(path, params)
    if not partial and not is_canonical(request.GET, params):
        # One URL per view: empty fields, defaults and naive times from the
        # plain form become the short absolute link that gets shared.
        return HttpResponseRedirect(canonical_url)

    context.update(
        query=query,
        canonical_url=canonical_url,
        picker={
            "start_time": format_picker_value(query.start, zone.tz),
            "end_time": format_picker_value(query.end, zone.tz),
        },
    )
    context.update(
        range_navigation(
            request, path, query, form.range_key, mark, fold=fold, local=local, ended=ended
        )
    )
    # copy_context: the call in the pool's thread carries this request's X-Language.
    heading = (
        None if partial else _heading_pool.submit(copy_context().run, _job_heading, project, job_id)
    )
    if local.worker:
        # Checked against the job's own tasks before any events call.
        job = heading.result() if heading is not None else _job_heading(project, job_id)
        if job is not None and not form.check_worker(job.tasks):
            context["job"] = None if partial else job
            return _refused(request, template, context, partial)
    # The banner's events calls (banner.py) start once the job is known, beside this page's.
    banner = job_banner.submit(project, heading) if heading is not None else None
    try:
        page, scan = read_page(get_client(project), project_id, job_id, query, local)
    except ModelArtsError as exc:
        failure: ModelArtsError | None = exc
    else:
        failure = None
    if heading is not None:
        # Waited for even when the events failed: the heading still names
        # the job, and no upstream call outlives the request that made it.
        context["job"] = heading.result()
    if banner is not None:
        context["banner"] = banner.result()
        if context["job"] is not None:
            form.offer_workers(context["job"].tasks)
    if failure is not None:
        response = upstream_error(request, template, context, failure)
    else:
        view = _View(project_id, job_id, path, query, local, mark, fold, live, form.range_key)
        context.update(_results(view, page, scan, canonical_url, zone, context.get("job")))
        response = render(request, template, context)
    if partial:
        # Push the canonical URL, not the form's raw one, so Back, Reload
        # and a copied address all show this view.
        response = push_url(response, canonical_url)
    return response
