"""Credentials never reach a page, a header or a log line, whatever happens upstream."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from django.test import Client

ENDPOINT = "https://modelarts.test-region.example.com"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
TOKEN = "MIIT-token-SECRET-4f9a1c"  # fake, recognisable secrets
SECRET_KEY = "django-SECRET-key-77e0b2"
SECRETS = (TOKEN, SECRET_KEY)

EVENTS_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}/events"
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
SEARCH_URL = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"
PAGE = f"/projects/{PROJECT}/jobs/{JOB}/events/"

# Upstream answers for every failure the pages render, some of them echoing
# the token back the way a careless gateway might.
UPSTREAM_ANSWERS = [
    pytest.param({"status": 200, "json": {"total": 0, "events": []}}, id="ok"),
    pytest.param(
        {"status": 400, "json": {"error_code": "ModelArts.2775", "error_msg": "no job"}},
        id="job-not-found",
    ),
    pytest.param(
        {
            "status": 400,
            "json": {"error_code": "ModelArts.0101", "error_msg": f"bad X-Auth-Token={TOKEN}"},
        },
        id="bad-request-echoing-the-token",
    ),
    pytest.param(
        {
            "status": 401,
            "json": {"error_code": "APIGW.0301", "error_msg": f"Incorrect IAM token {TOKEN}"},
        },
        id="unauthorised-echoing-the-token",
    ),
    pytest.param({"status": 403, "json": {"error_code": "ModelArts.0108"}}, id="forbidden"),
    pytest.param({"status": 404, "json": {"error_code": "APIGW.0101"}}, id="no-such-api"),
    pytest.param({"status": 500, "body": f"<html>{TOKEN}</html>"}, id="server-error-html"),
    pytest.param({"status": 503, "json": {"error_code": "ModelArts.6101"}}, id="busy"),
    pytest.param({"status": 200, "body": "not json"}, id="invalid-json"),
    pytest.param({"status": 200, "json": {"events": "wrong"}}, id="wrong-shape"),
    pytest.param({"body": requests.ConnectionError("refused")}, id="connection-refused"),
    pytest.param({"body": requests.ReadTimeout("slow")}, id="read-timeout"),
]


@pytest.fixture
def configured(settings: pytest.FixtureRequest) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT  # type: ignore[attr-defined]
    settings.MODELARTS_PROJECT_ID = PROJECT  # type: ignore[attr-defined]
    settings.MODELARTS_AUTH_TOKEN = TOKEN  # type: ignore[attr-defined]
    settings.SECRET_KEY = SECRET_KEY  # type: ignore[attr-defined]


def _assert_no_secret(response, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    logs = "\n".join(
        record.getMessage() + repr(record.args) + repr(record.__dict__) for record in caplog.records
    )
    for secret in SECRETS:
        assert secret not in text
        assert secret not in headers
        assert secret not in logs


@pytest.mark.django_db
@pytest.mark.parametrize("answer", UPSTREAM_ANSWERS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@responses.activate
def test_no_page_or_log_shows_a_credential_whatever_the_upstream_answers(
    answer: dict[str, object], htmx: bool, configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for url in (EVENTS_URL, JOB_URL):
        responses.add(responses.GET, url, **answer)  # type: ignore[arg-type]
    headers = {"HX-Request": "true"} if htmx else {}
    response = Client().get(PAGE, headers=headers)
    assert response.status_code in (200, 400, 404, 502, 504)
    _assert_no_secret(response, caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("answer", UPSTREAM_ANSWERS)
@responses.activate
def test_the_job_list_shows_no_credential_whatever_the_upstream_answers(
    answer: dict[str, object], configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.add(responses.POST, SEARCH_URL, **answer)  # type: ignore[arg-type]
    response = Client().get("/")
    _assert_no_secret(response, caplog)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/no/such/page",
        f"/projects/{PROJECT}/jobs/bad..id/events/",
        f"/projects/bad_project/jobs/{JOB}/events/",
        f"{PAGE}?limit=0",
        f"{PAGE}?start_time=yesterday",
    ],
)
def test_pages_that_never_reach_the_upstream_show_no_credential_either(
    path: str, configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        response = Client().get(path)
    assert response.status_code in (200, 400, 404)
    _assert_no_secret(response, caplog)


@responses.activate
def test_the_token_is_sent_upstream_only_in_its_header(configured: None) -> None:
    from eventsui.modelarts import EventQuery, get_client

    responses.add(responses.GET, EVENTS_URL, json={"total": 0, "events": []})
    get_client().list_events(PROJECT, JOB, EventQuery())
    sent = responses.calls[0].request
    assert sent.headers["X-Auth-Token"] == TOKEN
    assert TOKEN not in sent.url


# Every page that reaches the upstream, each with every answer above: the
# export (streamed), the histogram, the live poll, the failure view, the jobs
# browser and the readiness check.
EVERY_UPSTREAM_PAGE = [
    pytest.param(f"{PAGE}export/?format=csv", id="export-csv"),
    pytest.param(f"{PAGE}export/?format=json", id="export-json"),
    pytest.param(f"{PAGE}histogram/", id="histogram"),
    pytest.param(f"{PAGE}live/?after=1795815438~ev-3e37d1864224", id="live"),
    pytest.param(f"/projects/{PROJECT}/jobs/{JOB}/failure/", id="failure"),
    pytest.param(f"/projects/{PROJECT}/jobs/?phase=Failed", id="jobs"),
    pytest.param("/readyz", id="readyz"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("answer", UPSTREAM_ANSWERS)
@pytest.mark.parametrize("path", EVERY_UPSTREAM_PAGE)
@responses.activate
def test_no_other_page_shows_a_credential_whatever_the_upstream_answers(
    path: str, answer: dict[str, object], configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for url in (EVENTS_URL, JOB_URL):
        responses.add(responses.GET, url, **answer)  # type: ignore[arg-type]
    responses.add(responses.POST, SEARCH_URL, **answer)  # type: ignore[arg-type]
    response = Client().get(path)
    assert response.status_code < 500 or response.status_code in (502, 503, 504)
    _assert_no_secret(response, caplog)


# -- echoed in part, or in a header -------------------------------------------------------


@pytest.mark.django_db
@responses.activate
def test_a_token_echoed_in_the_request_id_header_is_shown_nowhere(
    configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM token"}
    for url in (EVENTS_URL, JOB_URL):
        responses.add(
            responses.GET, url, status=401, json=answer, headers={"X-Request-Id": f"hdr-{TOKEN}"}
        )

    response = Client().get(PAGE)

    assert response.status_code == 502
    assert "hdr-[redacted]" in response.content.decode()
    _assert_no_secret(response, caplog)
    assert TOKEN[:8] not in response.content.decode()
    assert not [r for r in caplog.records if TOKEN[:8] in r.getMessage()]


@pytest.mark.django_db
@responses.activate
def test_a_part_of_the_token_in_the_upstream_message_is_redacted(
    configured: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = {
        "error_code": "APIGW.0301",
        "error_msg": f"token {TOKEN[:10]}... is expired",
        "request_id": f"body-{TOKEN[-9:]}",
    }
    for url in (EVENTS_URL, JOB_URL):
        responses.add(responses.GET, url, status=401, json=answer)

    response = Client().get(PAGE)

    text = response.content.decode()
    assert "token [redacted]... is expired" in text
    assert "body-[redacted]" in text
    assert TOKEN[:8] not in text
    assert TOKEN[-8:] not in text


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("no secret here", ("abcdefghij",), "no secret here"),
        ("x abcdefghij y", ("abcdefghij",), "x [redacted] y"),
        ("x abcdefgh y", ("abcdefghij",), "x [redacted] y"),  # a prefix of 8
        ("x cdefghij y", ("abcdefghij",), "x [redacted] y"),  # a suffix of 8
        ("x abcdefg y", ("abcdefghij",), "x abcdefg y"),  # 7 characters say nothing
        ("abcdefghijabcdefghij", ("abcdefghij",), "[redacted]"),  # one run, one mask
        ("pw=short!", ("short!",), "pw=[redacted]"),  # a short secret, whole only
        ("k1-12345678 k2-87654321", ("12345678", "87654321"), "k1-[redacted] k2-[redacted]"),
        ("anything", ("",), "anything"),
    ],
)
def test_redaction_masks_every_run_of_eight_characters_of_a_secret(
    text: str, secrets: tuple[str, ...], expected: str
) -> None:
    from eventsui.modelarts.redaction import redact

    assert redact(text, secrets) == expected
