"""How the timeline names its Level choice in words."""

from __future__ import annotations

from django import template

from eventsui.timeline import levels

register = template.Library()


@register.filter
def level_words(level: str | None) -> str:
    """ "Warning and Error" for the combined level, any other level as it is."""
    return levels.level_words(level)


@register.filter
def level_label(level: str) -> str:
    """A level in the reader's language ("Error", "错误"); an unknown one as it is."""
    return levels.level_label(level)
