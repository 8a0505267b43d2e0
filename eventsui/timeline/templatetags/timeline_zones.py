"""Times in the viewer's zone, each naming its zone (zones.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from eventsui.timeline.zones import ViewerZone, format_time

register = template.Library()


@register.filter
def zoned(moment: datetime | None, zone: ViewerZone | None) -> str:
    """{{ e.time|zoned:zone }}: "2026-11-20 10:21:54 CST (UTC+08:00)"; UTC without a zone."""
    if moment is None:
        return ""
    return format_time(moment, zone.tz if isinstance(zone, ViewerZone) else UTC)
