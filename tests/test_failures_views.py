"""/failures/: the failed jobs of every visible project, their causes, filters and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from eventsui.access.models import ProjectGrant
from eventsui.failures import forms as failure_forms
from eventsui.modelarts.client import ModelArtsClient
from eventsui.modelarts.projects import Credentials, Project
from eventsui.sandbox import data
from tests.html_tree import html

URL = "/failures/"
HTMX = {"HX-Request": "true"}
FAILED = [j for j in data.jobs() if j.phase in ("Failed", "Abnormal")]


def names(response: Any) -> list[str]:
    table = html(response).find("table", class_="failures")
    if table is None:
        return []
    return [row.find_all("td")[0].text for row in table.find("tbody").find_all("tr")]


def causes_of(response: Any) -> dict[str, str]:
    table = html(response).find("table", class_="failures")
    rows = table.find("tbody").find_all("tr")
    return {
        r.find_all("td")[0].text: r.find("td", class_="cause").attrs["data-cause"] for r in rows
    }


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The searches and event queries that reach ModelArts (past the cache)."""
    seen: dict[str, list[Any]] = {"search": [], "events": []}
    list_jobs, list_events = ModelArtsClient.list_jobs, ModelArtsClient.list_events

    def search(self: ModelArtsClient, *args: Any, **kwargs: Any) -> Any:
        seen["search"].append(kwargs)
        return list_jobs(self, *args, **kwargs)

    def events(self: ModelArtsClient, *args: Any, **kwargs: Any) -> Any:
        seen["events"].append(args[-1])
        return list_events(self, *args, **kwargs)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", search)
    monkeypatch.setattr(ModelArtsClient, "list_events", events)
    return seen


def test_any_time_lists_every_failed_and_abnormal_job_newest_first(client: Client) -> None:
    response = client.get(URL + "?within=all")

    assert response.status_code == 200
    assert names(response) == [j.name for j in FAILED]


def test_every_cause_of_the_sandbox_is_found(client: Client) -> None:
    found = causes_of(client.get(URL + "?within=all"))

    assert found["resnet50-imagenet"] == "out-of-memory"
    assert found["deepspeech-multinode"] == "communication"
    assert found["detr-coco-v2"] == "image-pull"
    assert found["wav2vec-asr"] == "scheduling"
    assert found["whisper-finetune"] == "data-download"
    assert found["sd-xl-lora"] == "pre-check"
    assert found["t5-summarise"] == "hang"
    assert found["mae-pretrain-small"] == "preempted"
    assert found["gnn-molecules"] == "max-duration"
    assert found["distil-sentiment"] == "user-code"
    assert found["clip-retrieval"] == "unknown"


def test_the_job_links_to_its_failure_view_and_the_reason_is_the_first_error(
    client: Client,
) -> None:
    table = html(client.get(URL + "?within=all")).find("table", class_="failures")
    row = next(r for r in table.find("tbody").find_all("tr") if "resnet50" in r.text)
    cells = row.find_all("td")

    assert cells[0].find("a").attrs["href"] == (
        f"/projects/{data.DEFAULT_PROJECT_ID}/jobs/{data.FAILED_JOB_ID}/failure/"
    )
    assert cells[-1].text.endswith("was OOMKilled (exit code 137).")


def test_the_causes_found_are_filter_links_with_counts(client: Client) -> None:
    nav = html(client.get(URL + "?within=all")).find("nav", class_="causes")
    links = {a.text: a.attrs["href"] for a in nav.find_all("a")}

    assert links["Out of memory"] == URL + "?within=all&cause=out-of-memory"
    response = client.get(links["Out of memory"])
    assert names(response) == ["resnet50-imagenet"]


def test_a_date_window_selects_by_creation(client: Client) -> None:
    response = client.get(URL + "?from=2026-11-24&to=2026-11-28")

    assert names(response) == ["whisper-finetune", "sd-xl-lora", "t5-summarise", "gnn-molecules"]


def test_within_counts_back_from_now(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    monkeypatch.setattr(
        "eventsui.failures.views.timezone.now", lambda: datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    )
    assert names(client.get(URL + "?within=24h")) == [
        "mae-pretrain-small",
        "detr-coco-v2",
        "distil-sentiment",
    ]


def test_a_phase_narrows_the_list(client: Client) -> None:
    response = client.get(URL + "?within=all&phase=Abnormal")

    assert names(response) == [j.name for j in FAILED if j.phase == "Abnormal"]


@pytest.mark.parametrize(
    "query",
    [
        "within=1y",
        "from=2026-13-01",
        "from=2026-11-28&to=2026-11-01",
        "within=24h&from=2026-11-01",
        "cause=gremlins",
        "phase=Running",
        "project=ffffffffffffffffffffffffffffffff",
        "page=0",
        "format=xlsx",
    ],
)
def test_bad_input_is_400_and_asks_modelarts_nothing(
    client: Client, calls: dict[str, list[Any]], query: str
) -> None:
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert html(response).find("div", class_="upstream-error").find("h2").text == (
        "These filters cannot be used"
    )
    assert calls == {"search": [], "events": []}


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("within=7d", ""),
        ("phase=Abnormal&phase=Failed&within=all", "?within=all"),
        ("cause=&within=all", "?within=all"),
    ],
)
def test_a_url_with_defaults_redirects_to_its_canonical_form(
    client: Client, query: str, canonical: str
) -> None:
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 302
    assert response["Location"] == URL + canonical


def test_htmx_gets_the_results_partial_and_the_canonical_url(client: Client) -> None:
    response = client.get(URL + "?within=all&cause=hang&phase=", headers=HTMX)

    assert response.status_code == 200
    assert html(response).find("section", id="results")
    assert html(response).find_all("form") == []
    assert response["HX-Push-Url"] == URL + "?within=all&cause=hang"


def test_the_csv_has_the_columns_and_neutralises_formulas(client: Client) -> None:
    response = client.get(URL + "?within=all&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "job", "job id", "project", "phase", "created", "duration", "cause", "reason"
    ]  # fmt: skip
    assert [r[0] for r in rows[1:]] == [j.name for j in FAILED]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_a_page_costs_one_search_and_at_most_two_event_calls_a_job(
    client: Client, calls: dict[str, list[Any]]
) -> None:
    response = client.get(URL + "?within=all")

    listed = len(names(response))
    assert len(calls["search"]) == 1
    search = calls["search"][0]
    assert search["phases"] == ("Failed", "Abnormal")
    assert search["limit"] == failure_forms.PER_PROJECT
    assert search["created_between"] is not None
    assert listed <= len(calls["events"]) <= 2 * listed
    first_errors = [q for q in calls["events"] if q.level == "Error"]
    assert {(q.order, q.limit) for q in first_errors} == {("asc", 1)}


def test_the_search_window_is_whole_minutes(client: Client, calls: dict[str, list[Any]]) -> None:
    client.get(URL)

    low, high = calls["search"][0]["created_between"]
    assert (low.second, high.second, low.microsecond) == (0, 0, 0)
    assert (high - low).days == 7


# -- evidence, project access and failing projects ----------------------------------------


def test_a_reason_links_to_its_event_in_context_and_lands_on_it_marked(client: Client) -> None:
    response = client.get(URL + "?within=all")
    table = html(response).find("table", class_="failures")
    reasons = {
        r.find_all("td")[0].text: r.find("td", class_="reason")
        for r in table.find("tbody").find_all("tr")
    }
    (link,) = reasons["resnet50-imagenet"].find_all("a")

    landed = client.get(link.attrs["href"] or "")

    assert landed.status_code == 302
    location = landed["Location"]
    anchor = location.rsplit("#", 1)[1]
    page = html(client.get(location.split("#")[0]))
    (row,) = [r for r in page.find_all("tr") if r.attrs.get("id") == anchor]
    assert "mark" in (row.attrs.get("class") or "")


VISION = Project(project_id="vision-0001", name="Vision", endpoint="", credentials=Credentials())
SPEECH = Project(project_id="speech-0002", name="Speech", endpoint="", credentials=Credentials())


@pytest.fixture
def two_projects_signed_in(settings: Any, db: None) -> None:
    settings.EVENTSUI_PROJECTS = (VISION, SPEECH)
    settings.EVENTSUI_AUTH = "login"


def _member_of(project: Project, name: str) -> Client:
    user = User.objects.create_user(name, password="correct horse battery staple")
    ProjectGrant.objects.create(project_id=project.project_id, user=user)
    client = Client()
    client.force_login(user)
    return client


def test_a_member_sees_only_the_failures_of_the_projects_granted_to_them(
    two_projects_signed_in: None, calls: dict[str, list[Any]]
) -> None:
    response = _member_of(VISION, "mia").get(URL + "?within=all")

    assert response.status_code == 200
    projects = {
        r.find_all("td")[1].text
        for r in html(response).find("table", class_="failures").find("tbody").find_all("tr")
    }
    assert projects == {"Vision"}
    assert len(calls["search"]) == 1


def test_asking_for_a_project_not_granted_is_refused_without_asking_modelarts(
    two_projects_signed_in: None, upstream_calls: list[Any]
) -> None:
    response = _member_of(VISION, "mia").get(URL + "?within=all&project=speech-0002")

    assert response.status_code == 400
    assert upstream_calls == []


def test_a_user_with_no_projects_sees_no_failures_and_nothing_is_asked(
    two_projects_signed_in: None, upstream_calls: list[Any]
) -> None:
    user = User.objects.create_user("olga", password="correct horse battery staple")
    client = Client()
    client.force_login(user)

    response = client.get(URL + "?within=all")

    assert response.status_code == 200
    assert html(response).find_all("table", class_="failures") == []
    assert upstream_calls == []


def test_a_project_whose_search_fails_gets_a_line_and_the_others_their_rows(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsui.modelarts.errors import UpstreamUnavailable

    settings.EVENTSUI_PROJECTS = (VISION, SPEECH)
    list_jobs = ModelArtsClient.list_jobs

    def failing_for_speech(self: ModelArtsClient, project_id: str, *args: Any, **kw: Any) -> Any:
        if project_id == SPEECH.project_id:
            raise UpstreamUnavailable("ModelArts answered 503.", upstream_status=503)
        return list_jobs(self, project_id, *args, **kw)

    monkeypatch.setattr(ModelArtsClient, "list_jobs", failing_for_speech)

    response = Client().get(URL + "?within=all")

    assert response.status_code == 200
    (problem,) = html(response).find_all("p", class_="project-problem")
    assert problem.text.startswith("Project Speech: ")
    assert {
        r.find_all("td")[1].text
        for r in html(response).find("table", class_="failures").find("tbody").find_all("tr")
    } == {"Vision"}


def test_a_project_past_its_call_budget_says_when_to_retry(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsui.modelarts import budget

    monkeypatch.setattr(budget, "_local", budget._LocalBuckets())
    settings.EVENTSUI_UPSTREAM_RATE = 1.0
    settings.EVENTSUI_UPSTREAM_BURST = 1
    settings.EVENTSUI_UPSTREAM_MAX_WAIT = 0.0
    budget.spend(data.DEFAULT_PROJECT_ID)  # the burst is spent

    response = Client().get(URL + "?within=all")

    assert response.status_code == 200
    (problem,) = html(response).find_all("p", class_="project-problem")
    assert "retry in" in problem.text
