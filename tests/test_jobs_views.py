"""The home page: the jobs browser of the default project (tests/test_jobs_browser.py has more)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from eventsui.sandbox import data

ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
SEARCH_API = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


def test_it_lists_the_sandbox_jobs_with_links_to_their_events(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    jobs = data.jobs()
    for job in jobs:
        url = reverse("events", args=[data.DEFAULT_PROJECT_ID, job.id])
        assertContains(response, f'<a href="{url}">{job.name}</a>', count=1, html=True)
        assertContains(response, f"<td><code>{job.id}</code></td>", count=1, html=True)
    assertContains(
        response,
        f'<p class="summary"><strong>{len(jobs)}</strong> jobs, newest first.</p>',
        html=True,
    )


@pytest.mark.parametrize("job", data.jobs(), ids=lambda job: job.name)
def test_each_job_link_opens_its_events(client: Client, job: data.SandboxJob) -> None:
    response = client.get(reverse("events", args=[data.DEFAULT_PROJECT_ID, job.id]))

    assert response.status_code == 200
    assertContains(
        response,
        f'<h1>{job.name} <span class="phase phase-{job.phase.lower()}">{job.phase}</span></h1>',
        html=True,
    )


def test_it_says_the_jobs_are_sandbox_data(client: Client) -> None:
    response = client.get("/")

    assertContains(response, "Sandbox data", count=1)
    assertContains(response, f"<code>{data.DEFAULT_PROJECT_ID}</code>", html=True)


def test_with_an_endpoint_but_no_project_id_it_tells_how_to_configure_one(
    client: Client, settings: Any, upstream_calls: list[tuple[Any, ...]]
) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT
    settings.MODELARTS_PROJECT_ID = ""

    response = client.get("/")

    assert response.status_code == 200
    assertContains(response, "<h1>No project is configured</h1>", html=True)
    assertContains(response, "MODELARTS_PROJECT_ID=&lt;your project id&gt;")
    assertNotContains(response, "Sandbox data")
    assertNotContains(response, '<table class="jobs">')
    assert upstream_calls == []


def test_it_lists_the_jobs_of_the_configured_project(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    job = {
        "kind": "job",
        "metadata": {"id": "3faf5c03-aaa1-4cbe-879d-24b05d997347", "name": "<b>bold</b>"},
        "status": {"phase": "Running", "duration": 61000},
    }
    fake_upstream.post(
        SEARCH_API, json={"total": 3, "count": 1, "limit": 50, "offset": 0, "items": [job]}
    )

    response = client.get("/")

    assert response.status_code == 200
    url = reverse("events", args=[PROJECT, job["metadata"]["id"]])
    assertContains(response, f'<a href="{url}">&lt;b&gt;bold&lt;/b&gt;</a>', html=True)
    # count (jobs matching), not total (all of the user's jobs), is what is shown.
    assertContains(
        response, '<p class="summary"><strong>1</strong> job, newest first.</p>', html=True
    )
    assertContains(response, "<td>1m 1s</td>", html=True)
    assertNotContains(response, "<b>bold</b>")


@pytest.mark.parametrize(
    ("answer", "status", "title", "detail"),
    [
        (
            {"status": 500, "body": "Internal Server Error"},
            502,
            "ModelArts failed",
            "ModelArts answered 500.",
        ),
        (
            {"status": 401, "json": {"error_code": "APIGW.0301", "error_msg": "Bad token."}},
            502,
            "ModelArts rejected eventsui&#x27;s credentials",
            "<code>APIGW.0301</code>",
        ),
        (
            {"status": 400, "json": {"error_code": "ModelArts.2788", "error_msg": "Bad."}},
            400,
            "ModelArts refused the request",
            "<code>ModelArts.2788</code>",
        ),
        (
            {"body": requests.ReadTimeout("read timed out")},
            504,
            "ModelArts did not answer in time",
            "<strong>504</strong>",
        ),
    ],
)
def test_an_upstream_failure_renders_a_clear_page(
    client: Client,
    fake_upstream: responses.RequestsMock,
    answer: dict[str, Any],
    status: int,
    title: str,
    detail: str,
) -> None:
    fake_upstream.post(SEARCH_API, **answer)

    response = client.get("/")

    assert response.status_code == status
    assertContains(response, f"<h2>{title}</h2>", count=1, status_code=status, html=True)
    assertContains(response, detail, status_code=status)
    assertContains(response, f"<code>{PROJECT}</code>", status_code=status, html=True)
    assertNotContains(response, '<table class="jobs">', status_code=status)
    assertNotContains(response, "modelarts.test.invalid", status_code=status)


def test_only_get_is_allowed(client: Client, upstream_calls: list[tuple[Any, ...]]) -> None:
    assert client.post("/").status_code == 405
    assert upstream_calls == []
