"""The timeline's links about time: the presets, and the link that shares a view.

- Preset links (Whole job, Last 15 minutes ... 7 days) keep the view's other
  filters and drop its offset and marked row; the active one is marked.
- The share link is the view with its resolved range written out
  (start_time/end_time, `range` removed, every other parameter kept), so it
  shows the same events tomorrow. For a running job that is what makes it
  last; a finished job's `range=1h` is already fixed (it counts back from
  the job's last event), and its share link names the same events. It is a
  full URL, built on the server, which knows the resolved range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from eventsui.core.forms import with_query
from eventsui.modelarts import EventQuery

from .forms import canonical_params
from .ranges import PRESETS
from .ranges import words as range_words
from .search import LocalFilters


@dataclass(frozen=True)
class PresetLink:
    key: str  # "" for the whole job
    label: StrOrPromise
    url: str
    active: bool


def preset_links(
    path: str,
    query: EventQuery,
    current: str,
    *,
    fold: bool = False,
    local: LocalFilters | None = None,
) -> list[PresetLink]:
    """Whole job and each preset, with the view's other filters, from the first page."""
    base = replace(query, start=None, end=None, offset=0)
    links = [
        PresetLink(
            "",
            _("Whole job"),
            with_query(path, canonical_params(base, fold=fold, local=local)),
            active=not current and query.start is None,
        )
    ]
    links += [
        PresetLink(
            p.key,
            p.label,
            with_query(path, canonical_params(base, fold=fold, relative=p.key, local=local)),
            active=p.key == current,
        )
        for p in PRESETS
    ]
    return links


def share_path(
    path: str,
    query: EventQuery,
    mark: str = "",
    *,
    fold: bool = False,
    local: LocalFilters | None = None,
) -> str:
    """This view with its resolved range written out: the same events tomorrow."""
    return with_query(path, canonical_params(query, mark, fold=fold, local=local))


def navigation(
    request: HttpRequest,
    path: str,
    query: EventQuery,
    current: str,
    mark: str = "",
    *,
    fold: bool = False,
    local: LocalFilters | None = None,
    ended: datetime | None = None,
) -> dict[str, Any]:
    """What the timeline shows about its range: presets, the range in words, the share link.

    `path` is the view's own, from its route (never request.path, which a
    SCRIPT_NAME can turn into another host's). `ended` is a finished job's
    last event, which its presets counted back from (ranges.job_end).
    """
    share = share_path(path, query, mark, fold=fold, local=local)
    return {
        "range_key": current,
        "range_words": range_words(current, ended) if current else "",
        "presets": preset_links(path, query, current, fold=fold, local=local),
        # With the marked row's #anchor, so a shared link lands on it.
        "share_url": request.build_absolute_uri(share) + (f"#{mark}" if mark else ""),
    }
