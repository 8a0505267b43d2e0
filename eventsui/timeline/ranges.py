"""Time ranges of the timeline: the presets, their resolution, and the links that share them.

- `range=15m|1h|6h|24h|7d` in the URL is a relative range: "the last hour".
  It is resolved against the clock of each request (django.utils.timezone.now,
  floored to the second, since events carry whole seconds) into the
  start_time/end_time sent upstream, so Reload shows the latest hour. No
  range and no start_time/end_time is the whole job, the default.
- `range` with start_time or end_time is refused (400, beside the pickers):
  the URL would mean two things.
- Links made from a resolved view (pages, row permalinks, histogram bars,
  exports) carry its absolute times, so paging a "last hour" does not shift
  under the reader while events keep arriving. The preset links and the
  share link are in range_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Preset:
    key: str
    label: str  # the link's text
    words: str  # as the summary says it: "the last hour"
    span: timedelta


PRESETS: tuple[Preset, ...] = (
    Preset("15m", "Last 15 minutes", "the last 15 minutes", timedelta(minutes=15)),
    Preset("1h", "1 hour", "the last hour", timedelta(hours=1)),
    Preset("6h", "6 hours", "the last 6 hours", timedelta(hours=6)),
    Preset("24h", "24 hours", "the last 24 hours", timedelta(hours=24)),
    Preset("7d", "7 days", "the last 7 days", timedelta(days=7)),
)
RANGES = {preset.key: preset for preset in PRESETS}


def resolve(key: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The absolute [start, end] of a relative range, both inclusive, in UTC."""
    moment = timezone.now() if now is None else now
    end = moment.astimezone(UTC).replace(microsecond=0)
    return end - RANGES[key].span, end
