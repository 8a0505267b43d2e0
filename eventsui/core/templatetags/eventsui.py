"""Template filters for showing untrusted upstream text and times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Characters that reorder or hide text (bidi controls, zero-width marks) and
# C0/C1 controls other than newline and tab: shown as a marker, never obeyed.
_HIDDEN = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def _label(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0xA0 else f"U+{code:04X}"


def _marker(match: re.Match[str]) -> str:
    label = _label(match)
    return f'<span class="ctl" title="hidden character {label}">{label}</span>'


@register.filter
def untrusted(text: object, where: str = "html") -> SafeString:
    """Escape upstream or job text and make control, bidi and invisible characters visible.

    `untrusted:"plain"` is for where markup is not read (`<title>`, an attribute):
    the marker is the bare label, `U+202E`, without its span.
    """
    # escape() leaves these characters alone, so the markers go in after it.
    marker = _label if where == "plain" else _marker
    return mark_safe(_HIDDEN.sub(marker, escape(str(text))))  # noqa: S308


@register.filter
def highlight(text: object, needle: object = None) -> SafeString:
    """untrusted(text), with each occurrence of needle wrapped in <mark>.

    needle is the text searched for (case-sensitive), or an object with
    `pattern` and `ignore_case` (timeline/search.py's Highlight); None or
    empty marks nothing. The text is cut at the matches first and every
    piece goes through untrusted(), so escaping and the visible control
    characters are exactly the plain filter's, and no match can split an
    entity or a marker.
    """
    raw = str(text)
    pattern = needle if isinstance(needle, str) else str(getattr(needle, "pattern", "") or "")
    if not pattern:
        return untrusted(raw)
    flags = re.IGNORECASE if getattr(needle, "ignore_case", False) else 0
    pieces: list[str] = []
    last = 0
    for match in re.finditer(re.escape(pattern), raw, flags):
        pieces.append(untrusted(raw[last : match.start()]))
        pieces.append(f"<mark>{untrusted(match.group())}</mark>")
        last = match.end()
    pieces.append(untrusted(raw[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece went through untrusted()


@register.filter
def utc(moment: datetime | None) -> str:
    """A time as the page prints it, in UTC with the zone named."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@register.filter
def duration(milliseconds: int | None) -> str:
    if not milliseconds:
        return "–"
    seconds = milliseconds // 1000
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"
