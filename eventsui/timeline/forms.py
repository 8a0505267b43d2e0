"""The timeline's filters: the single source of validation for its URL."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from eventsui.core.forms import SpellingChoiceField
from eventsui.modelarts import EventQuery
from eventsui.modelarts.types import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_PATTERN_LENGTH,
    SOURCES,
    Order,
)

from .anchors import ANCHOR_RE
from .levels import LevelField
from .ranges import PRESETS, resolve
from .search import LocalFilters
from .times import BadInstant, format_instant, parse_instant

PAGE_SIZES = (20, 50, 100)
MAX_OFFSET = 10**9
# A task id as status.tasks spells them ("worker-0"); checked against the job's own.
TASK_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class InstantField(forms.CharField):
    # The zone a time without an offset is read in: the viewer's (zones.py).
    zone: tzinfo = UTC

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_instant(text, self.zone)
        except BadInstant as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class PageSizeField(forms.IntegerField):
    """`limit=`, whose error names the refused value: the page-size box cannot show it."""

    def clean(self, value: Any) -> int | None:
        try:
            result: int | None = super().clean(value)
        except forms.ValidationError:
            shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:20]}…"
            sizes = ", ".join(str(size) for size in PAGE_SIZES[:-1])
            raise forms.ValidationError(
                _(
                    "%(shown)s is not a page size: choose %(sizes)s or %(last)s "
                    "(a link may ask for any size from 1 to %(most)s)."
                )
                % {"shown": shown, "sizes": sizes, "last": PAGE_SIZES[-1], "most": MAX_PAGE_SIZE},
                code="page_size",
            ) from None
        return result


def page_size_options(form: forms.Form) -> list[tuple[str, bool]]:
    """The page-size box's options as (value, selected): the offered sizes, plus
    the URL's own when it is another (a valid 37, or a refused 100000 beside its
    error), so the box shows what the page was asked for."""
    value = form["limit"].value()
    current = str(value).strip() if value not in (None, "") else str(DEFAULT_PAGE_SIZE)
    offered = [str(size) for size in PAGE_SIZES]
    if current.isdigit() and current.lstrip("0") in offered:
        current = current.lstrip("0")
    options = [(size, size == current) for size in offered]
    if current not in offered:
        options.append((current, True))
    return options


class EventFiltersForm(forms.Form):
    level = LevelField()
    source = SpellingChoiceField(spellings=SOURCES, empty_label=_("Any source"))
    # Not stripped: a leading or trailing space can be part of the substring.
    pattern = forms.CharField(max_length=MAX_PATTERN_LENGTH, required=False, strip=False)
    start_time = InstantField(required=False, label=_("From"))
    end_time = InstantField(required=False, label=_("To"))
    # A relative range, resolved against the request's clock (ranges.py).
    range = forms.ChoiceField(
        choices=[("", _("Whole job")), *((p.key, p.label) for p in PRESETS)],
        required=False,
        label=_("Time range"),
        error_messages={
            "invalid_choice": _(
                "Choose a range of 15m, 1h, 6h, 24h or 7d, or none for the whole job."
            )
        },
    )
    order = forms.ChoiceField(
        choices=[("desc", _("Newest first")), ("asc", _("Oldest first"))], required=False
    )
    limit = PageSizeField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    offset = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)
    # Filters eventsui applies itself over ModelArts' pages (search.py).
    worker = forms.RegexField(
        regex=TASK_ID_RE,
        required=False,
        label=_("Worker"),
        widget=forms.Select(choices=[("", _("Any worker"))]),
        help_text=_("Its own lines and its pod's Kubernetes events."),
        error_messages={"invalid": _("Enter a task id of the job, such as worker-0.")},
    )
    case = forms.ChoiceField(
        choices=[("", _("Match case")), ("ignore", _("Ignore case"))],
        required=False,
        label=_("Ignore case"),
    )
    exclude = forms.CharField(
        max_length=MAX_PATTERN_LENGTH,
        required=False,
        strip=False,
        label=_("Exclude"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Leave out messages containing")}
        ),
    )
    # Not a filter: the id of the row to highlight (see anchors.py).
    mark = forms.RegexField(
        regex=ANCHOR_RE,
        max_length=40,
        required=False,
        label=_("Marked row"),
        error_messages={"invalid": _("Enter an event id: ev- and 12 hex digits.")},
    )
    # Not a filter either: fold repeated messages within the page (folding.py).
    fold = forms.ChoiceField(
        choices=[("0", _("Off")), ("1", _("On"))], required=False, label=_("Fold repeats")
    )
    # Nor this: follow new events as they arrive, for a running job (live.py).
    live = forms.ChoiceField(
        choices=[("0", _("Off")), ("1", _("On"))], required=False, label=_("Live")
    )

    def page_size_options(self) -> list[tuple[str, bool]]:
        """The page-size box's options, the URL's own among them (page_size_options)."""
        return page_size_options(self)

    def __init__(
        self, *args: Any, zone: tzinfo = UTC, now: datetime | None = None, **kwargs: Any
    ) -> None:
        """zone: where naive picker times are read; now: the clock a range resolves against."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in ("start_time", "end_time"):
            cast(InstantField, self.fields[name]).zone = zone
        self.now = now
        self.offer_workers(())

    def offer_workers(self, tasks: tuple[str, ...]) -> None:
        """The worker choices: the job's tasks, and the one asked for if the job is not known."""
        asked = str(self.data.get("worker") or "")
        shown = tasks or ((asked,) if asked else ())
        widget = cast(forms.Select, self.fields["worker"].widget)
        widget.choices = [("", _("Any worker")), *((t, t) for t in shown)]

    def check_worker(self, tasks: tuple[str, ...]) -> bool:
        """Whether the worker asked for is one of the job's tasks (any, if they are unknown)."""
        self.offer_workers(tasks)
        worker = self.cleaned_data.get("worker") or ""
        if not worker or not tasks or worker in tasks:
            return True
        self.add_error(
            "worker",
            _("This job has no worker %(worker)s; choose one of its tasks.") % {"worker": worker},
        )
        return False

    def local_filters(self) -> LocalFilters:
        data = self.cleaned_data
        return LocalFilters(
            worker=data["worker"] or "",
            ignore_case=data["case"] == "ignore",
            exclude=data["exclude"] or "",
        )

    @property
    def range_key(self) -> str:
        """The relative range of a valid form, "" for none."""
        return str(self.cleaned_data.get("range") or "")

    def count_back_from(self, end: datetime | None) -> None:
        """Resolve a valid form's relative range against `end` (a finished job's last event).

        None leaves it resolved against the clock, as clean() did.
        """
        if end is not None and self.range_key:
            self.cleaned_data["start_time"], self.cleaned_data["end_time"] = resolve(
                self.range_key, end
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("range"):
            # Judged on what was sent, parsed or not: the URL means two things.
            if self.data.get("start_time") or self.data.get("end_time"):
                self.add_error("range", _("Give a time range or From and To, not both."))
            else:
                cleaned["start_time"], cleaned["end_time"] = resolve(cleaned["range"], self.now)
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        # Fields that failed their own checks are not in cleaned; judge the
        # pair only when both parsed or both were left empty.
        if "start_time" in cleaned and "end_time" in cleaned:
            if start is None and end is not None:
                self.add_error("start_time", _("Give From as well as To, or neither."))
            elif end is None and start is not None:
                self.add_error("end_time", _("Give To as well as From, or neither."))
            elif start is not None and end is not None and start > end:
                self.add_error("end_time", _("To must not be before From."))
        return cleaned

    def to_query(self) -> EventQuery:
        data = self.cleaned_data
        return EventQuery(
            level=data["level"] or None,
            source=data["source"] or None,
            pattern=data["pattern"] or None,
            start=data["start_time"],
            end=data["end_time"],
            order=cast(Order, data["order"] or "desc"),
            offset=data["offset"] or 0,
            limit=data["limit"] or DEFAULT_PAGE_SIZE,
        )


def canonical_params(
    query: EventQuery,
    mark: str = "",
    *,
    fold: bool = False,
    live: bool = False,
    relative: str = "",
    local: LocalFilters | None = None,
) -> dict[str, str]:
    """The shortest query string that means this query, in a fixed order.

    Defaults and empty values are left out, times are written in UTC with Z,
    so a view has one URL, whichever way it was reached. With `relative`
    (a key of ranges.RANGES) the range is written in place of the times.
    """
    params: dict[str, str] = {}
    if query.level:
        params["level"] = query.level
    if query.source:
        params["source"] = query.source
    if query.pattern:
        params["pattern"] = query.pattern
    if local is not None:
        params.update(local.params())
    if relative:
        params["range"] = relative
    elif query.start is not None and query.end is not None:
        params["start_time"] = format_instant(query.start)
        params["end_time"] = format_instant(query.end)
    if query.order != "desc":
        params["order"] = query.order
    if query.limit != DEFAULT_PAGE_SIZE:
        params["limit"] = str(query.limit)
    if query.offset:
        params["offset"] = str(query.offset)
    if fold:
        params["fold"] = "1"
    if live:
        params["live"] = "1"
    if mark:
        params["mark"] = mark
    return params
