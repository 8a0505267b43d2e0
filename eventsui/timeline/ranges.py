"""Time ranges of the timeline: the presets, their resolution, and the links that share them.

- `range=15m|1h|6h|24h|7d` in the URL is a relative range: "the last hour".
  For a job that may still run it is resolved against the clock of each
  request (django.utils.timezone.now, floored to the second, since events
  carry whole seconds) into the start_time/end_time sent upstream, so Reload
  shows the latest hour. For a job that has ended it counts back from the
  job's last event instead ("the last hour of the job"): an hour before now
  would show nothing for a job that ended ten days ago. That end does not
  move, so `range=1h` of a finished job shows the same events for ever. No
  range and no start_time/end_time is the whole job, the default.
- The job's last event (job_end) is the later of its end (Job.ended, from the
  job record the page asks for anyway, usually cached) and its newest event:
  one events call, newest first, limit=1, which the cache keeps as long as a
  finished job's answers. So a preset costs a finished job at most 1 job
  call + 1 events call more, and nothing on a revisit; a running job nothing
  beyond the job record. Refused input (400) asks nothing. If ModelArts
  cannot say, the range counts back from now, as for a running job.
- `range` with start_time or end_time is refused (400, beside the pickers):
  the URL would mean two things.
- Links made from a resolved view (pages, row permalinks, histogram bars,
  exports) carry its absolute times, so paging a "last hour" does not shift
  under the reader while events keep arriving. The preset links and the
  share link are in range_links.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from eventsui.modelarts import EventQuery, ModelArtsError, get_client
from eventsui.modelarts.projects import Project

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preset:
    key: str
    label: StrOrPromise  # the link's text
    words: StrOrPromise  # as the summary says it: "the last hour"
    span: timedelta


PRESETS: tuple[Preset, ...] = (
    Preset("15m", _("Last 15 minutes"), _("the last 15 minutes"), timedelta(minutes=15)),
    Preset("1h", _("1 hour"), _("the last hour"), timedelta(hours=1)),
    Preset("6h", _("6 hours"), _("the last 6 hours"), timedelta(hours=6)),
    Preset("24h", _("24 hours"), _("the last 24 hours"), timedelta(hours=24)),
    Preset("7d", _("7 days"), _("the last 7 days"), timedelta(days=7)),
)
RANGES = {preset.key: preset for preset in PRESETS}


def resolve(key: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The absolute [start, end] of a relative range, both inclusive, in UTC."""
    moment = timezone.now() if now is None else now
    end = moment.astimezone(UTC).replace(microsecond=0)
    return end - RANGES[key].span, end


def job_end(project: Project, job_id: str) -> datetime | None:
    """A finished job's last event, floored to the second: what its presets count back from.

    None for a job that may still run (its presets count back from now), and
    when ModelArts cannot say (the events call of the page will tell why).
    """
    client = get_client(project)
    try:
        job = client.get_job(project.project_id, job_id)
        if job.ended is None:
            return None
        newest = client.list_events(project.project_id, job_id, EventQuery(order="desc", limit=1))
    except ModelArtsError as exc:
        logger.info("job end unavailable, ranges count from now: %s", type(exc).__name__)
        return None
    # ModelArts records some events after the job's nominal end.
    last = max([job.ended, *(e.time for e in newest.events[:1] if e.time is not None)])
    return last.astimezone(UTC).replace(microsecond=0)


def ago(moment: datetime, now: datetime) -> str:
    """How long ago moment was, in its largest whole unit: "10 days", "3 hours", "1 minute"."""
    seconds = max(0, int((now - moment).total_seconds()))
    units = (
        (86400, lambda n: ngettext("%(n)s day", "%(n)s days", n)),
        (3600, lambda n: ngettext("%(n)s hour", "%(n)s hours", n)),
        (60, lambda n: ngettext("%(n)s minute", "%(n)s minutes", n)),
        (1, lambda n: ngettext("%(n)s second", "%(n)s seconds", n)),
    )
    for unit, name in units:
        if seconds >= unit or unit == 1:
            n = seconds // unit
            return name(n) % {"n": n}
    raise AssertionError("unreachable")


def words(key: str, ended: datetime | None, now: datetime | None = None) -> str:
    """The range as the summary says it: "the last hour", or "of the job, which ended ... ago"."""
    preset = RANGES[key]
    if ended is None:
        return str(preset.words)
    moment = timezone.now() if now is None else now
    return gettext("%(range)s of the job, which ended %(ago)s ago") % {
        "range": preset.words,
        "ago": ago(ended, moment),
    }
