"""The jobs browser's filters and the go-to-job box: the single source of validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from eventsui.core.forms import encode
from eventsui.modelarts.ids import is_job_id

# The documented level-1 phases, in the order a job goes through them.
PHASES = (
    "Creating",
    "Pending",
    "Running",
    "Failed",
    "Completed",
    "Terminating",
    "Terminated",
    "Abnormal",
)
PAGE_SIZES = (10, 20, 50)
DEFAULT_LIMIT = 20
# ListTrainingJobs' own bound on `limit`.
MAX_LIMIT = 50
MAX_PAGE = 100_000
# Job names are 1-64 of these (metadata.name); a search for anything else
# could match nothing, so it is refused before it reaches ModelArts.
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_RULE = "1-64 letters, digits, '-' or '_'"
UUID_RE = re.compile(
    r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"(?![0-9A-Fa-f])"
)
MAX_GOTO_LENGTH = 2048


@dataclass(frozen=True)
class JobQuery:
    """One page of the job list; page counts from 1, as the URL does."""

    name: str = ""
    # In PHASES order, each once: `phase=` may repeat (Failed and Abnormal).
    phases: tuple[str, ...] = ()
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def upstream_page(self) -> int:
        """ListTrainingJobs' `offset`: a page index from 0."""
        return self.page - 1

    @property
    def phase(self) -> str:
        """The phases in words, for the summary: "Failed or Abnormal"."""
        return " or ".join(self.phases)


class PhasesField(forms.MultipleChoiceField):
    """Repeatable `phase=`, in any letter case; an empty value (Any phase) is dropped."""

    def __init__(self) -> None:
        super().__init__(choices=[(p, p) for p in PHASES], required=False, label=_("Phase"))

    def to_python(self, value: Any) -> list[str]:
        spelled = {p.casefold(): p for p in PHASES}
        given = [v for v in super().to_python(value) if v]
        return [spelled.get(v.casefold(), v) for v in given]

    def clean(self, value: Any) -> tuple[str, ...]:
        chosen = super().clean(value)
        return tuple(p for p in PHASES if p in chosen)


class JobFiltersForm(forms.Form):
    name = forms.CharField(required=False, label=_("Name"))
    phase = PhasesField()
    limit = forms.IntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        label=_("Page size"),
        error_messages={
            "min_value": format_lazy(_("A page holds 1 to {limit} jobs."), limit=MAX_LIMIT),
            "max_value": format_lazy(
                _("A page holds 1 to {limit} jobs (ModelArts' limit)."), limit=MAX_LIMIT
            ),
        },
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, label=_("Page"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].error_messages["invalid_choice"] = _("Choose one of %(phases)s.") % {
            "phases": ", ".join(PHASES)
        }

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if name and not NAME_RE.fullmatch(name):
            raise forms.ValidationError(
                _("A job name is %(rule)s.") % {"rule": NAME_RULE}, code="invalid"
            )
        return name

    def to_query(self) -> JobQuery:
        data = self.cleaned_data
        return JobQuery(
            name=data["name"] or "",
            phases=data["phase"],
            page=data["page"] or 1,
            limit=data["limit"] or DEFAULT_LIMIT,
        )


def canonical_params(query: JobQuery) -> dict[str, str | list[str]]:
    """The shortest query string for this page of jobs: defaults and empties left out."""
    params: dict[str, str | list[str]] = {}
    if query.name:
        params["name"] = query.name
    if query.phases:
        params["phase"] = list(query.phases)
    if query.limit != DEFAULT_LIMIT:
        params["limit"] = str(query.limit)
    if query.page != 1:
        params["page"] = str(query.page)
    return params


def jobs_url(path: str, query: JobQuery, page: int | None = None) -> str:
    """The canonical URL of this query, on another page if given."""
    if page is not None:
        query = replace(query, page=page)
    qs = encode(canonical_params(query))
    return f"{path}?{qs}" if qs else path


def find_job_id(text: str) -> str | None:
    """The job a pasted id or console link names: its first UUID, else a bare id."""
    match = UUID_RE.search(text)
    if match:
        return match.group()
    return text if is_job_id(text) else None


class GotoForm(forms.Form):
    job = forms.CharField(
        max_length=MAX_GOTO_LENGTH,
        label=_("Go to job"),
        error_messages={
            "required": _("Enter a job id, or paste a link to the job from the console."),
            "max_length": _("That is too long to be a job id or a console link."),
        },
    )

    def clean_job(self) -> str:
        text: str = self.cleaned_data["job"]
        job_id = find_job_id(text)
        if job_id is None:
            if "/" in text or "#" in text or "?" in text:
                raise forms.ValidationError(
                    _(
                        "That link names no job: no job id "
                        "(such as 3faf5c03-aaa1-4cbe-879d-24b05d997347) is in it."
                    ),
                    code="no_job_id",
                )
            raise forms.ValidationError(
                _(
                    "That is not a job id: a job id is letters, digits, '-' and '_', "
                    "such as 3faf5c03-aaa1-4cbe-879d-24b05d997347."
                ),
                code="invalid",
            )
        return job_id
