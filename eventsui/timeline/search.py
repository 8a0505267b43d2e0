"""The timeline's filters that eventsui applies itself: worker, ignore case, exclude.

ModelArts matches `pattern` as a case-sensitive substring and has no worker
or exclude filter, so these are applied here, over its pages, by the one
bounded scan of the service layer (modelarts/scan.py: exact totals and
paging over at most MAX_SCAN_PAGES pages, the page saying so when cut short).

- `worker=<task id>`: the task's own lines and its pod's Kubernetes events,
  exactly (workers.py). The upstream is narrowed with `pattern=<task id>`
  when the reader gave no pattern (a superset: a case-sensitive substring).
- `case=ignore`: the pattern matches whatever the case, and so does
  `exclude`. The upstream pattern cannot be used then; with a worker the
  task id still narrows it (task ids are exact), otherwise nothing does.
- `exclude=<text>`: events whose message contains it are left out.

Everything else (level, source, time window, order) goes upstream as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.urls import reverse

from eventsui.modelarts import Event, EventPage, EventQuery
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.merge import list_events
from eventsui.modelarts.scan import Predicate, ScanResult, scan

from .workers import is_workers


@dataclass(frozen=True)
class Highlight:
    """What the messages of a view mark as matched (the `highlight` template filter)."""

    pattern: str
    ignore_case: bool


@dataclass(frozen=True)
class LocalFilters:
    worker: str = ""
    ignore_case: bool = False
    exclude: str = ""

    @property
    def active(self) -> bool:
        return bool(self.worker or self.ignore_case or self.exclude)

    def params(self) -> dict[str, str]:
        """Their part of the canonical query string, in a fixed order."""
        params: dict[str, str] = {}
        if self.worker:
            params["worker"] = self.worker
        if self.ignore_case:
            params["case"] = "ignore"
        if self.exclude:
            params["exclude"] = self.exclude
        return params

    def upstream(self, query: EventQuery) -> EventQuery:
        """The narrowest query ModelArts can answer that holds every wanted event."""
        pattern = query.pattern
        if self.ignore_case or not pattern:
            pattern = self.worker or None
        return replace(query, pattern=pattern)

    def highlight(self, query: EventQuery) -> Highlight:
        return Highlight(pattern=query.pattern or "", ignore_case=self.ignore_case)

    def predicate(self, query: EventQuery) -> Predicate:
        """Whether an event of the upstream's answer is one the reader asked for."""
        # lower(), as the highlight's re.IGNORECASE compares, so what is kept is what is marked.
        fold = str.lower if self.ignore_case else str
        pattern = fold(query.pattern) if query.pattern else ""
        exclude = fold(self.exclude) if self.exclude else ""
        worker = self.worker

        def keep(event: Event) -> bool:
            message = fold(event.message)
            if pattern and pattern not in message:
                return False
            if exclude and exclude in message:
                return False
            return not worker or is_workers(event.message, worker)

        return keep


def read_page(
    client: ModelArtsClient,
    project_id: str,
    job_id: str,
    query: EventQuery,
    local: LocalFilters,
) -> tuple[EventPage, ScanResult | None]:
    """The view's page: straight from ModelArts, or scanned when filters apply here."""
    if not local.active:
        return list_events(client, project_id, job_id, query), None
    result = scan(client, project_id, job_id, local.upstream(query), local.predicate(query))
    return result.page, result


def context_link_base(project_id: str, job_id: str, query: EventQuery, local: LocalFilters) -> str:
    """Where a row's "Show in context" points (context.py), for a view that hides events.

    Empty for the whole unfiltered timeline, whose rows are in context already.
    """
    filtered = query.level or query.source or query.pattern or query.start or local.active
    return reverse("events_context", args=[project_id, job_id]) if filtered else ""
