"""The timeline's link to the message patterns of what it shows."""

from __future__ import annotations

from django import template

from eventsui.modelarts import EventQuery
from eventsui.timeline import patterns
from eventsui.timeline.search import LocalFilters

register = template.Library()


@register.simple_tag
def patterns_url(
    project_id: str,
    job_id: str,
    query: EventQuery,
    relative: str = "",
    local: LocalFilters | None = None,
) -> str:
    """The patterns page for the view's filters (its own ones included) and window."""
    return patterns.patterns_url(project_id, job_id, query, relative, local)
