"""The top of a job's timeline: the breadcrumb to its project's jobs, the job's facts, a failure."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.test import Client
from django.urls import reverse

from eventsui.sandbox.data import COMPLETED_JOB_ID, DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.html_tree import Node, html

ABNORMAL_JOB_ID = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"
ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
JOB = "0c0ffee0-1234-4abc-8def-0123456789ab"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
EVENTS_API = f"{JOB_API}/events"


def events_url(job_id: str, project_id: str = DEFAULT_PROJECT_ID) -> str:
    return reverse("events", args=[project_id, job_id])


def heading(response: Any) -> Node:
    assert response.status_code == 200, response.status_code
    return html(response).find("header", class_="job-heading")


def facts(header: Node) -> dict[str, str]:
    """The job's facts under the heading, by name."""
    pairs = header.find("dl", class_="job-facts").find_all("div")
    return {pair.find("dt").text: pair.find("dd").text for pair in pairs}


def job_body(**status: Any) -> dict[str, Any]:
    return {
        "kind": "job",
        "metadata": {"id": JOB, "name": "nightly-train", "create_time": 1669449696964},
        "status": {"phase": "Running", "start_time": 1669449756000, "duration": 3_723_000} | status,
        "spec": {
            "resource": {
                "flavor_id": "modelarts.p3.large.public",
                "flavor_name": "GPU: 1*NVIDIA-V100(32GB) | CPU: 8vCPUs 64GB",
                "node_count": 2,
            }
        },
    }


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


@pytest.fixture
def fake_upstream(fake_upstream: responses.RequestsMock) -> responses.RequestsMock:
    fake_upstream.get(EVENTS_API, json={"total": 0, "limit": 50, "offset": 0, "events": []})
    return fake_upstream


# -- the breadcrumb -----------------------------------------------------------------------------


def test_the_breadcrumb_leads_back_to_the_projects_jobs(client: Client) -> None:
    nav = html(client.get(events_url(FAILED_JOB_ID))).find("nav", class_="breadcrumbs")

    link = nav.find("a")
    assert link.attrs["href"] == reverse("jobs", args=[DEFAULT_PROJECT_ID])
    assert link.text == f"Jobs of {DEFAULT_PROJECT_ID}"
    assert nav.find("span").attrs["aria-current"] == "page"
    assert nav.find("span").text == "resnet50-imagenet"


def test_without_the_job_the_breadcrumb_names_the_job_id(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, status=500)

    nav = html(client.get(events_url(JOB, PROJECT))).find("nav", class_="breadcrumbs")

    assert nav.find("a").attrs["href"] == reverse("jobs", args=[PROJECT])
    assert nav.find("span").text == JOB


# -- the job's facts -------------------------------------------------------------------------------


def test_it_shows_created_started_duration_flavour_and_nodes(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=job_body())

    header = heading(client.get(events_url(JOB, PROJECT)))

    assert header.find("h1").text == "nightly-train Running"
    assert facts(header) == {
        "Created": "2022-11-26 08:01:36 UTC",
        "Started": "2022-11-26 08:02:36 UTC",
        "Duration": "1h 2m",
        "Flavour": "GPU: 1*NVIDIA-V100(32GB) | CPU: 8vCPUs 64GB",
        "Nodes": "2",
    }
    times = [t.attrs["datetime"] for t in header.find("dl", class_="job-facts").find_all("time")]
    assert times == ["2022-11-26T08:01:36.964000Z", "2022-11-26T08:02:36Z"]
    assert not header.find_all("div", class_="job-banner")


def test_a_job_that_never_started_says_so(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    body = job_body(phase="Pending", start_time=0, duration=0)
    del body["spec"]
    fake_upstream.get(JOB_API, json=body)

    assert facts(heading(client.get(events_url(JOB, PROJECT)))) == {
        "Created": "2022-11-26 08:01:36 UTC",
        "Started": "not started",
        "Duration": "–",
        "Flavour": "–",
        "Nodes": "–",
    }


def test_the_flavour_is_shown_as_text(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    body = job_body()
    body["spec"]["resource"]["flavor_name"] = "<b>GPU</b>\u202e"
    fake_upstream.get(JOB_API, json=body)

    response = client.get(events_url(JOB, PROJECT))

    assert facts(heading(response))["Flavour"] == "<b>GPU</b>U+202E"
    assert b"<b>GPU</b>" not in response.content


def test_the_sandbox_jobs_facts(client: Client) -> None:
    assert facts(heading(client.get(events_url(COMPLETED_JOB_ID)))) == {
        "Created": "2026-11-18 08:30:00 UTC",
        "Started": "2026-11-18 08:31:00 UTC",
        "Duration": "39m 16s",
        "Flavour": "GPU: 1*NVIDIA-V100(32GB) | CPU: 8vCPUs 64GB",
        "Nodes": "2",
        "Logs": "worker-0, worker-1",
    }


def test_without_the_job_there_are_no_facts_and_no_failure_line(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, status=500)

    header = heading(client.get(events_url(JOB, PROJECT)))

    assert header.find("h1").text == f"Job {JOB}"
    assert not header.find_all("dl")
    assert not header.find_all("div", class_="job-banner")


# -- a failed job ---------------------------------------------------------------------------------


def test_a_failed_job_says_so_at_the_top_with_its_exit_codes_and_the_failure_link(
    client: Client,
) -> None:
    header = heading(client.get(events_url(FAILED_JOB_ID)))

    line = header.find("div", class_="job-failed")
    assert line.find("p", class_="banner-summary").text == (
        "This job failed: 2 tasks exited with an error, the earliest first. Show failure"
    )
    # The earliest failure first (tests/test_timeline_banner.py orders them).
    assert [li.text.split(", first error")[0] for li in line.find("ol").find_all("li")] == [
        "worker-3 exited with code 137 (OOMKilled)",
        "worker-0 exited with code 1 (NCCL communicator was aborted)",
    ]
    assert line.find("a", class_="failure-link").attrs["href"] == reverse(
        "job_failure", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]
    )
    # Right under the job's name, before anything else.
    children = [c for c in header.children if isinstance(c, Node)]
    assert [c.tag for c in children[:2]] == ["h1", "div"]
    assert children[1] is line


def test_an_abnormal_job_names_its_phase(client: Client) -> None:
    line = heading(client.get(events_url(ABNORMAL_JOB_ID))).find("div", class_="job-failed")

    assert line.find("p", class_="banner-summary").text.startswith(
        "This job is Abnormal (CreateFailed) since "
    )


def test_a_completed_job_has_no_failure_line(client: Client) -> None:
    header = heading(client.get(events_url(COMPLETED_JOB_ID)))
    assert not header.find_all("div", class_="job-banner")


def test_only_tasks_with_a_non_zero_exit_code_are_listed_and_their_text_is_escaped(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    statuses = [
        {"task": "worker-0", "exit_code": 0, "message": ""},
        {"task": "worker-1", "exit_code": "-9", "message": "<script>x</script>"},
        {"task": "worker-2", "exit_code": None, "message": "unknown"},
    ]
    fake_upstream.get(JOB_API, json=job_body(phase="Failed", task_statuses=statuses))

    response = client.get(events_url(JOB, PROJECT))

    line = heading(response).find("div", class_="job-failed")
    items = line.find("ol").find_all("li")
    assert [li.text for li in items] == ["worker-1 exited with code -9 (<script>x</script>) log"]
    assert b"<script>x</script>" not in response.content


def test_a_failed_job_without_task_codes_still_says_it_failed(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=job_body(phase="Failed"))

    line = heading(client.get(events_url(JOB, PROJECT))).find("div", class_="job-failed")

    assert line.find("p", class_="banner-summary").text == "This job failed. Show failure"


def test_the_htmx_fragment_carries_no_heading(client: Client) -> None:
    response = client.get(
        events_url(FAILED_JOB_ID) + "?level=Error", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert not html(response).find_all("header")
    assert not html(response).find_all("div", class_="job-banner")
