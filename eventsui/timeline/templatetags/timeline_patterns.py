"""The timeline's link to the message patterns of what it shows."""

from __future__ import annotations

from django import template

from eventsui.modelarts import EventQuery
from eventsui.timeline import patterns

register = template.Library()


@register.simple_tag
def patterns_url(project_id: str, job_id: str, query: EventQuery, relative: str = "") -> str:
    """The patterns page for the view's filters and window."""
    return patterns.patterns_url(project_id, job_id, query, relative)
