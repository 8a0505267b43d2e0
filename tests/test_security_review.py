"""Regression tests for issue 10's findings 7 to 9, each shaped like its reproduction."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID

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
