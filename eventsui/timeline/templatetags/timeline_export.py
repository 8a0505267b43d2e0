"""The timeline's links to the export of what it shows."""

from __future__ import annotations

from django import template

from eventsui.modelarts import EventQuery
from eventsui.timeline import export
from eventsui.timeline.search import LocalFilters

register = template.Library()


@register.simple_tag
def export_url(
    project_id: str, job_id: str, query: EventQuery, fmt: str, local: LocalFilters | None = None
) -> str:
    """The export, in fmt, of every event matching the view's filters."""
    return export.export_url(project_id, job_id, query, fmt, local)
