"""The go-to-job box: a job id or a console link to /projects/<project_id>/goto/, to its events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from eventsui.jobs.forms import find_job_id
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.html_tree import Node, html

GOTO = reverse("job_goto", args=[DEFAULT_PROJECT_ID])
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
CONSOLE = "https://console.huaweicloud.com/modelarts/?region=cn-north-4"


def goto(value: str) -> str:
    return f"{GOTO}?{urlencode({'job': value})}"


def events(job_id: str) -> str:
    return reverse("events", args=[DEFAULT_PROJECT_ID, job_id])


# -- reading what was pasted -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "job_id"),
    [
        (JOB, JOB),
        (JOB.upper(), JOB.upper()),
        (f"{CONSOLE}#/trainingJobs/trainingJobDetail?jobId={JOB}", JOB),
        (f"{CONSOLE}#/trainingJobs/detail/{JOB}", JOB),
        (f"{CONSOLE}#/trainingJobs/detail/{JOB}?tab=events", JOB),
        (f"{CONSOLE}#/trainingJobs/detail/{JOB}/{'5d2c8b1e-7f3a-4e61-9a0c-1b2f3e4d5a6b'}", JOB),
        (f"jobId={JOB}&other=1", JOB),
        (f"({JOB})", JOB),
        ("my-training_job-1", "my-training_job-1"),
        ("a", "a"),
        # Not a UUID: one hex digit too many in the last group.
        (f"{JOB}0", f"{JOB}0"),
        ("", None),
        ("a b", None),
        ("-leading-dash", None),
        ("../../etc/passwd", None),
        (f"{CONSOLE}#/trainingJobs", None),
        ("x" * 129, None),
    ],
)
def test_it_finds_the_first_uuid_else_takes_a_bare_job_id(text: str, job_id: str | None) -> None:
    assert find_job_id(text) == job_id


# -- the view -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "job_id"),
    [
        (JOB, JOB),
        (f"  {JOB}\n", JOB),
        (f"{CONSOLE}#/trainingJobs/trainingJobDetail?jobId={JOB}", JOB),
        (f"{CONSOLE}#/trainingJobs/detail/{JOB}", JOB),
        ("my-training_job-1", "my-training_job-1"),
    ],
)
def test_it_redirects_to_the_jobs_events_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], value: str, job_id: str
) -> None:
    response = client.get(goto(value))

    assert response.status_code == 302
    assert response["Location"] == events(job_id)
    assert upstream_calls == []


def test_following_the_redirect_opens_the_timeline(client: Client) -> None:
    response = client.get(goto(f"{CONSOLE}#/trainingJobs/detail/{FAILED_JOB_ID}"), follow=True)

    assert response.redirect_chain == [(events(FAILED_JOB_ID), 302)]
    assert response.status_code == 200
    assert (
        html(response)
        .find("header", class_="job-heading")
        .find("h1")
        .text.startswith("resnet50-imagenet")
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter a job id, or paste a link to the job from the console."),
        (urlencode({"job": ""}), "Enter a job id, or paste a link to the job from the console."),
        (urlencode({"job": "   "}), "Enter a job id, or paste a link to the job from the console."),
        (
            urlencode({"job": "a b"}),
            "That is not a job id: a job id is letters, digits, '-' and '_', "
            "such as 3faf5c03-aaa1-4cbe-879d-24b05d997347.",
        ),
        (
            urlencode({"job": "-leading-dash"}),
            "That is not a job id: a job id is letters, digits, '-' and '_', "
            "such as 3faf5c03-aaa1-4cbe-879d-24b05d997347.",
        ),
        (
            urlencode({"job": f"{CONSOLE}#/trainingJobs"}),
            "That link names no job: no job id "
            "(such as 3faf5c03-aaa1-4cbe-879d-24b05d997347) is in it.",
        ),
        (
            urlencode({"job": "../../etc/passwd"}),
            "That link names no job: no job id "
            "(such as 3faf5c03-aaa1-4cbe-879d-24b05d997347) is in it.",
        ),
        (
            urlencode({"job": f"{CONSOLE}&x={'y' * 2100}#/trainingJobs/detail/{JOB}"}),
            "That is too long to be a job id or a console link.",
        ),
    ],
)
def test_anything_else_answers_400_beside_the_field_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, message: str
) -> None:
    response = client.get(f"{GOTO}?{query}" if query else GOTO)

    assert response.status_code == 400
    form = html(response).find("form", class_="goto")
    field: Node = form.find("div", class_="field")
    assert field.find("p", class_="field-error").text == message
    box = field.find("input", id="id_job")
    assert box.attrs["aria-invalid"] == "true"
    assert box.attrs["aria-describedby"] == "error_job"
    assert upstream_calls == []


def test_the_refused_value_is_kept_in_the_box_to_correct(client: Client) -> None:
    response = client.get(goto("not a job"))

    assert html(response).find("input", id="id_job").attrs["value"] == "not a job"


def test_the_400_page_links_back_to_the_jobs_list(client: Client) -> None:
    response = client.get(goto("not a job"))

    breadcrumbs = html(response).find("nav", class_="breadcrumbs")
    assert breadcrumbs.find("a").attrs["href"] == reverse("jobs", args=[DEFAULT_PROJECT_ID])


def test_the_jobs_page_has_the_box_as_a_plain_get_form(client: Client) -> None:
    form = html(client.get(reverse("jobs", args=[DEFAULT_PROJECT_ID]))).find("form", class_="goto")

    assert form.attrs["method"] == "get"
    assert form.attrs["action"] == GOTO
    assert form.find("label", for_="id_job").text == "Go to job"
    assert form.find("input", id="id_job").attrs["name"] == "job"
    assert form.find("button").attrs["type"] == "submit"
    assert not [name for name in form.attrs if name.startswith("hx-")]


def test_a_malformed_project_id_answers_400(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(f"/projects/bad_project/goto/?{urlencode({'job': JOB})}")

    assert response.status_code == 400
    assert upstream_calls == []


def test_another_project_answers_404(client: Client, upstream_calls: list[tuple[Any, ...]]) -> None:
    other = reverse("job_goto", args=["0123456789abcdef0123456789abcdef"])

    response = client.get(f"{other}?{urlencode({'job': JOB})}")

    assert response.status_code == 404
    assert upstream_calls == []


def test_only_get_is_allowed(client: Client) -> None:
    assert client.post(GOTO, {"job": JOB}).status_code == 405
