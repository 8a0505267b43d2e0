"""The sandbox's contract, met through the real client over the in-process adapter."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from eventsui.modelarts import SANDBOX_ENDPOINT, errors
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.parsing import normalise_source
from eventsui.modelarts.types import EventQuery
from eventsui.sandbox import data
from eventsui.sandbox.api import UPSTREAM_ZONE
from tests.sandbox_client import sandbox_client, sent_queries

PROJECT = data.DEFAULT_PROJECT_ID
FAILED = data.FAILED_JOB_ID  # 181 events; counts sent as strings
COMPLETED = data.COMPLETED_JOB_ID  # 102 events; counts sent as numbers
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
MODES = ["records", "pages"]


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"the sandbox should never make the client wait ({seconds} s)")


def _sandbox_client(mode: str = "records", *, applies_source: bool = True) -> ModelArtsClient:
    return sandbox_client(mode, applies_source=applies_source, sleep=_no_sleep)


@pytest.fixture(params=MODES)
def client(request):
    return _sandbox_client(request.param)


def _truth(job_id: str, *, order: str = "asc") -> list[tuple]:
    """What the data set holds for a job, as the client should read it."""
    events = [
        (data.as_utc(e.at), e.level, normalise_source(e.source), e.message)
        for e in data.find_job(job_id).events()
    ]
    return events if order == "asc" else events[::-1]


def _seen(events) -> list[tuple]:
    return [(e.time, e.level, e.source, e.message) for e in events]


def _read_all(client: ModelArtsClient, job_id: str, query: EventQuery):
    """Every page of a query, from its offset on: the events and the totals reported."""
    events, totals, offset = [], [], query.offset
    for _ in range(1000):
        page = client.list_events(PROJECT, job_id, replace(query, offset=offset))
        assert page.offset == offset
        totals.append(page.total)
        events.extend(page.events)
        offset += query.limit
        if offset >= page.total or not page.events:
            break
    return events, totals


# -- paging ---------------------------------------------------------------------


@pytest.mark.parametrize("job_id", [FAILED, COMPLETED])
@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize(("start", "limit"), [(0, 100), (0, 7), (3, 10), (0, 1)])
def test_it_pages_a_whole_job_without_duplicates_or_gaps(client, job_id, order, start, limit):
    expected = _truth(job_id, order=order)

    events, totals = _read_all(client, job_id, EventQuery(order=order, offset=start, limit=limit))

    assert _seen(events) == expected[start:]
    assert set(totals) == {len(expected)}


def test_it_reads_an_unaligned_offset_from_two_sandbox_pages_in_pages_mode():
    client = _sandbox_client("pages")

    page = client.list_events(PROJECT, COMPLETED, EventQuery(order="asc", offset=15, limit=10))

    assert _seen(page.events) == _truth(COMPLETED)[15:25]
    assert [(q["offset"], q["limit"]) for q in sent_queries(client)] == [
        (["1"], ["10"]),
        (["2"], ["10"]),
    ]


def test_it_sends_the_record_offset_to_a_sandbox_that_reads_records():
    client = _sandbox_client("records")

    page = client.list_events(PROJECT, COMPLETED, EventQuery(order="asc", offset=15, limit=10))

    assert _seen(page.events) == _truth(COMPLETED)[15:25]
    assert [q["offset"] for q in sent_queries(client)] == [["15"]]


def test_it_reads_an_empty_page_past_the_end(client):
    page = client.list_events(PROJECT, COMPLETED, EventQuery(offset=500, limit=50))

    assert page.events == ()
    assert page.total == len(_truth(COMPLETED))


@pytest.mark.parametrize("job_id", [FAILED, COMPLETED])
def test_it_reads_the_total_whether_sent_as_a_string_or_a_number(client, job_id):
    page = client.list_events(PROJECT, job_id, EventQuery(limit=5))

    assert page.total == len(_truth(job_id))
    assert len(page.events) == 5


# -- order and times ------------------------------------------------------------


def test_it_lists_newest_first_by_default(client):
    page = client.list_events(PROJECT, FAILED, EventQuery(limit=100))

    times = [e.time for e in page.events]
    assert page.order == "desc"
    assert times == sorted(times, reverse=True)
    assert _seen(page.events)[0] == _truth(FAILED)[-1]


def test_it_lists_oldest_first_when_asked(client):
    page = client.list_events(PROJECT, FAILED, EventQuery(order="asc", limit=100))

    times = [e.time for e in page.events]
    assert page.order == "asc"
    assert times == sorted(times)
    assert _seen(page.events)[0] == _truth(FAILED)[0]


def test_it_reads_the_sandboxs_times_as_the_upstream_writes_them(client):
    page = client.list_events(PROJECT, COMPLETED, EventQuery(limit=3))

    for event in page.events:
        assert event.time is not None
        assert event.time.utcoffset() == timedelta(hours=8)
        assert event.time_text == event.time.isoformat()
        assert event.time_text.endswith("+08:00")


# -- filters --------------------------------------------------------------------


@pytest.mark.parametrize("level", ["Error", "Warning", "Info"])
def test_it_filters_by_level(client, level):
    expected = [e for e in _truth(FAILED, order="desc") if e[1] == level]

    events, totals = _read_all(client, FAILED, EventQuery(level=level, limit=100))

    assert expected
    assert _seen(events) == expected
    assert set(totals) == {len(expected)}


@pytest.mark.parametrize("source", ["K8S", "Job", "Task"])
def test_it_filters_by_source_whichever_way_k8s_is_spelt(client, source):
    expected = [e for e in _truth(FAILED, order="desc") if e[2] == source]

    events, totals = _read_all(client, FAILED, EventQuery(source=source, limit=100))

    assert _seen(events) == expected
    assert set(totals) == {len(expected)}
    assert {e.source for e in events} == {source}


def test_it_counts_both_spellings_of_k8s_as_one_source(client):
    raw_sources = {e.source for e in data.find_job(FAILED).events()}

    page = client.list_events(PROJECT, FAILED, EventQuery(source="K8S", limit=100))

    assert {"K8S", "K8s"} <= raw_sources
    assert page.total == sum(
        1 for e in data.find_job(FAILED).events() if e.source in ("K8S", "K8s")
    )
    assert page.source_filter_ignored is False


@pytest.mark.parametrize("pattern", ["OOM", "[worker-3]", "<script>", "数据", "Exit code 1."])
def test_it_filters_by_a_substring_of_the_message(client, pattern):
    expected = [e for e in _truth(FAILED, order="desc") if pattern in e[3]]

    events, totals = _read_all(client, FAILED, EventQuery(pattern=pattern, limit=100))

    assert expected
    assert _seen(events) == expected
    assert set(totals) == {len(expected)}


def test_it_finds_nothing_for_a_pattern_no_message_contains(client):
    page = client.list_events(PROJECT, FAILED, EventQuery(pattern="no such text anywhere"))

    assert (page.total, page.events) == (0, ())


# The end falls on an event's second, or inside it (which still includes it).
@pytest.mark.parametrize("end_ms", [0, 999])
def test_it_filters_by_a_time_range_including_both_ends(client, end_ms):
    truth = _truth(COMPLETED)
    start = truth[10][0].astimezone(UPSTREAM_ZONE)
    end = truth[40][0] + timedelta(milliseconds=end_ms)
    expected = [e for e in truth if start <= e[0] <= end]

    events, totals = _read_all(
        client, COMPLETED, EventQuery(start=start, end=end, order="asc", limit=7)
    )

    assert len(expected) >= 31
    assert _seen(events) == expected
    assert set(totals) == {len(expected)}


def test_it_combines_filters(client):
    query = EventQuery(level="Error", source="Task", pattern="NCCL", limit=100)
    expected = [
        e
        for e in _truth(FAILED, order="desc")
        if e[1] == "Error" and e[2] == "Task" and "NCCL" in e[3]
    ]

    page = client.list_events(PROJECT, FAILED, query)

    assert len(expected) == 3
    assert _seen(page.events) == expected
    assert page.total == 3


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        EventQuery(limit=0),
        EventQuery(limit=101),
        EventQuery(level="Debug"),
        EventQuery(level="error"),
        EventQuery(source="Scheduler"),
        EventQuery(pattern="x" * 257),
    ],
    ids=["limit-0", "limit-101", "level-debug", "level-lowercase", "source-unknown", "pattern-257"],
)
def test_it_refuses_a_bad_query_with_the_documented_bad_request(client, query):
    with pytest.raises(errors.UpstreamBadRequest) as caught:
        client.list_events(PROJECT, FAILED, query)

    assert caught.value.upstream_status == 400
    assert (caught.value.error_code, caught.value.error_msg) == (
        "ModelArts.50004000",
        "Bad request.",
    )


def test_it_accepts_the_largest_page_and_the_longest_pattern(client):
    page = client.list_events(PROJECT, FAILED, EventQuery(limit=100, pattern="x" * 256))

    assert page.total == 0


def test_it_refuses_a_time_range_that_ends_before_it_starts(client):
    truth = _truth(COMPLETED)
    query = EventQuery(start=truth[40][0], end=truth[10][0])

    with pytest.raises(errors.UpstreamBadRequest) as caught:
        client.list_events(PROJECT, COMPLETED, query)

    assert caught.value.error_code == "ModelArts.50004000"


@pytest.mark.parametrize(
    "params",
    [
        {"start_time": "1669449696964"},
        {"end_time": "1669711991259"},
        {"start_time": "2022-11-26T16:01:36+08:00", "end_time": "2022-11-29T16:53:11+08:00"},
        {"offset": "-1"},
        {"limit": "ten"},
        {"order": "newest"},
        {"source": "K8S", "level": ["Info", "Error"]},
    ],
)
def test_it_refuses_on_the_wire_what_the_client_never_sends(client, params):
    # The client refuses these itself, so they are sent over its session directly.
    url = f"{SANDBOX_ENDPOINT}/v2/{PROJECT}/training-jobs/{FAILED}/events"

    response = client.session.get(url, params=params)

    assert response.status_code == 400
    assert response.json() == {"error_code": "ModelArts.50004000", "error_msg": "Bad request."}


def test_the_client_refuses_a_start_without_an_end_before_the_sandbox_sees_it(client):
    with pytest.raises(ValueError, match="together"):
        client.list_events(PROJECT, FAILED, EventQuery(start=_truth(FAILED)[0][0]))

    assert sent_queries(client) == []


@pytest.mark.parametrize("call", ["events", "job"])
def test_it_answers_an_unknown_job_with_400_2775_which_the_client_reads_as_not_found(client, call):
    with pytest.raises(errors.JobNotFound) as caught:
        if call == "events":
            client.list_events(PROJECT, UNKNOWN_JOB, EventQuery())
        else:
            client.get_job(PROJECT, UNKNOWN_JOB)

    assert caught.value.status == 404
    assert caught.value.upstream_status == 400
    assert caught.value.error_code == "ModelArts.2775"
    assert len(caught.value.request_id) == 32


def test_it_answers_an_unknown_api_with_404_apigw_0101(client):
    response = client.session.get(f"{SANDBOX_ENDPOINT}/v2/{PROJECT}/notebooks")

    assert response.status_code == 404
    assert response.json()["error_code"] == "APIGW.0101"


# -- a server that ignores `source` ---------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_it_marks_the_source_filter_ignored_when_the_sandbox_ignores_source(mode):
    client = _sandbox_client(mode, applies_source=False)

    page = client.list_events(PROJECT, FAILED, EventQuery(source="Job", limit=100))

    assert page.source_filter_ignored is True
    # The rows are filtered here; the count is still the unfiltered one.
    assert _seen(page.events) == [e for e in _truth(FAILED, order="desc")[:100] if e[2] == "Job"]
    assert page.total == len(_truth(FAILED))


def test_it_marks_the_source_filter_ignored_on_an_unaligned_page_in_pages_mode():
    client = _sandbox_client("pages", applies_source=False)

    page = client.list_events(
        PROJECT, FAILED, EventQuery(source="Task", order="asc", offset=25, limit=20)
    )

    assert page.source_filter_ignored is True
    assert _seen(page.events) == [e for e in _truth(FAILED)[25:45] if e[2] == "Task"]
    assert len(sent_queries(client)) == 2


@pytest.mark.parametrize("mode", MODES)
def test_it_does_not_mark_the_source_filter_when_the_sandbox_applies_it(mode):
    client = _sandbox_client(mode, applies_source=True)

    page = client.list_events(PROJECT, FAILED, EventQuery(source="Job", limit=100))

    assert page.source_filter_ignored is False
    assert page.total == 4


# -- job search -----------------------------------------------------------------


def test_it_lists_every_job_newest_first_with_count_equal_to_total(client):
    page = client.list_jobs(PROJECT)

    all_jobs = data.jobs()
    assert (page.count, page.total) == (len(all_jobs), len(all_jobs))
    assert [job.id for job in page.jobs] == [job.id for job in all_jobs]


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (("Failed",), {j.name for j in data.jobs() if j.phase == "Failed"}),
        (
            ("Failed", "Abnormal"),
            {j.name for j in data.jobs() if j.phase in ("Failed", "Abnormal")},
        ),
        (("Running",), {"llama-7b-pretrain", "live-tail-demo"}),
        (("Unknown",), set()),
    ],
)
def test_it_filters_jobs_by_phase_and_counts_only_the_matches(client, phases, expected):
    page = client.list_jobs(PROJECT, phases=phases)

    assert {job.name for job in page.jobs} == expected
    assert page.count == len(expected)
    assert page.total == len(data.jobs())


@pytest.mark.parametrize(
    ("name", "expected"),
    [("bert", {"bert-base-finetune"}), ("-", None), ("gpt3", set())],
)
def test_it_filters_jobs_by_part_of_their_name(client, name, expected):
    page = client.list_jobs(PROJECT, name=name)

    expected = expected if expected is not None else {j.name for j in data.jobs() if name in j.name}
    assert {job.name for job in page.jobs} == expected
    assert page.count == len(expected)
    assert page.total == len(data.jobs())


def test_it_combines_the_name_and_phase_filters(client):
    page = client.list_jobs(PROJECT, name="e", phases=("Completed", "Terminated"))

    expected = {
        job.name
        for job in data.jobs()
        if "e" in job.name and job.phase in ("Completed", "Terminated")
    }
    assert {job.name for job in page.jobs} == expected
    assert {"bert-base-finetune", "yolo-v8-detect"} <= expected
    assert page.count == len(expected)


def test_it_pages_jobs_by_page_index(client):
    all_ids = [job.id for job in data.jobs()]

    last = -(-len(all_ids) // 3)
    pages = [client.list_jobs(PROJECT, page=n, limit=3) for n in range(last + 1)]

    assert [[job.id for job in p.jobs] for p in pages] == [
        *(all_ids[n * 3 : n * 3 + 3] for n in range(last)),
        [],
    ]
    assert {(p.count, p.offset, p.limit) for p in pages[:1]} == {(len(all_ids), 0, 3)}
    assert [p.offset for p in pages] == list(range(last + 1))


@pytest.mark.parametrize("limit", [51, 100, 0])
def test_it_refuses_a_job_search_limit_outside_one_to_fifty(client, limit):
    url = f"{SANDBOX_ENDPOINT}/v2/{PROJECT}/training-job-searches"

    response = client.session.post(url, json={"offset": 0, "limit": limit})

    assert response.status_code == 400
    assert response.json()["error_code"] == "ModelArts.2788"


def test_the_client_keeps_a_job_search_limit_within_fifty(client):
    page = client.list_jobs(PROJECT, limit=80)

    assert page.limit == 50


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ([{"key": "owner", "operator": "in", "value": ["me"]}], "ModelArts.2807"),
        ([{"key": "phase", "operator": "like", "value": ["Fail"]}], "ModelArts.2808"),
        ([{"key": "phase", "operator": "in", "value": "Failed"}], "ModelArts.2809"),
    ],
)
def test_it_refuses_an_unknown_filter_with_its_documented_code(client, filters, code):
    url = f"{SANDBOX_ENDPOINT}/v2/{PROJECT}/training-job-searches"

    response = client.session.post(url, json={"filters": filters})

    assert response.status_code == 400
    assert response.json()["error_code"] == code


# -- job details ----------------------------------------------------------------


def test_it_shows_the_details_of_a_job(client):
    job = client.get_job(PROJECT, FAILED)
    source = data.find_job(FAILED)

    assert (job.id, job.name, job.phase, job.secondary_phase) == (
        FAILED,
        "resnet50-imagenet",
        "Failed",
        "Failed",
    )
    assert job.description == "ResNet-50 on ImageNet-1k, 4 nodes"
    assert job.user_name == "ml-engineer"
    assert job.created == data.as_utc(source.created)
    assert job.started == data.as_utc(source.created + 60)
    assert job.duration_ms == (source.ended - source.started) * 1000
    assert job.duration_ms > 0
    assert job.node_count == 4
    assert job.flavor == source.flavor_name
    assert [(t.task, t.exit_code, t.message) for t in job.task_statuses] == [
        ("worker-0", 1, "NCCL communicator was aborted"),
        ("worker-3", 137, "OOMKilled"),
    ]
    assert job.failed and job.finished


def test_it_shows_a_job_that_never_started_without_a_start_time(client):
    job = client.get_job(PROJECT, "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f")

    assert (job.phase, job.secondary_phase) == ("Abnormal", "CreateFailed")
    assert job.started is None
    assert job.duration_ms == 0


def test_it_lists_the_same_job_as_its_details_show(client):
    listed = next(job for job in client.list_jobs(PROJECT).jobs if job.id == COMPLETED)

    assert client.get_job(PROJECT, COMPLETED) == listed


def _messages(language: str | None, **params: str) -> list[str]:
    import json

    from eventsui.sandbox.api import Sandbox

    query = {"limit": ["100"], "order": ["asc"], **{k: [v] for k, v in params.items()}}
    answer = Sandbox().handle(
        "GET",
        f"/v2/{data.DEFAULT_PROJECT_ID}/training-jobs/{data.FAILED_JOB_ID}/events",
        query,
        b"",
        language,
    )
    return [e["message"] for e in json.loads(answer.body)["events"]]


def test_it_answers_in_chinese_for_x_language_zh_cn_and_in_english_otherwise():
    english, chinese = _messages("en-us", level="Error"), _messages("zh-cn", level="Error")

    assert _messages(None, level="Error") == english
    assert "Training job failed." in english and "训练作业失败。" not in english
    assert "训练作业失败。" in chinese and "Training job failed." not in chinese
    assert len(chinese) == len(english)


def test_the_phase_changes_are_in_chinese_and_a_pattern_finds_the_same_rows_in_both():
    assert "训练作业运行中。" in _messages("zh-cn")
    assert len(_messages("zh-cn", pattern="Training job")) == len(
        _messages("en-us", pattern="Training job")
    )
