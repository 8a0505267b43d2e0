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
EVIL_PREFIX = {"SCRIPT_NAME": "//evil.example"}

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
    response = Client().get(url, **EVIL_PREFIX)

    assert response.status_code == 302
    location = response["Location"]
    assert not location.startswith("//")
    assert urlsplit(location).netloc == ""
    assert "evil.example" not in urlsplit(location).netloc


@pytest.mark.django_db
def test_an_htmx_request_never_pushes_a_protocol_relative_url() -> None:
    response = Client().get(f"{EVENTS}?level=error", headers={"HX-Request": "true"}, **EVIL_PREFIX)

    assert response.status_code == 200
    assert not response["HX-Push-Url"].startswith("//")
    assert urlsplit(response["HX-Push-Url"]).netloc == ""


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
