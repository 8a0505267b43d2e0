"""The failures page's filters: the single source of validation, bound to request.GET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eventsui.core.forms import encode

from .causes import CAUSES

FAILED_PHASES = ("Failed", "Abnormal")
WITHIN = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DEFAULT_WITHIN = "7d"
MAX_PAGE = 1000
# ListTrainingJobs' own bound on `limit`: each project gives at most this many a page.
PER_PROJECT = 50
# "all" still needs two ends for the `between` filter.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FailureQuery:
    phases: tuple[str, ...] = FAILED_PHASES
    within: str = DEFAULT_WITHIN
    start: date | None = None
    end: date | None = None
    projects: tuple[str, ...] = ()
    cause: str = ""
    page: int = 1

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The creation window, whole minutes so a minute's visits share a cached search."""
        if self.start or self.end:
            low = datetime.combine(self.start, time(), UTC) if self.start else EPOCH
            high = datetime.combine(self.end, time(), UTC) + timedelta(days=1) if self.end else now
        else:
            high = now
            low = EPOCH if self.within == "all" else high - WITHIN[self.within]
        high = high.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return low.replace(second=0, microsecond=0), high


class FailureFiltersForm(forms.Form):
    phase = forms.MultipleChoiceField(
        choices=[(p, p) for p in FAILED_PHASES], required=False, label=_("Phase")
    )
    within = forms.ChoiceField(
        choices=[
            ("24h", _("24 hours")),
            ("7d", _("7 days")),
            ("30d", _("30 days")),
            ("all", _("Any time")),
        ],
        required=False,
        label=_("Created within"),
    )
    start = forms.DateField(required=False, label=_("From"), input_formats=["%Y-%m-%d"])
    end = forms.DateField(required=False, label=_("To"), input_formats=["%Y-%m-%d"])
    project = forms.MultipleChoiceField(choices=[], required=False, label=_("Project"))
    cause = forms.ChoiceField(
        choices=[("", _("Any cause")), *((c.slug, c.title) for c in CAUSES)],
        required=False,
        label=_("Cause"),
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, label=_("Page"))
    format = forms.ChoiceField(choices=[("", "page"), ("csv", "csv")], required=False)

    def __init__(self, data: Any, projects: list[tuple[str, str]]) -> None:
        # `from` is a keyword in Python: the URL's from/to are start/end here.
        renamed = data.copy()
        for outer, inner in (("from", "start"), ("to", "end")):
            if outer in renamed:
                renamed.setlist(inner, renamed.getlist(outer))
                del renamed[outer]
        # An empty choice (a select's "any") is no choice.
        for key in ("phase", "project"):
            if key in renamed:
                renamed.setlist(key, [v for v in renamed.getlist(key) if v])
        super().__init__(renamed)
        project = self.fields["project"]
        assert isinstance(project, forms.MultipleChoiceField)
        project.choices = projects

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("“From” must be on or before “To”."), code="order")
        if (start or end) and data.get("within"):
            raise forms.ValidationError(
                _("Give either “Created within” or “From”/“To”, not both."), code="both"
            )
        return data

    def to_query(self) -> FailureQuery:
        data = self.cleaned_data
        chosen = data["phase"]
        return FailureQuery(
            phases=tuple(p for p in FAILED_PHASES if p in chosen) or FAILED_PHASES,
            within=data["within"] or DEFAULT_WITHIN,
            start=data["start"],
            end=data["end"],
            projects=tuple(data["project"]),
            cause=data["cause"] or "",
            page=data["page"] or 1,
        )


def canonical_params(query: FailureQuery, **change: Any) -> dict[str, str | list[str]]:
    """The shortest query string for this view: defaults and empties left out."""
    values = {**query.__dict__, **change}
    params: dict[str, str | list[str]] = {}
    if tuple(values["phases"]) != FAILED_PHASES:
        params["phase"] = list(values["phases"])
    if values["start"] or values["end"]:
        if values["start"]:
            params["from"] = values["start"].isoformat()
        if values["end"]:
            params["to"] = values["end"].isoformat()
    elif values["within"] != DEFAULT_WITHIN:
        params["within"] = values["within"]
    if values["projects"]:
        params["project"] = list(values["projects"])
    if values["cause"]:
        params["cause"] = values["cause"]
    if values["page"] != 1:
        params["page"] = str(values["page"])
    return params


def failures_url(path: str, query: FailureQuery, **change: Any) -> str:
    qs = encode(canonical_params(query, **change))
    return f"{path}?{qs}" if qs else path
