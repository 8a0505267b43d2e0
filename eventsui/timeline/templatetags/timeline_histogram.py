"""The timeline's link to the histogram of what it shows."""

from __future__ import annotations

from django import template

from eventsui.modelarts import EventQuery
from eventsui.timeline import histogram

register = template.Library()


@register.simple_tag
def histogram_url(project_id: str, job_id: str, query: EventQuery) -> str:
    """The histogram fragment for the view's filters (the placeholder's hx-get)."""
    return histogram.histogram_url(project_id, job_id, query)


@register.simple_tag
def histogram_page_url(project_id: str, job_id: str, query: EventQuery) -> str:
    """The histogram's own page for the view's filters (the placeholder's plain link)."""
    return histogram.histogram_url(project_id, job_id, query, name="events_histogram_page")
