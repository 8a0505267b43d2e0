"""The timeline's filters: validation and the canonical query string."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eventsui.modelarts import EventQuery
from eventsui.timeline.forms import EventFiltersForm, canonical_params

START = "2026-11-20T02:00:00Z"
END = "2026-11-20T03:00:00Z"


def valid_form(data: dict[str, str]) -> EventFiltersForm:
    form = EventFiltersForm(data)
    assert form.is_valid(), form.errors
    return form


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Nothing given, or only empties and defaults: the bare URL
        ({}, {}),
        (
            {
                "level": "",
                "source": "",
                "pattern": "",
                "start_time": "",
                "end_time": "",
                "order": "",
                "limit": "",
                "offset": "",
            },
            {},
        ),
        ({"order": "desc", "limit": "50", "offset": "0"}, {}),
        # Level and source in any case become the upstream's spelling
        ({"level": "Info"}, {"level": "Info"}),
        ({"level": "error"}, {"level": "Error"}),
        ({"level": "WARNING"}, {"level": "Warning"}),
        ({"level": "wArNiNg"}, {"level": "Warning"}),
        ({"source": "K8S"}, {"source": "K8S"}),
        ({"source": "K8s"}, {"source": "K8S"}),
        ({"source": "k8s"}, {"source": "K8S"}),
        ({"source": "JOB"}, {"source": "Job"}),
        ({"source": "task"}, {"source": "Task"}),
        # The pattern is kept exactly, spaces included
        ({"pattern": "OOM"}, {"pattern": "OOM"}),
        ({"pattern": " exit code "}, {"pattern": " exit code "}),
        # Times in any accepted form become UTC with Z
        ({"start_time": START, "end_time": END}, {"start_time": START, "end_time": END}),
        (
            {"start_time": "2026-11-20T10:00:00+08:00", "end_time": "2026-11-20T11:00:00+08:00"},
            {"start_time": START, "end_time": END},
        ),
        (
            {"start_time": "2026-11-20T02:00", "end_time": "2026-11-20T03:00:00"},
            {"start_time": START, "end_time": END},
        ),
        (
            {"start_time": "1669449696964", "end_time": "1669711991259"},
            {"start_time": "2022-11-26T08:01:36.964Z", "end_time": "2022-11-29T08:53:11.259Z"},
        ),
        ({"start_time": START, "end_time": START}, {"start_time": START, "end_time": START}),
        # Non-defaults are kept
        ({"order": "asc"}, {"order": "asc"}),
        ({"limit": "20"}, {"limit": "20"}),
        ({"limit": "1"}, {"limit": "1"}),
        ({"limit": "100"}, {"limit": "100"}),
        ({"offset": "40"}, {"offset": "40"}),
        ({"offset": str(10**9)}, {"offset": str(10**9)}),
        ({"limit": "020"}, {"limit": "20"}),
    ],
)
def test_it_keeps_only_what_differs_from_the_defaults_in_canonical_form(
    data: dict[str, str], expected: dict[str, str]
) -> None:
    form = valid_form(data)

    assert canonical_params(form.to_query()) == expected


def test_it_writes_the_parameters_in_a_fixed_order() -> None:
    form = valid_form(
        {
            "offset": "20",
            "limit": "20",
            "order": "asc",
            "end_time": END,
            "start_time": START,
            "pattern": "loss",
            "source": "task",
            "level": "info",
        }
    )

    assert list(canonical_params(form.to_query())) == [
        "level",
        "source",
        "pattern",
        "start_time",
        "end_time",
        "order",
        "limit",
        "offset",
    ]


def test_an_empty_form_asks_for_the_default_query() -> None:
    assert valid_form({}).to_query() == EventQuery()


def test_it_turns_the_filters_into_a_query_with_aware_times() -> None:
    form = valid_form(
        {
            "level": "error",
            "source": "k8s",
            "pattern": "OOMKilled",
            "start_time": "2026-11-20T10:00:00+08:00",
            "end_time": "1795143600123",
            "order": "asc",
            "limit": "20",
            "offset": "40",
        }
    )

    assert form.to_query() == EventQuery(
        level="Error",
        source="K8S",
        pattern="OOMKilled",
        start=datetime(2026, 11, 20, 2, 0, 0, tzinfo=UTC),
        end=datetime(2026, 11, 20, 3, 0, 0, 123000, tzinfo=UTC),
        order="asc",
        offset=40,
        limit=20,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"limit": "0"}, "limit", "0 is not a page size: choose 20, 50 or 100"),
        ({"limit": "101"}, "limit", "any size from 1 to 100"),
        ({"limit": "abc"}, "limit", "abc is not a page size"),
        ({"limit": "1.5"}, "limit", "1.5 is not a page size"),
        ({"offset": "-1"}, "offset", "greater than or equal to 0"),
        ({"offset": str(10**9 + 1)}, "offset", "less than or equal to"),
        ({"offset": "x"}, "offset", "whole number"),
        ({"level": "Debug"}, "level", "not one of the available choices"),
        ({"level": "Info "}, "level", "not one of the available choices"),
        ({"source": "Pod"}, "source", "not one of the available choices"),
        ({"order": "newest"}, "order", "not one of the available choices"),
        ({"pattern": "x" * 257}, "pattern", "at most 256 characters"),
        ({"start_time": START}, "end_time", "Give To as well as From"),
        ({"end_time": END}, "start_time", "Give From as well as To"),
        ({"start_time": END, "end_time": START}, "end_time", "To must not be before From"),
        ({"start_time": "yesterday", "end_time": END}, "start_time", "ISO 8601"),
        ({"start_time": START, "end_time": "2026-13-01T00:00:00Z"}, "end_time", "ISO 8601"),
        ({"start_time": "1969-12-31T23:59:59Z", "end_time": END}, "start_time", "out of range"),
        ({"start_time": START, "end_time": "1" * 16}, "end_time", "out of range"),
    ],
)
def test_it_rejects_a_bad_filter_with_a_message_on_its_field(
    data: dict[str, str], field: str, message: str
) -> None:
    form = EventFiltersForm(data)

    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert message in " ".join(form.errors[field])


def test_it_accepts_a_pattern_of_exactly_256_characters() -> None:
    form = valid_form({"pattern": "x" * 256})

    assert form.to_query().pattern == "x" * 256


def test_it_does_not_ask_for_the_other_time_when_the_given_one_is_unreadable() -> None:
    form = EventFiltersForm({"start_time": "yesterday"})

    assert not form.is_valid()
    assert list(form.errors) == ["start_time"]


def test_it_reports_both_unreadable_times_and_nothing_about_their_order() -> None:
    form = EventFiltersForm({"start_time": "yesterday", "end_time": "tomorrow"})

    assert not form.is_valid()
    assert sorted(form.errors) == ["end_time", "start_time"]
    assert all("ISO 8601" in " ".join(errors) for errors in form.errors.values())


def test_it_labels_the_time_fields_from_and_to() -> None:
    form = EventFiltersForm()

    assert form.fields["start_time"].label == "From"
    assert form.fields["end_time"].label == "To"
