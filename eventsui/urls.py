from __future__ import annotations

from django.urls import path

from eventsui.core import views as core_views
from eventsui.jobs import views as jobs_views
from eventsui.timeline import views as timeline_views

urlpatterns = [
    path("", jobs_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "projects/<str:project_id>/jobs/<str:job_id>/events/",
        timeline_views.events,
        name="events",
    ),
]

handler400 = "eventsui.core.views.bad_request"
handler404 = "eventsui.core.views.page_not_found"
handler500 = "eventsui.core.views.server_error"
