"""The viewer's time zone: which zone the timeline prints its times in, and how.

Times are rendered on the server, in one zone per page, so nothing changes
after the page has arrived. The zone comes from two cookies that
static/eventsui/eventsui.js writes:

- `tz`: the browser's IANA zone (Intl.DateTimeFormat().resolvedOptions()),
  written on the first page load and whenever it changes;
- `tzmode`: `utc` when the viewer chose UTC with the toggle, else `local`.

A zone that zoneinfo does not know, a malformed cookie or no cookie (no
JavaScript) all mean UTC, and the page says so. URLs never carry the zone:
they hold absolute instants (Z or an offset), so one link shows the same
events to viewers in different zones; only naive picker values are read in
the viewer's zone.

DST: a wall time a change repeats (America/New_York 2026-11-01 01:30) or
skips (2026-03-08 02:30) is read with fold=0, Python's default: the first
of the two repeated instants (01:30 EDT), and in a gap the offset before
the change (02:30 EST, which is 03:30 EDT). Nothing raises; the times the
page prints back carry their offset, so the reading is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest

ZONE_COOKIE = "tz"
MODE_COOKIE = "tzmode"
MAX_ZONE_NAME = 64
# IANA names: Area/Location, letters, digits, _ + -; no dots, so no "..".
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
# Names of UTC itself: a browser in one of these is shown the plain UTC page.
UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
)

Mode = Literal["utc", "local"]


def parse_zone(name: str) -> ZoneInfo | None:
    """The zone an IANA name names, or None for anything zoneinfo does not know."""
    if not name or len(name) > MAX_ZONE_NAME or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a key that names a directory or an unreadable file.
        return None


@dataclass(frozen=True)
class ViewerZone:
    """The zone a page prints its times in, and what the browser told us."""

    tz: tzinfo
    name: str  # "UTC" or the IANA name
    browser: str = ""  # the browser's zone when known and valid, else ""
    mode: Mode = "local"

    @property
    def is_utc(self) -> bool:
        return self.name == "UTC"

    @property
    def can_toggle(self) -> bool:
        """A UTC / local choice means something: the browser is elsewhere than UTC."""
        return bool(self.browser) and self.browser not in UTC_NAMES


VIEWER_UTC = ViewerZone(UTC, "UTC")


def viewer_zone(request: HttpRequest) -> ViewerZone:
    """The viewer's zone from the `tz` and `tzmode` cookies; UTC when unknown."""
    raw = request.COOKIES.get(ZONE_COOKIE, "")
    zone = parse_zone(raw)
    browser = raw if zone is not None else ""
    mode: Mode = "utc" if request.COOKIES.get(MODE_COOKIE) == "utc" else "local"
    if zone is None or mode == "utc" or browser in UTC_NAMES:
        return ViewerZone(UTC, "UTC", browser, mode)
    return ViewerZone(zone, browser, browser, mode)


def offset_label(offset: timedelta | None) -> str:
    """UTC+08:00, UTC-04:00, UTC+05:45; seconds only where an old offset has them."""
    seconds = int((offset or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"UTC{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def zone_label(local: datetime) -> str:
    """How a time names its zone: "UTC", or "CST (UTC+08:00)".

    The abbreviation is ModelArts-independent tz data (CST, EDT, CET); where
    the tz database has none but a number (Asia/Singapore: "+08"), the IANA
    name stands in. The offset always follows: abbreviations are ambiguous
    (CST is China and the US Midwest).
    """
    offset = local.utcoffset()
    abbreviation = local.tzname() or ""
    if abbreviation == "UTC" and not offset:
        return "UTC"
    if not abbreviation.isalpha():
        abbreviation = getattr(local.tzinfo, "key", "") or abbreviation
    return f"{abbreviation} ({offset_label(offset)})"


def format_time(moment: datetime, zone: tzinfo = UTC, *, millis: bool = False) -> str:
    """A time as the page prints it: wall time in the zone, then the zone.

    "2026-11-20 10:21:54 CST (UTC+08:00)"; in UTC "2026-11-20 02:21:54 UTC".
    """
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    if millis:
        text += f".{local.microsecond // 1000:03d}"
    return f"{text} {zone_label(local)}"
