"""One task's log page and the log tail under a failed job's timeline."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.test import Client
from django.urls import reverse

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from eventsui.timeline import logs
from tests.html_tree import html

PENDING_JOB_ID = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
ABNORMAL_JOB_ID = "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f"
ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
JOB = "0c0ffee0-1234-4abc-8def-0123456789ab"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
LOG_API = f"{JOB_API}/tasks/worker-0/logs/preview"
HOSTILE = "<script>alert(1)</script>\x1b[31mred\x1b[0m \u202egpj.exe\n"


def log_url(job_id: str, task: str, project_id: str = DEFAULT_PROJECT_ID) -> str:
    return reverse("task_log", args=[project_id, job_id, task])


def tail_url(job_id: str, task: str, project_id: str = DEFAULT_PROJECT_ID) -> str:
    return reverse("task_log_tail", args=[project_id, job_id, task])


def fake_job() -> dict[str, Any]:
    return {
        "metadata": {"id": JOB, "name": "nightly"},
        "status": {"phase": "Failed", "tasks": ["worker-0"]},
    }


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


# -- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_whole_log_in_order_with_its_size_and_a_jump_to_the_end(
    client: Client,
) -> None:
    response = client.get(log_url(FAILED_JOB_ID, "worker-3"))

    assert response.status_code == 200
    page = html(response)
    text = page.find("pre", class_="log").text
    assert text.startswith("[Modelarts Service Log]user:")
    assert text.endswith("[Modelarts Service Log]Training end with return code: 137")
    assert "Traceback (most recent call last):" in text
    size = page.find("p", class_="log-size")
    assert size.text.endswith("KB. Jump to the end")
    assert not size.find_all("strong", class_="log-cut")
    assert size.find("a").attrs["href"] == "#log-end"
    assert page.find("p", class_="log-end").attrs["id"] == "log-end"


def test_a_cut_log_says_how_much_modelarts_shows(client: Client) -> None:
    page = html(client.get(log_url(LONG_JOB_ID, "worker-0")))

    note = page.find("strong", class_="log-cut").text
    assert note.startswith("ModelArts shows the last 128 KB of ")
    assert note.endswith(" KB")


def test_the_job_page_links_the_log_of_every_task(client: Client) -> None:
    page = html(client.get(reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])))

    links = page.find("div", class_="task-logs").find_all("a")
    assert [a.text for a in links] == ["worker-0", "worker-1", "worker-2", "worker-3"]
    assert links[3].attrs["href"] == log_url(FAILED_JOB_ID, "worker-3")


def test_hostile_log_text_is_escaped_and_its_controls_made_visible(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=fake_job())
    fake_upstream.get(LOG_API, json={"content": HOSTILE, "current_size": 60, "full_size": 60})

    for url in (log_url(JOB, "worker-0", PROJECT), tail_url(JOB, "worker-0", PROJECT)):
        response = client.get(url)
        assert response.status_code == 200
        pre = html(response).find("pre", class_="log")
        assert not pre.find_all("script")
        assert pre.text == "<script>alert(1)</script>\\x1b[31mred\\x1b[0m U+202Egpj.exe"
        assert [s.attrs["title"] for s in pre.find_all("span", class_="ctl")] == [
            "hidden character \\x1b",
            "hidden character \\x1b",
            "hidden character U+202E",
        ]
        assert b"<script>alert(1)" not in response.content


# -- states and refusals ----------------------------------------------------------------------


def test_a_log_not_ready_is_a_200_with_a_message(client: Client) -> None:
    response = client.get(log_url(PENDING_JOB_ID, "worker-0"))

    assert response.status_code == 200
    assert "ModelArts.2776" in html(response).find("p", class_="log-state").text
    assert not html(response).find_all("pre")


def test_a_log_not_generated_is_a_404_with_its_message(client: Client) -> None:
    response = client.get(log_url(ABNORMAL_JOB_ID, "worker-0"))

    assert response.status_code == 404
    assert "ModelArts.2818" in html(response).find("p", class_="log-state").text


def test_a_region_without_the_api_is_a_404_with_its_message_not_an_error_page(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=fake_job())
    fake_upstream.get(LOG_API, status=404, json={"error_code": "APIGW.0101", "error_msg": "no"})

    response = client.get(log_url(JOB, "worker-0", PROJECT))

    assert response.status_code == 404
    page = html(response)
    assert "no log preview API" in page.find("p", class_="log-state").text
    assert not page.find_all("div", class_="upstream-error")


@pytest.mark.parametrize("task", ["..", ".x", "-w", "a" * 65, "worker 0", "w;0"])
def test_a_bad_task_id_is_a_400_without_an_upstream_call(
    client: Client, upstream_calls: list[Any], task: str
) -> None:
    for url in (
        f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/logs/{task}/",
        f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/logs/{task}/tail/",
    ):
        assert client.get(url).status_code == 400
    assert upstream_calls == []


def test_a_task_the_job_does_not_have_is_a_404_without_a_log_call(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=fake_job())

    response = client.get(log_url(JOB, "worker-7", PROJECT))

    assert response.status_code == 404
    assert [c.request.url for c in fake_upstream.calls] == [JOB_API]
    assert client.get(tail_url(JOB, "worker-7", PROJECT)).status_code == 404


# -- the tail under the timeline -----------------------------------------------------------------


def test_a_failed_jobs_timeline_loads_the_likely_causes_log_tail_after_its_table(
    client: Client,
) -> None:
    page = html(client.get(reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])))

    loader = page.find("section", class_="log-tail-loading")
    assert loader.attrs["hx-get"] == tail_url(FAILED_JOB_ID, "worker-3")
    assert loader.attrs["hx-trigger"] == "load"
    # Without JavaScript, a link to the end of the whole log.
    assert loader.find("a").attrs["href"] == log_url(FAILED_JOB_ID, "worker-3") + "#log-end"


def test_the_tail_fragment_is_the_last_100_lines(client: Client) -> None:
    response = client.get(tail_url(FAILED_JOB_ID, "worker-3"))

    assert response.status_code == 200
    text = html(response).find("pre", class_="log").text
    full = html(client.get(log_url(FAILED_JOB_ID, "worker-3"))).find("pre", class_="log").text
    assert full.endswith(text)
    assert len(text.split("\n")) <= logs.TAIL_LINES
    assert text.endswith("Training end with return code: 137")


def test_a_tail_that_cannot_be_read_is_a_line_not_a_failure(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(JOB_API, json=fake_job())
    fake_upstream.get(LOG_API, status=500)

    response = client.get(tail_url(JOB, "worker-0", PROJECT))

    assert response.status_code == 200
    assert html(response).find("p", class_="notice").text.startswith("The log could not be read.")


def test_a_running_or_completed_jobs_timeline_has_no_tail(client: Client) -> None:
    from eventsui.sandbox.data import COMPLETED_JOB_ID

    page = html(client.get(reverse("events", args=[DEFAULT_PROJECT_ID, COMPLETED_JOB_ID])))

    assert not page.find_all("section", class_="log-tail")
