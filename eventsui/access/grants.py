"""Which configured projects a request's user may see.

The configured list (eventsui.modelarts.configured_projects) is the outer
allowlist; grants only narrow it. Nothing here talks to ModelArts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest

from eventsui.modelarts import Project, configured_projects

from .models import ProjectGrant

# One grants query per request, however many times a page asks.
_CACHE_ATTR = "_eventsui_visible_projects"


def granted_projects(user: Any) -> tuple[Project, ...]:
    """The configured projects granted to a user, directly or through a group.

    Superusers see every configured project; anonymous and inactive users none.
    """
    projects = configured_projects()
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    if user.is_superuser:
        return projects
    granted = set(
        ProjectGrant.objects.filter(Q(user=user) | Q(group__user=user)).values_list(
            "project_id", flat=True
        )
    )
    return tuple(p for p in projects if p.project_id in granted)


def visible_projects(request: HttpRequest) -> tuple[Project, ...]:
    """The configured projects this request may reach, in configured order.

    With EVENTSUI_AUTH=none, every one of them, without touching the session
    or the database.
    """
    cached: tuple[Project, ...] | None = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        if settings.EVENTSUI_AUTH == "none":
            cached = configured_projects()
        else:
            cached = granted_projects(getattr(request, "user", None))
        setattr(request, _CACHE_ATTR, cached)
    return cached


def visible_project(request: HttpRequest, project_id: str) -> Project | None:
    return next((p for p in visible_projects(request) if p.project_id == project_id), None)
