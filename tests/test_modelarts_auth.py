"""Credentials besides a static token: IAM password tokens and AK/SK request signing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from eventsui.modelarts import errors, iam
from eventsui.modelarts.auth import TokenAuth, build_auth
from eventsui.modelarts.client import ClientConfig, ModelArtsClient, new_session
from eventsui.modelarts.iam import PasswordAuth, forget_tokens
from eventsui.modelarts.projects import Credentials, Project, ProjectsConfigError
from eventsui.modelarts.signing import AkSkAuth, require_signer
from eventsui.modelarts.types import EventQuery

ENDPOINT = "https://modelarts.eu-de.example.test"
IAM = "https://iam.eu-de.example.test"
TOKENS_URL = f"{IAM}/v3/auth/tokens"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
OTHER_PROJECT = "f9e8d7c6b5a4039281706f5e4d3c2b1a"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
EVENTS_URL = f"{JOB_URL}/events"
SEARCH_URL = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"
PAGE = f"/projects/{PROJECT}/jobs/{JOB}/events/"

# Fake, recognisable secrets.
PASSWORD = "Pa55-SECRET-w0rd-91c2"
ACCESS_KEY = "HPUAEXAMPLEACCESSKEY"
SECRET_KEY = "sk-SECRET-7b1e0c9a4d2f8e6b"
SECURITY_TOKEN = "gQpzts-SECRET-temporary-4a8e"
PASSWORD_CREDENTIALS = Credentials(
    kind="password",
    iam_endpoint=IAM,
    username="eventsui-reader",
    domain="acme-cloud",
    password=PASSWORD,
)
JOB_BODY = {"metadata": {"id": JOB, "name": "train-resnet"}, "status": {"phase": "Running"}}
# The documented example: epoch ms in, the SDK's date format in the header.
SIGNING_TIME = datetime(2019, 3, 7, 10, 14, 59, tzinfo=UTC)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_tokens_left_over() -> Iterator[None]:
    forget_tokens()
    yield
    forget_tokens()


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # "eventsui" does not propagate to the root, where caplog listens.
    logger = logging.getLogger("eventsui")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG, logger="eventsui")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def _token_body(lifetime: float, project_id: str = PROJECT) -> dict[str, Any]:
    issued = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    expires = datetime.fromtimestamp(issued.timestamp() + lifetime, UTC)
    return {
        "token": {
            "issued_at": issued.isoformat().replace("+00:00", ".000000Z"),
            "expires_at": expires.isoformat().replace("+00:00", ".000000Z"),
            "methods": ["password"],
            "project": {"id": project_id, "name": "eu-de"},
        }
    }


def _iam_issues(
    mock: responses.RequestsMock, token: str, lifetime: float = 86400.0
) -> responses.BaseResponse:
    return mock.post(
        TOKENS_URL,
        status=201,
        json=_token_body(lifetime),
        headers={"X-Subject-Token": token},
    )


def _password_client(clock: FakeClock | None = None, **auth: Any) -> ModelArtsClient:
    session = new_session()
    options: dict[str, Any] = {"timeout": (3.0, 10.0), **auth}
    if clock is not None:
        options["clock"] = clock
    return ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT),
        auth=PasswordAuth(PASSWORD_CREDENTIALS, PROJECT, session, **options),
        session=session,
        sleep=lambda seconds: None,
    )


def _iam_calls(mock: responses.RequestsMock) -> list[Any]:
    return [call for call in mock.calls if call.request.url.startswith(TOKENS_URL)]


def _modelarts_calls(mock: responses.RequestsMock) -> list[Any]:
    return [call for call in mock.calls if call.request.url.startswith(ENDPOINT)]


# -- IAM password: the token request ------------------------------------------------------


def test_it_asks_iam_for_a_token_scoped_to_the_project_and_sends_it(upstream) -> None:
    _iam_issues(upstream, "MIIT-token-A")
    upstream.get(JOB_URL, json=JOB_BODY)

    job = _password_client().get_job(PROJECT, JOB)

    assert job.name == "train-resnet"
    (iam_call,) = _iam_calls(upstream)
    assert parse_qs(urlsplit(iam_call.request.url).query) == {"nocatalog": ["true"]}
    assert iam_call.request.headers["Content-Type"] == "application/json;charset=utf8"
    assert json.loads(iam_call.request.body) == {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "eventsui-reader",
                        "password": PASSWORD,
                        "domain": {"name": "acme-cloud"},
                    }
                },
            },
            "scope": {"project": {"id": PROJECT}},
        }
    }
    assert iam_call.request.req_kwargs["timeout"] == (3.0, 10.0)
    (call,) = _modelarts_calls(upstream)
    assert call.request.headers["X-Auth-Token"] == "MIIT-token-A"


def test_a_shared_client_scopes_each_projects_token_by_the_request_path(upstream) -> None:
    """Projects with one endpoint and one set of credentials share a client."""
    upstream.post(
        TOKENS_URL, status=201, json=_token_body(86400), headers={"X-Subject-Token": "token-1"}
    )
    upstream.post(
        TOKENS_URL, status=201, json=_token_body(86400), headers={"X-Subject-Token": "token-2"}
    )
    upstream.get(JOB_URL, json=JOB_BODY)
    upstream.get(JOB_URL.replace(PROJECT, OTHER_PROJECT), json=JOB_BODY)
    client = _password_client()

    client.get_job(PROJECT, JOB)
    client.get_job(OTHER_PROJECT, JOB)
    client.get_job(PROJECT, JOB)

    scopes = [json.loads(c.request.body)["auth"]["scope"] for c in _iam_calls(upstream)]
    assert scopes == [{"project": {"id": PROJECT}}, {"project": {"id": OTHER_PROJECT}}]
    sent = [c.request.headers["X-Auth-Token"] for c in _modelarts_calls(upstream)]
    assert sent == ["token-1", "token-2", "token-1"]


def test_twenty_concurrent_requests_make_exactly_one_iam_call(upstream) -> None:
    iam_calls = 0
    count_lock = threading.Lock()

    def slow_iam(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        nonlocal iam_calls
        with count_lock:
            iam_calls += 1
        time.sleep(0.3)  # every other thread arrives while this one waits on IAM
        return 201, {"X-Subject-Token": "MIIT-the-one-token"}, json.dumps(_token_body(86400))

    upstream.add_callback(responses.POST, TOKENS_URL, callback=slow_iam)
    upstream.get(JOB_URL, json=JOB_BODY)
    client = _password_client()
    start = threading.Barrier(20)
    failures: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            client.get_job(PROJECT, JOB)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert failures == []
    assert iam_calls == 1
    sent = {c.request.headers["X-Auth-Token"] for c in _modelarts_calls(upstream)}
    assert len(_modelarts_calls(upstream)) == 20
    assert sent == {"MIIT-the-one-token"}


@pytest.mark.parametrize(
    ("lifetime", "reused_after", "renewed_after"),
    [
        # 24 h (IAM's default): 10% is more than 10 minutes.
        pytest.param(86400, 21 * 3600, 22 * 3600, id="24h-renewed-in-its-last-10-percent"),
        # 1 h: 10 minutes is more than 10%.
        pytest.param(3600, 45 * 60, 55 * 60, id="1h-renewed-in-its-last-10-minutes"),
    ],
)
def test_a_token_near_its_expiry_is_renewed_and_one_not_near_is_reused(
    upstream, lifetime: int, reused_after: int, renewed_after: int
) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-old", lifetime)
    upstream.get(JOB_URL, json=JOB_BODY)
    client = _password_client(clock)
    client.get_job(PROJECT, JOB)

    clock.now += reused_after
    client.get_job(PROJECT, JOB)
    assert len(_iam_calls(upstream)) == 1

    upstream.replace(
        responses.POST,
        TOKENS_URL,
        status=201,
        json=_token_body(lifetime),
        headers={"X-Subject-Token": "token-new"},
    )
    clock.now += renewed_after - reused_after
    client.get_job(PROJECT, JOB)

    assert len(_iam_calls(upstream)) == 2
    sent = [c.request.headers["X-Auth-Token"] for c in _modelarts_calls(upstream)]
    assert sent == ["token-old", "token-old", "token-new"]


def test_renewal_counts_the_tokens_life_from_iams_own_times_not_the_local_wall_clock(
    upstream,
) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-A", 86400)
    upstream.get(JOB_URL, json=JOB_BODY)
    # A local wall clock years ahead of IAM's would make every token look expired.
    client = _password_client(clock, wall=lambda: 4_000_000_000.0)

    client.get_job(PROJECT, JOB)
    clock.now += 3600
    client.get_job(PROJECT, JOB)

    assert len(_iam_calls(upstream)) == 1


def test_a_failed_renewal_goes_on_with_the_still_valid_token(upstream, logs) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-A", 3600)
    upstream.get(JOB_URL, json=JOB_BODY)
    client = _password_client(clock)
    client.get_job(PROJECT, JOB)

    upstream.replace(responses.POST, TOKENS_URL, status=503, body="busy")
    clock.now += 55 * 60  # due for renewal, five minutes before it expires
    client.get_job(PROJECT, JOB)

    sent = [c.request.headers["X-Auth-Token"] for c in _modelarts_calls(upstream)]
    assert sent == ["token-A", "token-A"]
    assert "iam token renewal failed (IamUnavailable)" in logs.text


# -- IAM password: a 401 from ModelArts ---------------------------------------------------


def test_a_401_drops_the_cached_token_and_retries_once_with_a_fresh_one(upstream) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-revoked")
    _iam_issues(upstream, "token-fresh")

    def modelarts(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if request.headers["X-Auth-Token"] == "token-revoked":
            return 401, {}, json.dumps({"error_code": "ModelArts.0203", "error_msg": "invalid"})
        return 200, {}, json.dumps(JOB_BODY)

    upstream.add_callback(responses.GET, JOB_URL, callback=modelarts)
    client = _password_client(clock)
    # Cached an hour ago: the password was changed since.
    client.auth.token(PROJECT)  # type: ignore[union-attr]
    clock.now += 3600

    job = client.get_job(PROJECT, JOB)

    assert job.name == "train-resnet"
    assert len(_iam_calls(upstream)) == 2
    sent = [c.request.headers["X-Auth-Token"] for c in _modelarts_calls(upstream)]
    assert sent == ["token-revoked", "token-fresh"]
    client.get_job(PROJECT, JOB)
    assert len(_iam_calls(upstream)) == 2  # the fresh token is cached


def test_a_second_401_is_shown_not_retried_again(upstream) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-1")
    _iam_issues(upstream, "token-2")
    upstream.get(JOB_URL, status=401, json={"error_code": "APIGW.0301", "error_msg": "no"})
    client = _password_client(clock)
    client.auth.token(PROJECT)  # type: ignore[union-attr]
    clock.now += 3600

    with pytest.raises(errors.UpstreamAuthError) as caught:
        client.get_job(PROJECT, JOB)

    assert caught.value.upstream_status == 401
    assert len(_modelarts_calls(upstream)) == 2
    assert len(_iam_calls(upstream)) == 2


def test_a_401_to_a_token_just_issued_is_not_retried(upstream) -> None:
    _iam_issues(upstream, "token-1")
    upstream.get(JOB_URL, status=401, json={"error_code": "APIGW.0301", "error_msg": "no"})

    with pytest.raises(errors.UpstreamAuthError):
        _password_client(FakeClock()).get_job(PROJECT, JOB)

    assert len(_modelarts_calls(upstream)) == 1
    assert len(_iam_calls(upstream)) == 1


def test_the_retried_post_sends_the_same_search(upstream) -> None:
    clock = FakeClock()
    _iam_issues(upstream, "token-revoked")
    _iam_issues(upstream, "token-fresh")
    upstream.post(SEARCH_URL, status=401, json={"error_code": "ModelArts.0202"})
    upstream.post(SEARCH_URL, json={"total": 0, "count": 0, "items": []})
    client = _password_client(clock)
    client.auth.token(PROJECT)  # type: ignore[union-attr]
    clock.now += 3600

    client.list_jobs(PROJECT, name="resnet")

    first, second = _modelarts_calls(upstream)
    assert first.request.body == second.request.body
    assert json.loads(second.request.body)["filters"][0]["value"] == ["resnet"]


# -- IAM password: failures ---------------------------------------------------------------


IAM_FAILURES = [
    pytest.param(
        {
            "status": 401,
            "json": {"error": {"code": 401, "message": f"Wrong password {PASSWORD}"}},
        },
        errors.IamRejected,
        502,
        "IAM rejected the username, domain or password",
        id="wrong-password",
    ),
    pytest.param(
        {"status": 403, "json": {"error_msg": "user locked", "error_code": "IAM.0011"}},
        errors.IamRejected,
        502,
        "IAM rejected",
        id="forbidden",
    ),
    pytest.param(
        {"status": 500, "body": "<html>oops</html>"},
        errors.IamUnavailable,
        502,
        "IAM answered 500",
        id="server-error",
    ),
    pytest.param(
        # Not followed: it would carry the password wherever it points.
        {"status": 307, "headers": {"Location": "https://elsewhere.example.test/v3/auth/tokens"}},
        errors.IamUnavailable,
        502,
        "IAM answered 307",
        id="redirect",
    ),
    pytest.param(
        {"status": 200, "json": _token_body(86400), "headers": {"X-Subject-Token": "t"}},
        errors.IamUnavailable,
        502,
        "IAM answered 200",
        id="not-201",
    ),
    pytest.param(
        {"status": 201, "json": _token_body(86400)},
        errors.IamUnavailable,
        502,
        "no X-Subject-Token header",
        id="missing-header",
    ),
    pytest.param(
        {"body": requests.ConnectionError("refused")},
        errors.IamUnavailable,
        502,
        "IAM could not be reached",
        id="unreachable",
    ),
    pytest.param(
        {"body": requests.ConnectTimeout("slow")},
        errors.IamTimeout,
        504,
        "IAM could not be reached in time",
        id="connect-timeout",
    ),
    pytest.param(
        {"body": requests.ReadTimeout("slow")},
        errors.IamTimeout,
        504,
        "IAM did not answer within 10 seconds",
        id="read-timeout",
    ),
]


@pytest.mark.parametrize(("answer", "error", "status", "message"), IAM_FAILURES)
def test_an_iam_failure_is_a_clear_error_naming_iam_and_never_the_password(
    upstream, logs, answer: dict[str, Any], error: type, status: int, message: str
) -> None:
    upstream.post(TOKENS_URL, **answer)
    upstream.get(JOB_URL, json=JOB_BODY)

    with pytest.raises(errors.ModelArtsError) as caught:
        _password_client().get_job(PROJECT, JOB)

    assert type(caught.value) is error
    assert caught.value.status == status
    assert message in caught.value.message
    assert "IAM" in caught.value.title
    assert _modelarts_calls(upstream) == []
    shown = " ".join(
        str(part)
        for part in (caught.value, caught.value.error_code, caught.value.error_msg, logs.text)
    )
    assert PASSWORD not in shown
    assert any("iam token failure" in r.getMessage() for r in logs.records)


def test_a_refused_password_is_not_sent_to_iam_again_for_a_while(upstream) -> None:
    """IAM locks users after repeated failures: one try per hold, not one per page."""
    clock = FakeClock()
    upstream.post(TOKENS_URL, status=401, json={"error": {"code": 401, "message": "no"}})
    client = _password_client(clock)

    for _ in range(3):
        with pytest.raises(errors.IamRejected):
            client.get_job(PROJECT, JOB)
    assert len(_iam_calls(upstream)) == 1

    clock.now += iam.REJECTED_HOLD
    with pytest.raises(errors.IamRejected):
        client.get_job(PROJECT, JOB)
    assert len(_iam_calls(upstream)) == 2


def test_the_tokens_are_redacted_from_upstream_error_text(upstream) -> None:
    _iam_issues(upstream, "MIIT-token-SECRET-echoed")
    echoed = {"error_code": "ModelArts.0101", "error_msg": "bad MIIT-token-SECRET-echoed"}
    upstream.get(JOB_URL, status=400, json=echoed)

    with pytest.raises(errors.UpstreamBadRequest) as caught:
        _password_client().get_job(PROJECT, JOB)

    assert caught.value.error_msg == "bad [redacted]"


@pytest.fixture
def password_project(settings) -> Project:
    project = Project(
        project_id=PROJECT, name="production", endpoint=ENDPOINT, credentials=PASSWORD_CREDENTIALS
    )
    settings.EVENTSUI_PROJECTS = (project,)
    return project


def test_the_timeline_says_iam_rejected_the_credentials(
    upstream, logs, password_project: Project, client: Client
) -> None:
    # A careless IAM that echoes what it was sent.
    refusal = {"error": {"code": 401, "message": f"user eventsui-reader / {PASSWORD} is wrong"}}
    upstream.post(TOKENS_URL, status=401, json=refusal)

    response = client.get(PAGE)

    assert response.status_code == 502
    page = response.content.decode()
    assert "IAM rejected eventsui&#x27;s credentials" in page
    assert "IAM rejected the username, domain or password" in page
    assert PASSWORD not in page
    assert PASSWORD not in logs.text
    assert all(PASSWORD not in repr(record.__dict__) for record in logs.records)
    assert _modelarts_calls(upstream) == []
    # The job heading, fetched at the same time, waited for the one IAM answer.
    assert len(_iam_calls(upstream)) == 1


# -- AK/SK signing ------------------------------------------------------------------------


def _aksk_client(security_token: str = "") -> ModelArtsClient:
    return ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT),
        auth=AkSkAuth(ACCESS_KEY, SECRET_KEY, security_token, now=lambda: SIGNING_TIME),
        sleep=lambda seconds: None,
    )


def _sign(canonical_request: str) -> str:
    """The signature the documentation describes, computed here independently."""
    string_to_sign = "\n".join(
        [
            "SDK-HMAC-SHA256",
            "20190307T101459Z",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    return hmac.new(SECRET_KEY.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_an_events_call_is_signed_as_the_documented_algorithm_says(upstream) -> None:
    upstream.get(EVENTS_URL, json={"total": 0, "events": []})

    _aksk_client().list_events(
        PROJECT, JOB, EventQuery(level="Error", pattern="out of memory", order="desc")
    )

    (call,) = upstream.calls
    sent = call.request
    canonical_request = "\n".join(
        [
            "GET",
            # Each segment encoded, and a trailing slash the sent URL lacks.
            f"/v2/{PROJECT}/training-jobs/{JOB}/events/",
            # Sorted, with %20 for a space.
            "level=Error&limit=50&offset=0&order=desc&pattern=out%20of%20memory",
            "host:modelarts.eu-de.example.test",
            "x-language:en-us",
            f"x-project-id:{PROJECT}",
            "x-sdk-date:20190307T101459Z",
            "",
            "host;x-language;x-project-id;x-sdk-date",
            EMPTY_SHA256,
        ]
    )
    assert sent.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={ACCESS_KEY}, "
        "SignedHeaders=host;x-language;x-project-id;x-sdk-date, "
        f"Signature={_sign(canonical_request)}"
    )
    assert sent.headers["X-Sdk-Date"] == "20190307T101459Z"
    assert sent.headers["Host"] == "modelarts.eu-de.example.test"
    # The query that went out is the one that was signed.
    assert sent.url == (
        f"{EVENTS_URL}?level=Error&limit=50&offset=0&order=desc&pattern=out%20of%20memory"
    )
    assert "X-Auth-Token" not in sent.headers
    assert "X-Security-Token" not in sent.headers


def test_the_job_search_signs_the_hash_of_the_body_it_sends(upstream) -> None:
    upstream.post(SEARCH_URL, json={"total": 0, "count": 0, "items": []})

    _aksk_client().list_jobs(PROJECT, name="resnet", phases=("Failed",))

    (call,) = upstream.calls
    sent = call.request
    body = sent.body if isinstance(sent.body, bytes) else sent.body.encode()
    assert json.loads(body)["filters"][0] == {
        "key": "name",
        "operator": "like",
        "value": ["resnet"],
    }
    canonical_request = "\n".join(
        [
            "POST",
            f"/v2/{PROJECT}/training-job-searches/",
            "",
            "content-type:application/json",
            "host:modelarts.eu-de.example.test",
            "x-language:en-us",
            f"x-project-id:{PROJECT}",
            "x-sdk-date:20190307T101459Z",
            "",
            "content-type;host;x-language;x-project-id;x-sdk-date",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    assert sent.headers["Authorization"].endswith(f"Signature={_sign(canonical_request)}")
    assert sent.headers["Content-Length"] == str(len(body))


def test_a_temporary_keys_security_token_is_sent_and_signed(upstream) -> None:
    upstream.get(JOB_URL, json=JOB_BODY)

    _aksk_client(SECURITY_TOKEN).get_job(PROJECT, JOB)

    (call,) = upstream.calls
    sent = call.request
    assert sent.headers["X-Security-Token"] == SECURITY_TOKEN
    canonical_request = "\n".join(
        [
            "GET",
            f"/v2/{PROJECT}/training-jobs/{JOB}/",
            "",
            "host:modelarts.eu-de.example.test",
            "x-language:en-us",
            f"x-project-id:{PROJECT}",
            "x-sdk-date:20190307T101459Z",
            f"x-security-token:{SECURITY_TOKEN}",
            "",
            "host;x-language;x-project-id;x-sdk-date;x-security-token",
            EMPTY_SHA256,
        ]
    )
    assert sent.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={ACCESS_KEY}, "
        "SignedHeaders=host;x-language;x-project-id;x-sdk-date;x-security-token, "
        f"Signature={_sign(canonical_request)}"
    )


def test_each_request_is_signed_at_its_own_time(upstream) -> None:
    upstream.get(JOB_URL, json=JOB_BODY)
    times = iter([SIGNING_TIME, datetime(2019, 3, 7, 10, 20, 0, tzinfo=UTC)])
    client = ModelArtsClient(
        ClientConfig(endpoint=ENDPOINT),
        auth=AkSkAuth(ACCESS_KEY, SECRET_KEY, now=lambda: next(times)),
    )

    client.get_job(PROJECT, JOB)
    client.get_job(PROJECT, JOB)

    dates = [call.request.headers["X-Sdk-Date"] for call in upstream.calls]
    assert dates == ["20190307T101459Z", "20190307T102000Z"]


def test_the_signature_changes_with_every_signed_part() -> None:
    def authorization(method: str, url: str, body: bytes | None = None, **headers: str) -> str:
        request = requests.Request(method, url, data=body, headers=headers).prepare()
        AkSkAuth(ACCESS_KEY, SECRET_KEY, now=lambda: SIGNING_TIME)(request)
        return str(request.headers["Authorization"])

    base = authorization("GET", JOB_URL, **{"X-Language": "en-us"})
    assert authorization("GET", JOB_URL, **{"X-Language": "zh-cn"}) != base
    assert authorization("GET", JOB_URL + "?limit=1", **{"X-Language": "en-us"}) != base
    assert authorization("DELETE", JOB_URL, **{"X-Language": "en-us"}) != base
    assert authorization("POST", JOB_URL, b"{}", **{"X-Language": "en-us"}) != authorization(
        "POST", JOB_URL, b"[]", **{"X-Language": "en-us"}
    )


# -- build_auth ---------------------------------------------------------------------------


def _project(credentials: Credentials) -> Project:
    return Project(project_id=PROJECT, name="p", endpoint=ENDPOINT, credentials=credentials)


@pytest.mark.parametrize(
    ("credentials", "kind", "secrets"),
    [
        (Credentials(kind="token", token="MIIT-SECRET-static"), TokenAuth, ("MIIT-SECRET-static",)),
        (PASSWORD_CREDENTIALS, PasswordAuth, (PASSWORD,)),
        (
            Credentials(kind="aksk", access_key=ACCESS_KEY, secret_key=SECRET_KEY),
            AkSkAuth,
            (SECRET_KEY,),
        ),
        (
            Credentials(
                kind="aksk",
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                security_token=SECURITY_TOKEN,
            ),
            AkSkAuth,
            (SECRET_KEY, SECURITY_TOKEN),
        ),
    ],
    ids=["token", "password", "aksk", "aksk-temporary"],
)
def test_build_auth_gives_each_kind_its_auth_with_secrets_and_a_redacted_repr(
    credentials: Credentials, kind: type, secrets: tuple[str, ...]
) -> None:
    auth = build_auth(_project(credentials), new_session())

    assert isinstance(auth, kind)
    assert auth.secrets == secrets  # type: ignore[attr-defined]
    for secret in secrets:
        assert secret not in repr(auth)
    assert "redacted" in repr(auth)


def test_build_auth_sends_nothing_for_no_credentials() -> None:
    assert build_auth(_project(Credentials()), new_session()) is None


def test_build_auth_gives_iam_the_modelarts_timeouts(settings, upstream) -> None:
    settings.MODELARTS_CONNECT_TIMEOUT = 1.5
    settings.MODELARTS_READ_TIMEOUT = 4.0
    _iam_issues(upstream, "token")
    auth = build_auth(_project(PASSWORD_CREDENTIALS), new_session())

    auth.token(PROJECT)  # type: ignore[union-attr]

    assert _iam_calls(upstream)[0].request.req_kwargs["timeout"] == (1.5, 4.0)


def test_a_password_auths_secrets_include_the_tokens_it_holds(upstream) -> None:
    _iam_issues(upstream, "MIIT-token-held")
    auth = PasswordAuth(PASSWORD_CREDENTIALS, PROJECT, new_session(), timeout=(3.0, 10.0))

    auth.token(PROJECT)

    assert auth.secrets == (PASSWORD, "MIIT-token-held")
    assert "MIIT-token-held" not in repr(auth)


@pytest.fixture
def without_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import huaweicloudsdkcore...` fail.
    for name in list(sys.modules):
        if name == "huaweicloudsdkcore" or name.startswith("huaweicloudsdkcore."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "huaweicloudsdkcore", None)


def test_aksk_without_the_signer_is_refused_with_the_install_hint(without_sdk) -> None:
    project = _project(Credentials(kind="aksk", access_key=ACCESS_KEY, secret_key=SECRET_KEY))

    with pytest.raises(ProjectsConfigError, match=r"pip install -e '\.\[aksk\]'"):
        require_signer([project])
    with pytest.raises(ImproperlyConfigured, match="aksk"):
        build_auth(project, new_session())
    require_signer([_project(PASSWORD_CREDENTIALS)])  # other kinds do not need it


def test_settings_refuse_an_aksk_project_when_the_signer_is_not_installed() -> None:
    projects = [
        {
            "project_id": PROJECT,
            "endpoint": ENDPOINT,
            "auth": "aksk",
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
        }
    ]
    env = {
        **os.environ,
        "EVENTSUI_PROJECTS": json.dumps(projects),
        "DJANGO_SECRET_KEY": "test-only",
        "DJANGO_SETTINGS_MODULE": "eventsui.settings",
    }
    code = "import sys; sys.modules['huaweicloudsdkcore'] = None; import eventsui.settings"

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "auth aksk" in result.stderr
    assert SECRET_KEY not in result.stderr
