"""Regression tests for issue 10's findings 7 to 9, each shaped like its reproduction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.conftest import FAKE_ENDPOINT
from tests.html_tree import html

PROJECT = DEFAULT_PROJECT_ID
EVENTS = f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/events/"
# gunicorn believes SCRIPT_NAME from 127.0.0.1; the test client takes it as environ.
EVIL_PREFIX = "//evil.example"

# -- finding 7: redirects never leave the host -------------------------------------------

# Every redirect the project answers with: the canonical events URL, the canonical
# jobs URL, the go-to box and the failure link.
REDIRECTING = [
    pytest.param(f"{EVENTS}?level=error", id="events-canonical"),
    pytest.param(f"/projects/{PROJECT}/jobs/?phase=", id="jobs-canonical"),
    pytest.param(f"/projects/{PROJECT}/goto/?job={FAILED_JOB_ID}", id="goto"),
    pytest.param(f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/failure/", id="failure"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", REDIRECTING)
def test_a_script_name_of_another_host_never_makes_a_redirect_leave(url: str) -> None:
    response = Client().get(url, SCRIPT_NAME=EVIL_PREFIX)

    assert response.status_code == 302
    location = response["Location"]
    assert not location.startswith("//")
    assert urlsplit(location).netloc == ""
    assert "evil.example" not in urlsplit(location).netloc


@pytest.mark.django_db
def test_an_htmx_request_never_pushes_a_protocol_relative_url() -> None:
    response = Client().get(
        f"{EVENTS}?level=error", headers={"HX-Request": "true"}, SCRIPT_NAME=EVIL_PREFIX
    )

    assert response.status_code == 200
    assert not response["HX-Push-Url"].startswith("//")
    assert urlsplit(response["HX-Push-Url"]).netloc == ""


@pytest.mark.django_db
def test_no_link_on_the_timeline_names_another_host_whatever_the_script_name() -> None:
    """Pagination, row permalinks, presets and the share link come from the route too."""
    import re

    response = Client().get(f"{EVENTS}?limit=20", SCRIPT_NAME=EVIL_PREFIX)

    assert response.status_code == 200
    links = re.findall(r'(?:href|hx-get|data-copy)="([^"]*)"', response.content.decode())
    assert links
    assert [link for link in links if link.startswith("//") or "evil.example" in link] == []


# -- finding 8: bidi and control characters are shown, not obeyed -------------------------

JOB_API = f"{FAKE_ENDPOINT}/v2/{PROJECT}/training-jobs/{FAILED_JOB_ID}"
RLO = "\u202e"
EVIL_NAME = f"resnet50-{RLO}evil"


def job_named(name: str, phase: str = "Failed") -> dict[str, Any]:
    return {
        "kind": "job",
        "metadata": {"id": FAILED_JOB_ID, "name": name, "create_time": 1669449696964},
        "status": {"phase": phase, "start_time": 1669449756000, "duration": 3_723_000},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["events", "failure"])
def test_a_job_name_with_a_bidi_override_is_shown_marked_even_in_the_title(
    fake_upstream: responses.RequestsMock, page: str
) -> None:
    fake_upstream.get(JOB_API, json=job_named(EVIL_NAME, phase=f"Failed{RLO}"))
    fake_upstream.get(f"{JOB_API}/events", json={"total": 0, "events": []})

    response = Client().get(f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/{page}/")

    assert response.status_code == 200
    text = response.content.decode()
    assert RLO not in text
    assert html(response).find("title").text.startswith("resnet50-U+202Eevil ")
    markers = html(response).find("h1").find_all("span", class_="ctl")
    assert [m.text for m in markers] == ["U+202E", "U+202E"]  # the name and the phase


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["events", "failure", "events/histogram", "jobs-list"])
def test_upstream_error_text_with_a_bidi_override_is_shown_marked(
    fake_upstream: responses.RequestsMock, settings: Any, page: str
) -> None:
    settings.MODELARTS_CACHE_TTL_ACTIVE = 0
    answer = {
        "error_code": f"ModelArts.0101{RLO}",
        "error_msg": f"bad request {RLO}txt.exe",
        "request_id": f"req-{RLO}1",
    }
    fake_upstream.get(JOB_API, status=400, json=answer)
    fake_upstream.get(f"{JOB_API}/events", status=400, json=answer)
    fake_upstream.post(
        f"{FAKE_ENDPOINT}/v2/{PROJECT}/training-job-searches", status=400, json=answer
    )
    url = (
        f"/projects/{PROJECT}/jobs/"
        if page == "jobs-list"
        else f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/{page}/"
    )

    response = Client().get(url)

    text = response.content.decode()
    assert RLO not in text
    assert "U+202E" in text


@pytest.fixture
def upstream_answers_required() -> bool:
    return False


# -- finding 9: the login loop, private pages, Vary on the remote-user header ---------------


@pytest.fixture
def login_mode(settings: Any) -> None:
    settings.EVENTSUI_AUTH = "login"


@pytest.fixture
def member_client() -> Client:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-not-checked"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url", ["/accounts/login/", "/accounts/login", "/accounts/login/?next=/accounts/login/"]
)
def test_a_signed_in_user_sent_back_to_the_sign_in_page_goes_home(
    login_mode: None, member_client: Client, next_url: str
) -> None:
    from urllib.parse import quote

    response = member_client.get(f"/accounts/login/?next={quote(next_url)}")

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        f"/projects/{PROJECT}/jobs/",
        EVENTS,
        f"{EVENTS}histogram/",
        f"{EVENTS}export/?format=csv",
        f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/failure/",
        "/no/such/page",
    ],
)
def test_every_page_of_a_signed_in_user_is_private(
    login_mode: None, member_client: Client, url: str
) -> None:
    response = member_client.get(url)

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "private" in directives
    assert "public" not in directives


@pytest.mark.django_db
def test_private_keeps_what_a_view_said_about_caching(
    login_mode: None, member_client: Client
) -> None:
    # The failure link is never_cache: a running job's window ends now.
    response = member_client.get(f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/failure/")

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-cache", "no-store"} <= directives


@pytest.mark.django_db
def test_an_anonymous_page_is_not_marked_private(login_mode: None) -> None:
    response = Client().get("/no/such/page")

    assert response.status_code == 404
    assert "private" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_without_sign_in_pages_need_no_private_marker() -> None:
    response = Client().get(EVENTS)

    assert "Cache-Control" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["X-Remote-User", "X-Forwarded-User"])
def test_in_remote_user_mode_every_answer_varies_on_the_user_header(
    settings: Any, header: str
) -> None:
    settings.EVENTSUI_AUTH = "remote-user"
    settings.EVENTSUI_REMOTE_USER_HEADER = header
    settings.EVENTSUI_REMOTE_USER_PROXIES = ("127.0.0.1/32",)
    from django.contrib.auth.models import User

    User.objects.create_superuser("root")

    signed_in = Client().get(EVENTS, headers={header: "root"})
    anonymous = Client().get(EVENTS)

    for response in (signed_in, anonymous):
        assert header.lower() in [v.strip().lower() for v in response["Vary"].split(",")]
    assert signed_in.status_code == 200
    assert "private" in signed_in["Cache-Control"]
