"""The client at the HTTP boundary: what it sends, and what it makes of every answer."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from eventsui.modelarts import client as client_module
from eventsui.modelarts import errors
from eventsui.modelarts.auth import TokenAuth
from eventsui.modelarts.client import ClientConfig, ModelArtsClient, epoch_ms
from eventsui.modelarts.types import EventQuery

ENDPOINT = "https://modelarts.eu-de.example.test"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
JOB_ID = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
TOKEN = "MIIZtestTOKEN-d0-not-l0g-me-7f3a9c"
EVENTS_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB_ID}/events"
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB_ID}"
SEARCH_URL = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"
CST = timezone(timedelta(hours=8))


class FakeTime:
    """A monotonic clock that only moves when the client sleeps or a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def upstream():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_time():
    return FakeTime()


def _client(fake_time: FakeTime, **config) -> ModelArtsClient:
    return ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT, **config),
        auth=TokenAuth(TOKEN),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )


@pytest.fixture
def client(fake_time):
    return _client(fake_time)


def _event(n: int, source: str = "Job") -> dict[str, str]:
    return {
        "time": f"2022-11-29T16:{n // 60:02d}:{n % 60:02d}+08:00",
        "level": "Info",
        "message": f"event {n}",
        "source": source,
    }


def _events_body(numbers, *, total: int | str, source: str = "Job") -> dict:
    events = [_event(n, source) for n in numbers]
    return {"total": total, "limit": len(events), "offset": 0, "order": "desc", "events": events}


def _job_body() -> dict:
    return {"metadata": {"id": JOB_ID, "name": "resnet50"}, "status": {"phase": "Running"}}


def _search_body() -> dict:
    return {"total": 1, "count": 1, "limit": 50, "offset": 0, "items": [_job_body()]}


def _sent_params(call) -> dict[str, str]:
    query = parse_qs(urlsplit(call.request.url).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


def _messages(page) -> list[str]:
    return [event.message for event in page.events]


# Each call the client makes, with the method and URL it goes to and a good answer.
CALLS = {
    "events": (
        responses.GET,
        EVENTS_URL,
        lambda c: c.list_events(PROJECT, JOB_ID, EventQuery()),
        _events_body(range(3), total=3),
    ),
    "job": (responses.GET, JOB_URL, lambda c: c.get_job(PROJECT, JOB_ID), _job_body()),
    "search": (responses.POST, SEARCH_URL, lambda c: c.list_jobs(PROJECT), _search_body()),
}


# -- what goes up ---------------------------------------------------------------


def test_it_always_sends_offset_limit_and_order(upstream, client):
    upstream.get(EVENTS_URL, json=_events_body([], total=0))

    client.list_events(PROJECT, JOB_ID, EventQuery())

    assert _sent_params(upstream.calls[0]) == {"offset": "0", "limit": "50", "order": "desc"}


def test_it_sends_every_filter_of_a_query_as_the_api_names_it(upstream, client):
    upstream.get(EVENTS_URL, json=_events_body([], total=0))
    query = EventQuery(
        level="Error",
        source="Task",
        pattern="loss=0.1 & [worker-0] 100% #1",
        # The documentation's own example window.
        start=datetime(2022, 11, 26, 16, 1, 36, 964000, tzinfo=CST),
        end=datetime(2022, 11, 29, 16, 53, 11, 259000, tzinfo=CST),
        order="asc",
        offset=120,
        limit=40,
    )

    client.list_events(PROJECT, JOB_ID, query)

    assert _sent_params(upstream.calls[0]) == {
        "offset": "120",
        "limit": "40",
        "order": "asc",
        "level": "Error",
        "source": "Task",
        "pattern": "loss=0.1 & [worker-0] 100% #1",
        "start_time": "1669449696964",
        "end_time": "1669711991259",
    }
    assert urlsplit(upstream.calls[0].request.url).path == (
        f"/v2/{PROJECT}/training-jobs/{JOB_ID}/events"
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2022, 11, 26, 16, 1, 36, 964000, tzinfo=CST), 1669449696964),
        (datetime(2022, 11, 26, 8, 1, 36, 964000, tzinfo=UTC), 1669449696964),
        (datetime(2022, 11, 26, 8, 1, 36, 964999, tzinfo=UTC), 1669449696964),
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), 1000),
    ],
)
def test_it_turns_an_aware_time_into_whole_epoch_milliseconds(moment, expected):
    assert epoch_ms(moment) == expected


def test_it_refuses_a_naive_time_without_calling_the_upstream(upstream, client):
    naive = datetime(2022, 11, 26, 16, 1, 36)

    with pytest.raises(ValueError, match="naive"):
        client.list_events(PROJECT, JOB_ID, EventQuery(start=naive, end=naive))

    assert len(upstream.calls) == 0


@pytest.mark.parametrize("given", ["start", "end"])
def test_it_refuses_a_start_without_an_end_without_calling_the_upstream(upstream, client, given):
    moment = datetime(2022, 11, 26, tzinfo=UTC)

    with pytest.raises(ValueError, match="together"):
        client.list_events(PROJECT, JOB_ID, EventQuery(**{given: moment}))

    assert len(upstream.calls) == 0


@pytest.mark.parametrize(
    ("project_id", "job_id"),
    [
        (PROJECT, "../../v3/auth/tokens"),
        (PROJECT, "job?limit=1"),
        (PROJECT, "job#x"),
        (PROJECT, ""),
        ("proj/../other", JOB_ID),
        ("", JOB_ID),
        ("p" * 65, JOB_ID),
    ],
)
def test_it_refuses_ids_that_could_reshape_the_upstream_path(upstream, client, project_id, job_id):
    with pytest.raises(ValueError, match="invalid"):
        client.list_events(project_id, job_id, EventQuery())
    with pytest.raises(ValueError, match="invalid"):
        client.get_job(project_id, job_id)

    assert len(upstream.calls) == 0


@pytest.mark.parametrize(("offset", "limit", "page"), [(0, 50, "0"), (100, 50, "2"), (30, 10, "3")])
def test_it_sends_the_offset_as_a_page_index_in_pages_mode(
    upstream, fake_time, offset, limit, page
):
    client = _client(fake_time, events_offset="pages")
    upstream.get(EVENTS_URL, json={**_events_body([], total=500), "offset": int(page)})

    result = client.list_events(PROJECT, JOB_ID, EventQuery(offset=offset, limit=limit))

    assert len(upstream.calls) == 1
    assert _sent_params(upstream.calls[0]) == {"offset": page, "limit": str(limit), "order": "desc"}
    # Above the client the offset is always a record offset.
    assert result.offset == offset


def test_it_reads_an_unaligned_offset_from_two_pages_in_pages_mode(upstream, fake_time):
    client = _client(fake_time, events_offset="pages")
    upstream.get(EVENTS_URL, json=_events_body(range(10, 20), total="57"))
    upstream.get(EVENTS_URL, json=_events_body(range(20, 30), total="57"))

    page = client.list_events(PROJECT, JOB_ID, EventQuery(offset=15, limit=10))

    assert [_sent_params(call)["offset"] for call in upstream.calls] == ["1", "2"]
    assert [_sent_params(call)["limit"] for call in upstream.calls] == ["10", "10"]
    assert _messages(page) == [f"event {n}" for n in range(15, 25)]
    assert (page.total, page.offset, page.limit) == (57, 15, 10)


def test_it_reads_one_page_when_an_unaligned_offset_falls_in_the_last_page(upstream, fake_time):
    client = _client(fake_time, events_offset="pages")
    upstream.get(EVENTS_URL, json=_events_body(range(10, 18), total=18))

    page = client.list_events(PROJECT, JOB_ID, EventQuery(offset=15, limit=10))

    assert len(upstream.calls) == 1
    assert _sent_params(upstream.calls[0])["offset"] == "1"
    assert _messages(page) == ["event 15", "event 16", "event 17"]
    assert (page.total, page.offset) == (18, 15)


def test_it_sends_the_record_offset_unchanged_in_records_mode(upstream, client):
    upstream.get(EVENTS_URL, json=_events_body(range(15, 25), total=57))

    page = client.list_events(PROJECT, JOB_ID, EventQuery(offset=15, limit=10))

    assert len(upstream.calls) == 1
    assert _sent_params(upstream.calls[0])["offset"] == "15"
    assert _messages(page) == [f"event {n}" for n in range(15, 25)]


def test_it_never_returns_more_events_than_asked_for(upstream, client):
    upstream.get(EVENTS_URL, json=_events_body(range(30), total=30))

    page = client.list_events(PROJECT, JOB_ID, EventQuery(limit=10))

    assert _messages(page) == [f"event {n}" for n in range(10)]


@pytest.mark.parametrize("name", CALLS)
def test_it_sends_the_token_as_x_auth_token(upstream, client, name):
    method, url, call, body = CALLS[name]
    upstream.add(method, url, json=body)

    call(client)

    assert upstream.calls[0].request.headers["X-Auth-Token"] == TOKEN


def test_it_sends_no_token_header_without_auth(upstream, fake_time):
    client = ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT), sleep=fake_time.sleep, clock=fake_time.clock
    )
    upstream.get(JOB_URL, json=_job_body())

    client.get_job(PROJECT, JOB_ID)

    assert "X-Auth-Token" not in upstream.calls[0].request.headers


def test_it_never_shows_the_token_in_the_auth_objects_repr():
    assert TOKEN not in repr(TokenAuth(TOKEN))


@pytest.mark.parametrize("name", CALLS)
def test_it_gives_every_attempt_a_connect_and_a_read_timeout(upstream, client, name):
    method, url, call, body = CALLS[name]
    upstream.add(method, url, json=body)

    call(client)

    assert upstream.calls[0].request.req_kwargs["timeout"] == (3.0, 10.0)


def test_it_searches_jobs_with_a_page_index_a_bounded_limit_and_filters(upstream, client):
    upstream.post(SEARCH_URL, json=_search_body())

    page = client.list_jobs(PROJECT, page=2, limit=80, name="resnet", phases=("Failed", "Running"))

    assert json.loads(upstream.calls[0].request.body) == {
        "offset": 2,
        "limit": 50,
        "sort_by": "create_time",
        "order": "desc",
        "filters": [
            {"key": "name", "operator": "like", "value": ["resnet"]},
            {"key": "phase", "operator": "in", "value": ["Failed", "Running"]},
        ],
    }
    assert [job.id for job in page.jobs] == [JOB_ID]


def test_it_searches_jobs_without_filters_when_none_are_given(upstream, client):
    upstream.post(SEARCH_URL, json=_search_body())

    client.list_jobs(PROJECT, limit=0)

    assert json.loads(upstream.calls[0].request.body) == {
        "offset": 0,
        "limit": 1,
        "sort_by": "create_time",
        "order": "desc",
    }


def test_it_does_not_follow_a_redirect(upstream, client):
    elsewhere = "https://collector.example.test/steal"
    upstream.get(JOB_URL, status=302, headers={"Location": elsewhere})
    upstream.get(elsewhere, json=_job_body())

    with pytest.raises(errors.UpstreamUnavailable) as caught:
        client.get_job(PROJECT, JOB_ID)

    assert [call.request.url for call in upstream.calls] == [JOB_URL]
    assert caught.value.upstream_status == 302


# -- source post-filter ---------------------------------------------------------


def test_it_marks_the_source_filter_ignored_when_other_sources_come_back(upstream, client):
    events = [_event(1, "Job"), _event(2, "Task"), _event(3, "K8s"), _event(4, "Job")]
    upstream.get(EVENTS_URL, json={"total": 40, "events": events})

    page = client.list_events(PROJECT, JOB_ID, EventQuery(source="Job"))

    assert page.source_filter_ignored is True
    assert _messages(page) == ["event 1", "event 4"]
    # The count is the upstream's: it cannot be corrected from one page.
    assert page.total == 40


def test_it_accepts_either_spelling_of_k8s_as_the_asked_for_source(upstream, client):
    events = [_event(1, "K8S"), _event(2, "K8s"), _event(3, "k8s")]
    upstream.get(EVENTS_URL, json={"total": 3, "events": events})

    page = client.list_events(PROJECT, JOB_ID, EventQuery(source="K8S"))

    assert page.source_filter_ignored is False
    assert [e.source for e in page.events] == ["K8S", "K8S", "K8S"]


def test_it_leaves_mixed_sources_alone_when_no_source_was_asked_for(upstream, client):
    events = [_event(1, "Job"), _event(2, "Task")]
    upstream.get(EVENTS_URL, json={"total": 2, "events": events})

    page = client.list_events(PROJECT, JOB_ID, EventQuery())

    assert page.source_filter_ignored is False
    assert _messages(page) == ["event 1", "event 2"]


def test_it_marks_the_source_filter_ignored_across_two_pages_in_pages_mode(upstream, fake_time):
    client = _client(fake_time, events_offset="pages")
    first = [_event(n, "Task" if n % 2 else "Job") for n in range(4, 8)]
    second = [_event(n, "Task" if n % 2 else "Job") for n in range(8, 12)]
    upstream.get(EVENTS_URL, json={"total": 12, "events": first})
    upstream.get(EVENTS_URL, json={"total": 12, "events": second})

    page = client.list_events(PROJECT, JOB_ID, EventQuery(source="Job", offset=6, limit=4))

    assert len(upstream.calls) == 2
    assert page.source_filter_ignored is True
    assert _messages(page) == ["event 6", "event 8"]


# -- failures that are not retried ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "code", "error", "answer"),
    [
        ("events", 400, "ModelArts.50004000", errors.UpstreamBadRequest, 400),
        ("search", 400, "ModelArts.2790", errors.UpstreamBadRequest, 400),
        ("events", 400, "", errors.UpstreamBadRequest, 400),
        ("job", 400, "ModelArts.2775", errors.JobNotFound, 404),
        ("events", 400, "ModelArts.2775", errors.JobNotFound, 404),
        ("events", 401, "APIGW.0301", errors.UpstreamAuthError, 502),
        ("job", 401, "ModelArts.0202", errors.UpstreamAuthError, 502),
        ("search", 401, "", errors.UpstreamAuthError, 502),
        ("events", 403, "ModelArts.0108", errors.UpstreamAuthError, 502),
        ("job", 403, "ModelArts.0210", errors.UpstreamAuthError, 502),
        ("events", 404, "", errors.JobNotFound, 404),
        ("job", 404, "", errors.JobNotFound, 404),
        ("search", 404, "", errors.NotFound, 404),
        ("events", 404, "APIGW.0101", errors.UpstreamUnavailable, 502),
        ("job", 404, "APIGW.0101", errors.UpstreamUnavailable, 502),
        ("search", 404, "APIGW.0101", errors.UpstreamUnavailable, 502),
        ("events", 404, "ModelArts.2786", errors.UpstreamAuthError, 502),
        ("search", 404, "ModelArts.2786", errors.UpstreamAuthError, 502),
        ("job", 409, "ModelArts.2878", errors.UpstreamUnavailable, 502),
        ("events", 500, "ModelArts.0010", errors.UpstreamUnavailable, 502),
        ("search", 500, "", errors.UpstreamUnavailable, 502),
        ("job", 501, "", errors.UpstreamUnavailable, 502),
    ],
)
def test_it_maps_each_refusal_to_its_error_at_once(
    upstream, client, fake_time, name, status, code, error, answer
):
    method, url, call, _ = CALLS[name]
    body = {"error_code": code, "error_msg": "As the upstream put it."} if code else {}
    upstream.add(method, url, status=status, json=body, headers={"X-Request-Id": "req-1"})

    with pytest.raises(error) as caught:
        call(client)

    assert type(caught.value) is error
    assert caught.value.status == answer
    assert caught.value.upstream_status == status
    assert caught.value.error_code == code
    assert caught.value.error_msg == ("As the upstream put it." if code else "")
    assert caught.value.request_id == "req-1"
    assert len(upstream.calls) == 1
    assert fake_time.sleeps == []


def test_it_reports_the_code_and_message_of_a_bad_request(upstream, client):
    upstream.get(
        EVENTS_URL,
        status=400,
        json={"error_code": "ModelArts.50004000", "error_msg": "Bad request."},
    )

    with pytest.raises(errors.UpstreamBadRequest) as caught:
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert (caught.value.error_code, caught.value.error_msg) == (
        "ModelArts.50004000",
        "Bad request.",
    )
    assert "ModelArts.50004000" in caught.value.message


def test_it_tells_the_operator_to_check_the_endpoint_when_the_api_does_not_exist(upstream, client):
    upstream.get(JOB_URL, status=404, json={"error_code": "APIGW.0101", "error_msg": "no API"})

    with pytest.raises(errors.UpstreamUnavailable, match="MODELARTS_ENDPOINT"):
        client.get_job(PROJECT, JOB_ID)


def test_it_takes_the_request_id_from_the_body_when_the_header_is_missing(upstream, client):
    body = {"error_code": "APIGW.0301", "error_msg": "auth failed", "request_id": "abc123"}
    upstream.get(JOB_URL, status=401, json=body)

    with pytest.raises(errors.UpstreamAuthError) as caught:
        client.get_job(PROJECT, JOB_ID)

    assert caught.value.request_id == "abc123"


@pytest.mark.parametrize("status", [400, 401, 500])
def test_it_maps_an_error_page_that_is_not_json_by_its_status(upstream, client, status):
    upstream.get(JOB_URL, status=status, body="<html><h1>Error</h1></html>")

    with pytest.raises(errors.ModelArtsError) as caught:
        client.get_job(PROJECT, JOB_ID)

    assert caught.value.upstream_status == status
    assert caught.value.error_code == ""
    assert len(upstream.calls) == 1


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("events", "<html>It works!</html>"),
        ("events", ""),
        ("events", "null"),
        ("events", '{"total": 3, "events": {"time": "x"}}'),
        ("events", '["an", "array"]'),
        ("events", '{"total": "many", "events": []}'),
        ("job", '{"metadata": {"name": "no id"}}'),
        ("job", "{'single': 'quotes'}"),
        ("search", '{"items": {"a": 1}}'),
    ],
)
def test_it_reports_an_unreadable_success_as_unavailable_without_retrying(
    upstream, client, fake_time, name, body
):
    method, url, call, _ = CALLS[name]
    upstream.add(method, url, status=200, body=body)

    with pytest.raises(errors.UpstreamUnavailable) as caught:
        call(client)

    assert caught.value.upstream_status == 200
    assert len(upstream.calls) == 1
    assert fake_time.sleeps == []


def test_it_refuses_a_body_far_larger_than_any_page(upstream, fake_time):
    client = _client(fake_time, max_body_bytes=1000)
    upstream.get(EVENTS_URL, json=_events_body(range(100), total=100))

    with pytest.raises(errors.UpstreamUnavailable, match="larger"):
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert len(upstream.calls) == 1


def test_it_does_not_retry_a_read_timeout(upstream, client, fake_time):
    upstream.get(EVENTS_URL, body=requests.ReadTimeout("read timed out"))
    upstream.get(EVENTS_URL, json=_events_body(range(3), total=3))

    with pytest.raises(errors.UpstreamTimeout) as caught:
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert caught.value.status == 504
    assert len(upstream.calls) == 1
    assert fake_time.sleeps == []


# -- failures that are retried --------------------------------------------------


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_it_retries_a_gateway_failure_twice_then_reports_its_status(
    upstream, client, fake_time, name, status
):
    method, url, call, _ = CALLS[name]
    upstream.add(method, url, status=status, body="<html>Bad Gateway</html>")

    with pytest.raises(errors.UpstreamUnavailable) as caught:
        call(client)

    assert str(status) in caught.value.message
    assert caught.value.upstream_status == status
    assert caught.value.status == 502
    assert len(upstream.calls) == 3
    assert len(fake_time.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (429, "APIGW.0308"),
        (429, "ModelArts.2799"),
        (429, "ModelArts.4206"),
        (429, "ModelArts.6101"),
        (429, ""),
        # Recognised by its code even where the gateway's status differs.
        (400, "APIGW.0308"),
        (403, "ModelArts.2799"),
    ],
)
def test_it_retries_throttling_twice_then_reports_it(upstream, client, fake_time, status, code):
    body = {"error_code": code, "error_msg": "policy user over ratelimit"} if code else {}
    upstream.get(EVENTS_URL, status=status, json=body)

    with pytest.raises(errors.UpstreamThrottled) as caught:
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert caught.value.error_code == code
    assert caught.value.upstream_status == status
    assert len(upstream.calls) == 3
    assert len(fake_time.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, {}),
        (502, {}),
        (429, {"error_code": "APIGW.0308", "error_msg": "policy user over ratelimit"}),
    ],
)
def test_it_returns_the_answer_of_a_retry_that_succeeds(upstream, client, fake_time, status, body):
    upstream.get(EVENTS_URL, status=status, json=body)
    upstream.get(EVENTS_URL, json=_events_body(range(3), total=3))

    page = client.list_events(PROJECT, JOB_ID, EventQuery())

    assert _messages(page) == ["event 0", "event 1", "event 2"]
    assert len(upstream.calls) == 2
    assert len(fake_time.sleeps) == 1


def test_it_resends_the_same_search_when_it_retries(upstream, client):
    upstream.post(SEARCH_URL, status=503)
    upstream.post(SEARCH_URL, json=_search_body())

    client.list_jobs(PROJECT, name="bert")

    assert len(upstream.calls) == 2
    assert upstream.calls[0].request.body == upstream.calls[1].request.body
    assert upstream.calls[1].request.headers["X-Auth-Token"] == TOKEN


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (requests.ConnectionError("connection refused"), errors.UpstreamUnavailable),
        (requests.ConnectTimeout("connect timed out"), errors.UpstreamTimeout),
    ],
)
def test_it_retries_a_failed_connection_twice_then_reports_it(
    upstream, client, fake_time, failure, error
):
    upstream.get(JOB_URL, body=failure)

    with pytest.raises(error) as caught:
        client.get_job(PROJECT, JOB_ID)

    assert type(caught.value) is error
    assert caught.value.upstream_status is None
    assert len(upstream.calls) == 3
    assert len(fake_time.sleeps) == 2


def test_it_returns_the_answer_after_a_failed_connection(upstream, client, fake_time):
    upstream.get(JOB_URL, body=requests.ConnectionError("connection reset"))
    upstream.get(JOB_URL, json=_job_body())

    job = client.get_job(PROJECT, JOB_ID)

    assert job.id == JOB_ID
    assert len(upstream.calls) == 2
    assert len(fake_time.sleeps) == 1


def test_it_retries_at_least_twice_by_default():
    assert ClientConfig(endpoint=ENDPOINT).max_retries >= 2


def test_it_retries_as_often_as_configured(upstream, fake_time):
    client = _client(fake_time, max_retries=4)
    upstream.get(JOB_URL, status=503, headers={"Retry-After": "0"})

    with pytest.raises(errors.UpstreamUnavailable):
        client.get_job(PROJECT, JOB_ID)

    assert len(upstream.calls) == 5
    assert fake_time.sleeps == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [(0.5, [0.2, 0.4]), (0.0, [0.1, 0.2]), (0.999, [0.2998, 0.5996])],
)
def test_it_backs_off_exponentially_with_jitter(
    upstream, client, fake_time, monkeypatch, jitter, expected
):
    monkeypatch.setattr(client_module.random, "random", lambda: jitter)
    upstream.get(JOB_URL, status=503)

    with pytest.raises(errors.UpstreamUnavailable):
        client.get_job(PROJECT, JOB_ID)

    assert fake_time.sleeps == pytest.approx(expected)


# -- Retry-After and the budget ------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [("1", [1.0, 1.0]), ("0", [0.0, 0.0])])
def test_it_waits_the_seconds_retry_after_asks_for(upstream, client, fake_time, header, expected):
    body = {"error_code": "APIGW.0308", "error_msg": "over ratelimit"}
    upstream.get(EVENTS_URL, status=429, json=body, headers={"Retry-After": header})

    with pytest.raises(errors.UpstreamThrottled):
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert fake_time.sleeps == expected
    assert len(upstream.calls) == 3


def test_it_waits_until_the_http_date_retry_after_names(upstream, fake_time):
    client = _client(fake_time, retry_after_cap=120.0, retry_wait_budget=300.0)
    when = datetime.now(UTC) + timedelta(seconds=60)
    upstream.get(JOB_URL, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    upstream.get(JOB_URL, json=_job_body())

    client.get_job(PROJECT, JOB_ID)

    assert len(fake_time.sleeps) == 1
    # The HTTP date is to the second, and the test takes a moment to run.
    assert 57.0 < fake_time.sleeps[0] <= 60.0


def test_it_retries_at_once_when_the_http_date_has_passed(upstream, client, fake_time):
    when = datetime.now(UTC) - timedelta(minutes=5)
    upstream.get(JOB_URL, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    upstream.get(JOB_URL, json=_job_body())

    client.get_job(PROJECT, JOB_ID)

    assert fake_time.sleeps == [0.0]


@pytest.mark.parametrize(
    "header",
    [
        "30",
        format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True),
    ],
)
def test_it_gives_up_at_once_when_retry_after_exceeds_the_cap(upstream, fake_time, header):
    # A budget that would allow the wait, so only the cap can refuse it.
    client = _client(fake_time, retry_after_cap=2.0, retry_wait_budget=7200.0)
    body = {"error_code": "ModelArts.2799", "error_msg": "Too many requests."}
    upstream.get(EVENTS_URL, status=429, json=body, headers={"Retry-After": header})

    with pytest.raises(errors.UpstreamThrottled) as caught:
        client.list_events(PROJECT, JOB_ID, EventQuery())

    assert caught.value.error_code == "ModelArts.2799"
    assert len(upstream.calls) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize("header", ["soon", "1.5", "-1", ""])
def test_it_backs_off_as_usual_when_retry_after_is_unreadable(upstream, client, fake_time, header):
    upstream.get(JOB_URL, status=503, headers={"Retry-After": header})
    upstream.get(JOB_URL, json=_job_body())

    client.get_job(PROJECT, JOB_ID)

    assert len(fake_time.sleeps) == 1
    assert 0.1 <= fake_time.sleeps[0] <= 0.3


def test_it_stops_retrying_when_the_waits_would_exceed_the_budget(upstream, client, fake_time):
    upstream.get(EVENTS_URL, status=429, headers={"Retry-After": "2"})

    with pytest.raises(errors.UpstreamThrottled):
        client.list_events(PROJECT, JOB_ID, EventQuery())

    # 2 s, then 2 more would make 4 s against a 3 s budget.
    assert fake_time.sleeps == [2.0]
    assert len(upstream.calls) == 2


def test_it_stops_retrying_when_the_whole_call_deadline_would_pass(upstream, client, fake_time):
    # Deadline: connect 3 s + read 10 s + wait budget 3 s = 16 s after the start.
    def slow_503(request):
        fake_time.now += 7.0
        return 503, {"Retry-After": "1"}, ""

    upstream.add_callback(responses.GET, JOB_URL, callback=slow_503)

    with pytest.raises(errors.UpstreamUnavailable) as caught:
        client.get_job(PROJECT, JOB_ID)

    assert caught.value.upstream_status == 503
    # 7 s, wait 1 s, 7 s: a second wait would end exactly at the deadline.
    assert len(upstream.calls) == 2
    assert fake_time.sleeps == [1.0]
    # The second attempt is only given the time that is left.
    assert [call.request.req_kwargs["timeout"] for call in upstream.calls] == [
        (3.0, 10.0),
        (3.0, 8.0),
    ]


def test_it_times_out_an_answer_that_arrives_after_the_whole_call_deadline(
    upstream, client, fake_time
):
    def late_200(request):
        fake_time.now += 17.0
        return 200, {}, json.dumps(_job_body())

    upstream.add_callback(responses.GET, JOB_URL, callback=late_200)

    with pytest.raises(errors.UpstreamTimeout):
        client.get_job(PROJECT, JOB_ID)

    assert len(upstream.calls) == 1
    assert fake_time.sleeps == []


# -- logs -----------------------------------------------------------------------


def test_it_logs_each_call_with_its_status_and_attempts(upstream, client, caplog):
    caplog.set_level(logging.DEBUG)
    upstream.get(JOB_URL, status=503)
    upstream.get(JOB_URL, json=_job_body())

    client.get_job(PROJECT, JOB_ID)

    messages = [r.getMessage() for r in caplog.records if r.name == "eventsui.modelarts"]
    assert any(m.startswith("modelarts retry method=GET") for m in messages)
    assert any(
        m.startswith("modelarts call method=GET") and "status=200" in m and "attempts=2" in m
        for m in messages
    )


def test_it_never_logs_the_token(upstream, client, caplog):
    caplog.set_level(logging.DEBUG)
    echoed = {"error_code": "APIGW.0301", "error_msg": f"Incorrect token {TOKEN}"}
    upstream.get(EVENTS_URL, json=_events_body(range(3), total=3))
    upstream.get(JOB_URL, status=401, json=echoed, headers={"X-Request-Id": "req-401"})
    upstream.post(SEARCH_URL, status=503, json={"error_code": "X", "error_msg": TOKEN})
    query = EventQuery(level="Error", pattern="OOM")

    client.list_events(PROJECT, JOB_ID, query)
    with pytest.raises(errors.UpstreamAuthError):
        client.get_job(PROJECT, JOB_ID)
    with pytest.raises(errors.UpstreamUnavailable):
        client.list_jobs(PROJECT)

    messages = [r.getMessage() for r in caplog.records if r.name == "eventsui.modelarts"]
    assert any(m.startswith("modelarts call") for m in messages)
    assert any(m.startswith("modelarts retry") for m in messages)
    assert sum(m.startswith("modelarts failure") for m in messages) == 2
    assert any("UpstreamAuthError" in m and "req-401" in m for m in messages)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("mode", ["records", "pages"])
def test_it_leaves_a_limit_below_one_for_the_upstream_to_refuse(upstream, fake_time, mode):
    client = _client(fake_time, events_offset=mode)
    body = {"error_code": "ModelArts.50004000", "error_msg": "Bad request."}
    upstream.get(EVENTS_URL, status=400, json=body)

    with pytest.raises(errors.UpstreamBadRequest):
        client.list_events(PROJECT, JOB_ID, EventQuery(offset=20, limit=0))

    assert _sent_params(upstream.calls[0]) == {"offset": "20", "limit": "0", "order": "desc"}
