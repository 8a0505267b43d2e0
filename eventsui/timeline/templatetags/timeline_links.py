"""Links to one event in context, for the places that name events as evidence."""

from __future__ import annotations

from django import template

from eventsui.modelarts import Event
from eventsui.timeline.context import event_url

register = template.Library()


@register.simple_tag
def event_context_url(project_id: str, job_id: str, event: Event | None) -> str:
    """The timeline around `event`, marked ("" when there is no event or no readable time)."""
    if event is None:
        return ""
    return event_url(project_id, job_id, event) or ""
