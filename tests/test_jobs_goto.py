"""The go-to-job box: a job id or a console link to /projects/<project_id>/goto/, to its events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from eventsui.jobs.forms import find_job_id
from eventsui.modelarts.budget import BudgetExhausted
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.types import Job, JobPage
from eventsui.sandbox.data import COMPLETED_JOB_ID, DEFAULT_PROJECT_ID, FAILED_JOB_ID
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
        # Longer than a job name can be: only an id.
        ("j" * 65, "j" * 65),
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


# -- a job's name ----------------------------------------------------------------------------


@pytest.fixture
def job_searches(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The ListTrainingJobs calls made, by their keyword arguments; answered by the sandbox."""
    searches: list[dict[str, Any]] = []
    original = ModelArtsClient.list_jobs

    def spy(self: ModelArtsClient, project_id: str, **kwargs: Any) -> Any:
        searches.append(kwargs)
        return original(self, project_id, **kwargs)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", spy)
    return searches


def test_a_name_only_one_job_has_goes_to_its_events_after_one_search(
    client: Client, job_searches: list[dict[str, Any]]
) -> None:
    response = client.get(goto("bert-base"))

    assert response.status_code == 302
    assert response["Location"] == events(COMPLETED_JOB_ID)
    assert [(s["name"], s["limit"]) for s in job_searches] == [("bert-base", 50)]


def test_a_name_several_jobs_contain_lists_them_each_linking_to_its_events(
    client: Client, job_searches: list[dict[str, Any]]
) -> None:
    response = client.get(goto("finetune"))

    assert response.status_code == 200
    results = html(response).find("section", id="results")
    assert results.find("h2").text == "2 jobs whose names contain “finetune”"
    links = {a.text: a.attrs["href"] for a in results.find("table").find_all("a")}
    assert links == {
        "whisper-finetune": events("a1f0c3e2-0002-4a5b-8c6d-7e8f9a0b1c2d"),
        "bert-base-finetune": events(COMPLETED_JOB_ID),
    }
    assert len(job_searches) == 1


def test_a_name_that_is_exactly_one_jobs_goes_there_though_others_contain_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = (
        Job(id="b-2", name="bert-v2", phase="Running"),
        Job(id="b-1", name="bert", phase="Failed"),
    )

    def search(self: ModelArtsClient, project_id: str, **kwargs: Any) -> JobPage:
        return JobPage(count=2, total=9, offset=0, limit=50, jobs=jobs)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", search)

    assert client.get(goto("bert"))["Location"] == events("b-1")
    assert client.get(goto("ber")).status_code == 200


def test_more_matches_than_one_search_holds_link_to_the_jobs_browser(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = tuple(Job(id=f"j-{n}", name=f"sweep-{n}", phase="Completed") for n in range(50))

    def search(self: ModelArtsClient, project_id: str, **kwargs: Any) -> JobPage:
        return JobPage(count=1234, total=1234, offset=0, limit=50, jobs=jobs)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", search)

    results = html(client.get(goto("sweep"))).find("section", id="results")

    assert results.find("h2").text == "1,234 jobs whose names contain “sweep”"
    assert len(results.find("tbody").find_all("tr")) == 50
    more = results.find("p", class_="hint").find("a")
    assert more.attrs["href"] == (
        reverse("jobs", args=[DEFAULT_PROJECT_ID]) + "?name=sweep&limit=50"
    )


def test_a_name_no_job_has_says_so_and_offers_it_as_a_job_id(
    client: Client, job_searches: list[dict[str, Any]]
) -> None:
    response = client.get(goto("no-such-job-anywhere"))

    assert response.status_code == 200
    results = html(response).find("section", id="results")
    assert results.find("h2").text == "No job's name contains “no-such-job-anywhere”."
    assert results.find("a").attrs["href"] == events("no-such-job-anywhere")
    assert len(job_searches) == 1


def test_a_failed_name_search_shows_the_upstream_error_with_its_status(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(self: ModelArtsClient, project_id: str, **kwargs: Any) -> Any:
        raise BudgetExhausted("No call slot within 1 s.", retry_after=3)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", exhausted)

    response = client.get(goto("bert"))

    assert response.status_code == 429
    assert response["Retry-After"] == "3"
    assert html(response).find("div", class_="upstream-error").find("h2").text == (
        BudgetExhausted.title
    )
