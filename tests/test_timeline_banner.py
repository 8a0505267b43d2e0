"""The banner under a job's name: failures in time order, Abnormal and Pending reasons, causes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from django.test import Client
from django.urls import reverse
from responses import matchers

from eventsui.modelarts import Event, EventQuery, Job
from eventsui.modelarts.types import TaskStatus
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline import banner
from tests.html_tree import Node, html

PENDING_JOB_ID = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
ABNORMAL_JOB_ID = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"
ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
JOB = "0c0ffee0-1234-4abc-8def-0123456789ab"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
EVENTS_API = f"{JOB_API}/events"


def events_url(job_id: str, project_id: str = DEFAULT_PROJECT_ID) -> str:
    return reverse("events", args=[project_id, job_id])


def the_banner(response: Any) -> Node:
    assert response.status_code == 200, response.status_code
    return html(response).find("header", class_="job-heading").find("div", class_="job-banner")


def at(minute: int) -> datetime:
    return datetime(2026, 11, 20, 2, minute, tzinfo=UTC)


def event(minute: int, message: str, level: str = "Error", source: str = "Task") -> Event:
    moment = at(minute)
    return Event(moment, moment.isoformat(), level, source, message)


def failed_job(*statuses: tuple[str, int, str], tasks: tuple[str, ...] = ()) -> Job:
    return Job(
        id=JOB,
        name="nightly",
        phase="Failed",
        task_statuses=tuple(TaskStatus(t, c, m) for t, c, m in statuses),
        tasks=tasks,
    )


# -- ordering by time -----------------------------------------------------------------


def test_failed_tasks_are_ordered_by_their_first_error_and_the_earliest_is_the_likely_cause() -> (
    None
):
    job = failed_job(("worker-0", 1, "NCCL aborted"), ("worker-3", 137, "OOMKilled"))
    errors = [
        event(1, "[Pod: modelarts-job-0c0ffee0-worker-3] Container was OOMKilled (exit code 137)."),
        event(2, "[worker-0] RuntimeError: NCCL communicator was aborted on rank 0."),
        event(3, "[worker-3] Training finished. Exit code 137."),
    ]

    tasks = banner.order_tasks(job, errors)

    assert [(t.task, t.failed_at, t.likely_cause) for t in tasks] == [
        ("worker-3", at(1), True),
        ("worker-0", at(2), False),
    ]


def test_a_task_without_an_error_event_comes_last_and_is_never_the_likely_cause() -> None:
    job = failed_job(("worker-0", 1, ""), ("worker-1", 2, ""), ("worker-2", 3, ""))
    errors = [event(5, "[worker-2] boom"), event(4, "[worker-1] boom")]

    tasks = banner.order_tasks(job, sorted(errors, key=lambda e: e.time or at(0)))

    assert [t.task for t in tasks] == ["worker-1", "worker-2", "worker-0"]
    assert [t.likely_cause for t in tasks] == [True, False, False]
    assert tasks[2].failed_at is None


def test_worker_1_is_not_named_by_worker_10s_events() -> None:
    assert banner.names_task(event(1, "[worker-1] x"), "worker-1")
    assert not banner.names_task(event(1, "[worker-10] x"), "worker-1")
    assert banner.names_task(event(1, "[Pod: modelarts-job-ab-worker-1] x"), "worker-1")
    assert not banner.names_task(event(1, "[Pod: modelarts-job-ab-worker-10] x"), "worker-1")


def test_without_timed_failures_no_task_is_marked() -> None:
    tasks = banner.order_tasks(failed_job(("worker-0", 1, "")), [])

    assert [(t.task, t.likely_cause) for t in tasks] == [("worker-0", False)]


def test_the_sandbox_failed_job_lists_the_oom_worker_first_as_the_likely_cause(
    client: Client,
) -> None:
    box = the_banner(client.get(events_url(FAILED_JOB_ID)))

    items = box.find("ol", class_="failed-tasks").find_all("li")
    assert [li.find("code").text for li in items] == ["worker-3", "worker-0"]
    assert items[0].classes == ["likely-cause"]
    assert items[0].find("strong", class_="likely-cause-mark").text == "likely cause"
    assert not items[1].find_all("strong", class_="likely-cause-mark")
    times = [li.find("time").attrs["datetime"] for li in items]
    assert times == sorted(times)
    assert items[0].find("a", class_="task-log-link").attrs["href"] == (
        reverse("task_log", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID, "worker-3"]) + "#log-end"
    )


# -- the cause ---------------------------------------------------------------------------------


def test_the_failed_job_shows_its_cause_with_the_explanation_and_what_to_try(
    client: Client,
) -> None:
    cause = the_banner(client.get(events_url(FAILED_JOB_ID))).find("div", class_="banner-cause")

    assert cause.find_all("p")[0].text.startswith("Cause: Out of memory.")
    assert "exit code 137" in cause.find_all("p")[0].text
    assert cause.find("p", class_="what-to-try").text.startswith("What to try: Lower the batch")
    evidence = [li.text for li in cause.find("details").find_all("li")]
    assert any("CUDA out of memory" in text for text in evidence)
    assert len(evidence) == len(set(evidence))


def test_evidence_events_link_to_their_row_in_context(client: Client) -> None:
    cause = the_banner(client.get(events_url(FAILED_JOB_ID))).find("div", class_="banner-cause")
    links = [a for li in cause.find("details").find_all("li") for a in li.find_all("a")]
    assert links

    for link in links:
        landed = client.get(link.attrs["href"] or "")
        assert landed.status_code == 302
        location = landed["Location"]
        anchor = location.rsplit("#", 1)[1]
        page = html(client.get(location.split("#")[0]))
        (row,) = [r for r in page.find_all("tr") if r.attrs.get("id") == anchor]
        assert link.text[:40] in row.text


# -- Abnormal and Pending -------------------------------------------------------------------------


def test_an_abnormal_job_says_why_from_its_error_event_and_since_when(client: Client) -> None:
    box = the_banner(client.get(events_url(ABNORMAL_JOB_ID)))

    summary = box.find("p", class_="banner-summary")
    assert summary.text == (
        "This job is Abnormal (CreateFailed) since 2026-11-14 09:12:02 UTC: Failed to create "
        "the training job: the flavor modelarts.p3.8xlarge.public is sold out in this region. "
        "Show failure"
    )
    assert summary.find("time").attrs["datetime"] == "2026-11-14T09:12:02Z"
    assert "No resources to run it" in box.find("div", class_="banner-cause").text


def test_a_pending_job_says_what_it_waits_for_since_when(client: Client) -> None:
    box = the_banner(client.get(events_url(PENDING_JOB_ID)))

    assert "job-pending" in box.classes
    summary = box.find("p", class_="banner-summary")
    # Since the first of the twelve identical warnings, not the newest.
    assert summary.text == (
        "Pending since 2026-11-26 22:15:03 UTC: 0/12 nodes are available: 12 Insufficient "
        "huawei.com/ascend-1980."
    )
    assert not summary.find_all("a", class_="failure-link")
    assert box.find("div", class_="banner-cause").find_all("strong")[0].text == (
        "Cause: No resources to run it."
    )


def test_a_pending_job_without_warnings_says_its_newest_event() -> None:
    job = Job(id=JOB, name="queued", phase="Pending")
    newest = [
        event(2, "Training job is queuing.", level="Info", source="Job"),
        event(1, "Training job created.", level="Info", source="Job"),
    ]

    box = banner.waiting_banner(job, newest)

    assert (box.kind, box.reason, box.since) == ("pending", "Training job is queuing", at(2))


# -- its calls ---------------------------------------------------------------------------------


def test_a_failed_job_costs_two_events_calls_oldest_first_one_page_each(
    client: Client, event_queries: list[EventQuery]
) -> None:
    client.get(events_url(FAILED_JOB_ID) + "?level=Info")

    banner_queries = [q for q in event_queries if q.level in ("Error", "Warning")]
    assert sorted(q.level or "" for q in banner_queries) == ["Error", "Warning"]
    assert {(q.order, q.limit, q.offset, q.start) for q in banner_queries} == {
        ("asc", 100, 0, None)
    }


def test_a_pending_job_costs_one_page_of_its_newest_events(
    client: Client, event_queries: list[EventQuery]
) -> None:
    client.get(events_url(PENDING_JOB_ID) + "?level=Info")

    assert [(q.level, q.order, q.limit) for q in event_queries if q.level != "Info"] == [
        (None, "desc", 100)
    ]


def test_a_completed_or_running_job_costs_nothing(
    client: Client, event_queries: list[EventQuery]
) -> None:
    from eventsui.sandbox.data import COMPLETED_JOB_ID

    client.get(events_url(COMPLETED_JOB_ID) + "?level=Info")

    assert [q.level for q in event_queries] == ["Info"]


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


def test_when_the_events_fail_the_banner_says_less_and_the_page_still_answers(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(
        JOB_API,
        json={
            "metadata": {"id": JOB, "name": "nightly"},
            "status": {
                "phase": "Failed",
                "task_statuses": [{"task": "worker-0", "exit_code": 1, "message": "<b>x</b>"}],
            },
        },
    )
    # The page's own call answers; the banner's (Error, Warning) fail.
    fake_upstream.get(
        EVENTS_API,
        json={"total": 0, "limit": 50, "offset": 0, "events": []},
        match=[matchers.query_param_matcher({"level": "Info"}, strict_match=False)],
    )
    fake_upstream.get(EVENTS_API, status=500)

    response = client.get(events_url(JOB, PROJECT) + "?level=Info")

    box = the_banner(response)
    assert box.find("p", class_="banner-partial").text.startswith("The job's events could not")
    assert box.find("ol").find("li").text.startswith("worker-0 exited with code 1 (<b>x</b>)")
    assert b"<b>x</b>" not in response.content
