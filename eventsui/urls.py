from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from eventsui.access import views as access_views
from eventsui.core import language as core_language
from eventsui.core import views as core_views
from eventsui.failures import views as failures_views
from eventsui.jobs import goto as jobs_goto
from eventsui.jobs import views as jobs_views
from eventsui.timeline import context as timeline_context
from eventsui.timeline import export as timeline_export
from eventsui.timeline import failure as timeline_failure
from eventsui.timeline import histogram as timeline_histogram
from eventsui.timeline import live as timeline_live
from eventsui.timeline import logs as timeline_logs
from eventsui.timeline import patterns as timeline_patterns
from eventsui.timeline import views as timeline_views

urlpatterns = [
    path("", jobs_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("language/", core_language.set_language, name="set_language"),
    # Sign-in pages answer only when EVENTSUI_AUTH asks for them; the admin
    # (grants, users, groups) is for staff in every mode.
    path("accounts/", include("eventsui.access.urls")),
    path("admin/login/", access_views.admin_login),
    path("admin/", admin.site.urls),
    path("projects/<str:project_id>/jobs/", jobs_views.jobs, name="jobs"),
    path("failures/", failures_views.failures, name="failures"),
    path("projects/<str:project_id>/goto/", jobs_goto.goto, name="job_goto"),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/",
        timeline_views.events,
        name="events",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/export/",
        timeline_export.export,
        name="events_export",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/histogram/",
        timeline_histogram.histogram,
        name="events_histogram",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/histogram/page/",
        timeline_histogram.histogram_page,
        name="events_histogram_page",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/live/",
        timeline_live.live_events,
        name="events_live",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/context/",
        timeline_context.event_context,
        name="events_context",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/patterns/",
        timeline_patterns.patterns,
        name="events_patterns",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/failure/",
        timeline_failure.failure,
        name="job_failure",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/logs/<str:task_id>/",
        timeline_logs.task_log,
        name="task_log",
    ),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/logs/<str:task_id>/tail/",
        timeline_logs.task_log_tail,
        name="task_log_tail",
    ),
]

handler400 = "eventsui.core.views.bad_request"
handler404 = "eventsui.core.views.page_not_found"
handler500 = "eventsui.core.views.server_error"
