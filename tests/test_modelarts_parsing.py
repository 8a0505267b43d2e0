"""What ModelArts really sends, and what the service layer makes of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eventsui.modelarts.parsing import (
    WrongShape,
    normalise_level,
    normalise_source,
    parse_count,
    parse_epoch_ms,
    parse_error_body,
    parse_event,
    parse_event_page,
    parse_iso_time,
    parse_job,
    parse_job_page,
)
from eventsui.modelarts.types import Event

CST = timezone(timedelta(hours=8))

# The documented example response of ListTrainingJobEvents, trimmed: counts as
# numbers, times with +08:00, and the last event spelling its source K8s.
DOC_EXAMPLE = {
    "total": 27,
    "limit": 3,
    "offset": 0,
    "order": "desc",
    "start_time": "2022-11-26T16:01:36+08:00",
    "end_time": "2022-11-29T16:53:11+08:00",
    "events": [
        {
            "time": "2022-11-29T16:31:04+08:00",
            "level": "Error",
            "message": "Training job failed.",
            "source": "Job",
        },
        {
            "time": "2022-11-29T16:31:03+08:00",
            "level": "Info",
            "message": "[worker-0] Training finished. Exit code 1.",
            "source": "Task",
        },
        {
            "time": "2022-11-29T16:30:51+08:00",
            "level": "Info",
            "message": "[Pod: modelarts-job-3faf5c03-worker-0] Started container",
            "source": "K8s",
        },
    ],
}


def _page(body: object, order: str = "desc"):
    return parse_event_page(body, requested_order=order)  # type: ignore[arg-type]


# -- counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (27, 27),
        ("27", 27),
        (" 27 ", 27),
        ("0", 0),
        (0, 0),
        (27.0, 27),
        ("-1", -1),
    ],
)
def test_it_reads_a_count_sent_as_a_number_or_a_numeric_string(value, expected):
    assert parse_count(value, "total") == expected


@pytest.mark.parametrize(
    "value", ["", None, "twenty", "2.5", 2.5, True, False, [], {}, "1e3", "--5", "²", "0x1b"]
)
def test_it_refuses_a_count_that_is_not_a_whole_number(value):
    with pytest.raises(WrongShape):
        parse_count(value, "total")


@pytest.mark.parametrize("value", [None, ""])
def test_it_uses_the_default_for_a_missing_count(value):
    assert parse_count(value, "total", default=7) == 7


def test_it_names_the_field_when_a_count_is_missing():
    with pytest.raises(WrongShape, match="missing total"):
        parse_count(None, "total")


def test_it_reads_the_counts_of_an_event_page_sent_as_strings():
    body = {**DOC_EXAMPLE, "total": "27", "limit": "3", "offset": "6"}

    page = _page(body)

    assert (page.total, page.limit, page.offset) == (27, 3, 6)


def test_it_reads_the_documented_example_response():
    page = _page(DOC_EXAMPLE, order="asc")

    assert (page.total, page.limit, page.offset, page.order) == (27, 3, 0, "desc")
    assert page.source_filter_ignored is False
    assert page.events[0] == Event(
        time=datetime(2022, 11, 29, 16, 31, 4, tzinfo=CST),
        time_text="2022-11-29T16:31:04+08:00",
        level="Error",
        source="Job",
        message="Training job failed.",
    )
    assert [e.source for e in page.events] == ["Job", "Task", "K8S"]


# -- levels and sources ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("K8S", "K8S"),
        ("K8s", "K8S"),
        ("k8s", "K8S"),
        (" K8s ", "K8S"),
        ("Job", "Job"),
        ("JOB", "Job"),
        ("task", "Task"),
        ("Scheduler", "Scheduler"),
        ("", ""),
    ],
)
def test_it_normalises_the_spelling_of_a_source(raw, expected):
    assert normalise_source(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Info", "Info"),
        ("info", "Info"),
        ("WARNING", "Warning"),
        ("error", "Error"),
        (" Error\n", "Error"),
        ("Debug", "Debug"),
        ("", ""),
    ],
)
def test_it_normalises_the_spelling_of_a_level(raw, expected):
    assert normalise_level(raw) == expected


def test_it_normalises_source_and_level_of_each_event():
    event = parse_event({"time": "", "level": "error", "source": "K8s", "message": "m"})

    assert (event.level, event.source) == ("Error", "K8S")


# -- missing fields -------------------------------------------------------------


def test_it_reads_an_event_with_every_field_missing_as_empty_text():
    assert parse_event({}) == Event(time=None, time_text="", level="", source="", message="")


def test_it_reads_null_fields_of_an_event_as_empty_text():
    event = parse_event({"time": None, "level": None, "source": None, "message": None})

    assert event == Event(time=None, time_text="", level="", source="", message="")


def test_it_keeps_a_message_that_is_not_a_string_as_text():
    assert parse_event({"message": 42}).message == "42"


def test_it_reads_a_page_without_events_as_empty():
    page = _page({"total": 0})

    assert page.events == ()
    assert page.total == 0


def test_it_reads_null_events_as_an_empty_page():
    assert _page({"total": "0", "events": None}).events == ()


def test_it_counts_what_it_sees_when_total_and_limit_are_missing():
    page = _page({"events": DOC_EXAMPLE["events"]})

    assert (page.total, page.limit, page.offset) == (3, 3, 0)


def test_it_reads_an_empty_object_as_an_empty_page():
    page = _page({})

    assert (page.total, page.limit, page.offset, page.events) == (0, 0, 0, ())


@pytest.mark.parametrize(
    ("sent", "requested", "expected"),
    [
        ("desc", "asc", "desc"),
        ("asc", "desc", "asc"),
        ("ASC", "desc", "asc"),
        (None, "asc", "asc"),
        (None, "desc", "desc"),
        ("", "asc", "asc"),
        ("newest", "asc", "asc"),
    ],
)
def test_it_reports_the_order_the_server_used_or_else_the_one_asked_for(sent, requested, expected):
    body = {"total": 0, "events": []}
    if sent is not None:
        body["order"] = sent

    assert _page(body, order=requested).order == expected


# -- times ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-11-26T16:01:36+08:00", datetime(2022, 11, 26, 8, 1, 36, tzinfo=UTC)),
        ("2022-11-26T08:01:36Z", datetime(2022, 11, 26, 8, 1, 36, tzinfo=UTC)),
        ("2022-11-26T08:01:36+00:00", datetime(2022, 11, 26, 8, 1, 36, tzinfo=UTC)),
        ("2022-11-26T10:01:36.964+02:00", datetime(2022, 11, 26, 8, 1, 36, 964000, tzinfo=UTC)),
        (" 2022-11-26T16:01:36+08:00 ", datetime(2022, 11, 26, 8, 1, 36, tzinfo=UTC)),
    ],
)
def test_it_reads_an_iso_time_with_an_offset_as_an_aware_datetime(text, expected):
    parsed = parse_iso_time(text)

    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() is not None


def test_it_keeps_the_upstreams_offset_of_an_event_time():
    parsed = parse_iso_time("2022-11-26T16:01:36+08:00")

    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parsed.hour == 16


@pytest.mark.parametrize(
    "value",
    [
        "2022-11-26T16:01:36",  # no offset: any zone guessed could be hours off
        "26/11/2022 16:01:36",
        "yesterday",
        "2022-13-40T99:00:00+08:00",
        "",
        None,
        1669449696964,
    ],
)
def test_it_reads_an_unusable_time_as_none(value):
    assert parse_iso_time(value) is None


@pytest.mark.parametrize(
    "text", ["26/11/2022 16:01:36", "2022-11-26T16:01:36", "1669449696964", "<b>soon</b>"]
)
def test_it_keeps_an_unreadable_event_time_as_text(text):
    event = parse_event({"time": text, "level": "Info", "source": "Job", "message": "m"})

    assert event.time is None
    assert event.time_text == text


def test_it_keeps_the_text_of_a_readable_event_time():
    event = parse_event({"time": "2022-11-26T08:01:36Z"})

    assert event.time == datetime(2022, 11, 26, 8, 1, 36, tzinfo=UTC)
    assert event.time_text == "2022-11-26T08:01:36Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1669449696964, datetime(2022, 11, 26, 8, 1, 36, 964000, tzinfo=UTC)),
        ("1669449696964", datetime(2022, 11, 26, 8, 1, 36, 964000, tzinfo=UTC)),
        (0, None),
        ("0", None),
        (None, None),
        (-5, None),
        ("soon", None),
        (10**20, None),
    ],
)
def test_it_reads_epoch_milliseconds_and_zero_as_never(value, expected):
    assert parse_epoch_ms(value) == expected


# -- wrong shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [],
        "events",
        None,
        42,
        {"events": {"time": "x"}},
        {"events": "none"},
        {"events": ["an event"]},
        {"events": [None]},
        {"events": [], "total": "many"},
        {"events": [], "total": True},
        {"events": [], "limit": "fifty"},
        {"events": [], "offset": {"page": 1}},
    ],
)
def test_it_refuses_an_event_page_of_the_wrong_shape(body):
    with pytest.raises(WrongShape):
        _page(body)


@pytest.mark.parametrize(
    "body",
    [
        [],
        None,
        {"items": {}},
        {"items": ["job"]},
        {"items": [{"metadata": {"name": "no-id"}}]},
        {"items": [{"metadata": ["id"]}]},
        {"items": [], "count": "some"},
    ],
)
def test_it_refuses_a_job_page_of_the_wrong_shape(body):
    with pytest.raises(WrongShape):
        parse_job_page(body)


@pytest.mark.parametrize("raw", [None, [], "job", {"metadata": {}}, {"status": "Running"}])
def test_it_refuses_a_job_of_the_wrong_shape(raw):
    with pytest.raises(WrongShape):
        parse_job(raw)


# -- jobs -----------------------------------------------------------------------

JOB = {
    "kind": "job",
    "metadata": {
        "id": "3faf5c03-aaa1-4cbe-879d-24b05d997347",
        "name": "resnet50-imagenet",
        "description": "ResNet-50",
        "create_time": 1669449696964,
        "user_name": "ml-engineer",
    },
    "status": {
        "phase": "Failed",
        "secondary_phase": "Failed",
        "duration": "3600000",
        "start_time": 0,
        "tasks": ["worker-0", "worker-1", 7, ""],
        "task_statuses": [
            {"task": "worker-0", "exit_code": 137, "message": "OOMKilled"},
            {"task": "worker-1", "exit_code": "n/a", "message": None},
            "not a task status",
        ],
    },
    "spec": {"resource": {"flavor_id": "modelarts.p3.large.public", "node_count": "4"}},
}


def test_it_reads_the_fields_of_a_job_the_header_shows():
    job = parse_job(JOB)

    assert job.id == "3faf5c03-aaa1-4cbe-879d-24b05d997347"
    assert job.name == "resnet50-imagenet"
    assert (job.phase, job.secondary_phase) == ("Failed", "Failed")
    assert job.created == datetime(2022, 11, 26, 8, 1, 36, 964000, tzinfo=UTC)
    assert job.started is None
    assert job.duration_ms == 3_600_000
    assert job.flavor == "modelarts.p3.large.public"
    assert job.node_count == 4
    assert [(t.task, t.exit_code, t.message) for t in job.task_statuses] == [
        ("worker-0", 137, "OOMKilled"),
        ("worker-1", None, ""),
    ]
    # Task ids as text, in ModelArts' order; an empty one is no task.
    assert job.tasks == ("worker-0", "worker-1", "7")


def test_it_prefers_the_flavor_name_to_its_id():
    raw = {**JOB, "spec": {"resource": {"flavor_id": "f.id", "flavor_name": "GPU: 1*V100"}}}

    assert parse_job(raw).flavor == "GPU: 1*V100"


def test_it_fills_what_a_bare_job_leaves_out():
    job = parse_job({"metadata": {"id": "abc"}})

    assert (job.name, job.phase, job.flavor) == ("abc", "Unknown", "")
    assert (job.created, job.started, job.duration_ms, job.node_count) == (None, None, None, None)
    assert job.task_statuses == ()
    assert job.tasks == ()


def test_it_pages_jobs_by_count_not_total():
    page = parse_job_page({"total": "40", "count": "3", "limit": 50, "offset": "0", "items": [JOB]})

    assert (page.count, page.total, page.limit, page.offset) == (3, 40, 50, 0)
    assert [j.name for j in page.jobs] == ["resnet50-imagenet"]


def test_it_takes_a_missing_count_to_be_the_total():
    page = parse_job_page({"total": 12, "items": []})

    assert (page.count, page.total) == (12, 12)


# -- error bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error_code": "ModelArts.50004000", "error_msg": "Bad request."},
            ("ModelArts.50004000", "Bad request."),
        ),
        (
            {"error_code": "ModelArts.2775", "error_message": "Training job not found."},
            ("ModelArts.2775", "Training job not found."),
        ),
        (
            {"error_code": "APIGW.0308", "error_msg": "over ratelimit", "request_id": "r1"},
            ("APIGW.0308", "over ratelimit"),
        ),
        ({"errorCode": "APIGW.0301", "errorMsg": "bad token"}, ("APIGW.0301", "bad token")),
        ({"errorCode": "X.1", "errorMessage": "m"}, ("X.1", "m")),
        ({"code": "ModelArts.2799", "message": "slow down"}, ("ModelArts.2799", "slow down")),
        ({"code": "E1", "msg": "short"}, ("E1", "short")),
        ({"code": 401, "message": "Unauthorized"}, ("401", "Unauthorized")),
        ({"error": {"code": "APIGW.0101", "message": "no API"}}, ("APIGW.0101", "no API")),
        (
            {"error": {"error_code": "ModelArts.0203", "error_msg": "invalid token"}},
            ("ModelArts.0203", "invalid token"),
        ),
        ({"outer": {"inner": {"errorCode": "X.2", "errorMsg": "deep"}}}, ("X.2", "deep")),
        ({"error_code": "ModelArts.0010"}, ("ModelArts.0010", "")),
        ({"error_code": None, "error_msg": None}, ("", "")),
        ({"error_code": "A", "code": "B", "message": "m"}, ("A", "")),
        ({}, ("", "")),
        ({"error": {"detail": "none of the known keys"}}, ("", "")),
        ({"error": "a plain string"}, ("", "")),
        ([{"error_code": "X"}], ("", "")),
        ("Bad gateway", ("", "")),
        (None, ("", "")),
    ],
)
def test_it_reads_every_error_body_shape(body, expected):
    assert parse_error_body(body) == expected


def test_it_cuts_an_overlong_error_code_and_message():
    code, msg = parse_error_body({"error_code": "C" * 500, "error_msg": "M" * 5000})

    assert (len(code), len(msg)) == (100, 500)


@pytest.mark.parametrize("value", [5, "worker-0", {"task": "worker-0"}, True])
def test_it_ignores_task_statuses_that_are_not_a_list(value):
    raw = {"metadata": {"id": "abc"}, "status": {"phase": "Failed", "task_statuses": value}}

    assert parse_job(raw).task_statuses == ()
