"""The jobs browser: /projects/<project_id>/jobs/, its filters, pages, htmx fragment and errors."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import requests
import responses
from django.test import Client
from django.urls import reverse

from eventsui.jobs.forms import PHASES
from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.html_tree import Node, html

JOBS = reverse("jobs", args=[DEFAULT_PROJECT_ID])
HTMX = {"HX-Request": "true"}
ENDPOINT = "https://modelarts.test.invalid"
PROJECT = "2f8e3a1c9b7d4e6f8a0b1c2d3e4f5a6b"
PROJECT_JOBS = reverse("jobs", args=[PROJECT])
SEARCH_API = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"
FAILED = ("Failed", "Abnormal")
# Derived from the data set, which other work grows: never a literal.
ALL = len(data.jobs())
LAST = -(-ALL // 3)  # the last page at limit=3


def _url(query: str = "", path: str = JOBS) -> str:
    return f"{path}?{query}" if query else path


def rows(response: Any) -> list[Node]:
    assert response.status_code == 200, response.status_code
    tables = html(response).find_all("table", class_="jobs")
    return tables[0].find("tbody").find_all("tr") if tables else []


def row_names(response: Any) -> list[str]:
    return [row.find_all("td")[0].text for row in rows(response)]


def pagination(document: Node) -> dict[str, str | None]:
    """Each pagination label and its href (None: shown but not a link)."""
    nav = document.find("nav", class_="pagination")
    links: dict[str, str | None] = {}
    for child in nav.children:
        if isinstance(child, Node) and child.tag == "a":
            assert child.attrs["hx-get"] == child.attrs["href"]
            links[child.text] = child.attrs["href"]
        elif isinstance(child, Node) and "disabled" in child.classes:
            assert child.attrs.get("aria-disabled") == "true"
            links[child.text] = None
    return links


def field_box(document: Node, name: str) -> Node:
    """The .field block of the filters form holding the label and control of `name`."""
    boxes = [
        box
        for box in document.find("form", class_="filters").find_all("div", class_="field")
        if box.find_all("label", for_=f"id_{name}")
    ]
    assert len(boxes) == 1, name
    return boxes[0]


def item(job_id: str, name: str, phase: str = "Running", **status: Any) -> dict[str, Any]:
    return {
        "kind": "job",
        "metadata": {"id": job_id, "name": name, "create_time": 1669449696964},
        "status": {"phase": phase, "duration": 61000, **status},
    }


def search_body(*items: dict[str, Any], count: int | str, total: int = 500) -> dict[str, Any]:
    return {"total": total, "count": count, "limit": 20, "offset": 0, "items": list(items)}


def sent(mock: responses.RequestsMock, index: int = 0) -> dict[str, Any]:
    body = mock.calls[index].request.body
    assert body is not None
    return json.loads(body)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def upstream_project() -> str:
    return PROJECT


# -- the list -----------------------------------------------------------------------------


def test_it_lists_every_sandbox_job_newest_first(client: Client) -> None:
    response = client.get(JOBS)

    assert response.status_code == 200
    assert row_names(response) == [job.name for job in data.jobs()]
    assert html(response).find("p", class_="summary").text == f"{ALL} jobs, newest first."


def test_each_row_has_name_id_phase_created_and_duration(client: Client) -> None:
    table = html(client.get(JOBS)).find("table", class_="jobs")

    assert [th.text for th in table.find_all("th")] == [
        "Name",
        "Id",
        "Phase",
        "Created (UTC)",
        "Duration",
    ]
    by_id = {row.find_all("code")[-1].text: row for row in table.find("tbody").find_all("tr")}
    failed = by_id[FAILED_JOB_ID].find_all("td")
    assert failed[0].find("a").attrs["href"] == reverse(
        "events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]
    )
    assert failed[0].text == "resnet50-imagenet"
    assert failed[1].text == FAILED_JOB_ID
    badge = failed[2].find("span", class_="phase")
    assert badge.classes == ["phase", "phase-failed"]
    assert badge.text == "Failed"
    time = failed[3].find("time")
    assert time.attrs["datetime"] == "2026-11-20T01:58:12Z"
    assert time.text == "2026-11-20 01:58:12 UTC"
    assert failed[4].text == "23m 19s"


def test_created_times_are_in_the_viewers_zone_with_the_zone_named(client: Client) -> None:
    client.cookies["tz"] = "Asia/Shanghai"
    response = client.get(JOBS)
    table = html(response).find("table", class_="jobs")
    row = next(r for r in table.find("tbody").find_all("tr") if FAILED_JOB_ID in r.text)

    assert "Created (Asia/Shanghai)" in [th.text for th in table.find_all("th")]
    assert row.find("time").attrs["datetime"] == "2026-11-20T01:58:12Z"
    assert row.find("time").text == "2026-11-20 09:58:12 CST (UTC+08:00)"
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("job", data.jobs(), ids=lambda job: job.name)
def test_failed_jobs_and_only_they_link_to_their_failure(
    client: Client, job: data.SandboxJob
) -> None:
    row = next(r for r in rows(client.get(JOBS)) if r.find_all("code")[-1].text == job.id)

    links = [(a.text, a.attrs["href"]) for a in row.find_all("a", class_="failure-link")]
    failure = reverse("job_failure", args=[DEFAULT_PROJECT_ID, job.id])
    assert links == ([("Show failure", failure)] if job.phase in FAILED else [])


def test_the_home_page_is_the_default_projects_jobs_page(client: Client) -> None:
    home, jobs = client.get("/"), client.get(JOBS)

    assert home.status_code == 200
    assert row_names(home) == row_names(jobs)
    form = html(home).find("form", class_="filters")
    assert form.attrs["action"] == JOBS
    assert form.attrs["hx-get"] == JOBS
    assert "HX-Request" in home["Vary"]


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("phase=Failed", "phase=Failed"),
        ("phase=failed&limit=20", "phase=Failed"),
        ("page=1", ""),
        ("name=bert&page=2", "name=bert&page=2"),
    ],
)
def test_the_home_page_with_parameters_redirects_to_the_jobs_page(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, location: str
) -> None:
    response = client.get(f"/?{query}")

    assert response.status_code == 302
    assert response["Location"] == _url(location)
    assert upstream_calls == []


# -- the filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_the_phase_filter_shows_only_jobs_in_that_phase(client: Client, phase: str) -> None:
    response = client.get(_url(f"phase={phase}"))

    expected = [job for job in data.jobs() if job.phase == phase]
    assert row_names(response) == [job.name for job in expected]
    assert all(row.find("span", class_="phase").text == phase for row in rows(response)), (
        "a row of another phase"
    )
    summary = html(response).find("p", class_="summary").text
    if expected:
        plural = "s" if len(expected) != 1 else ""
        assert summary == f"{len(expected)} {phase} job{plural}, newest first."
    else:
        assert summary == f"0 {phase} jobs, newest first."
        assert html(response).find("p", class_="empty").text == (
            "No jobs match these filters. Show all jobs."
        )


def test_the_phase_select_offers_the_documented_phases_and_keeps_the_choice(
    client: Client,
) -> None:
    select = field_box(html(client.get(_url("phase=Failed"))), "phase").find("select")

    options = select.find_all("option")
    assert [o.attrs["value"] for o in options] == ["", *PHASES]
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == ["Failed"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bert", ["bert-base-finetune"]),
        ("resnet50-imagenet", ["resnet50-imagenet"]),
        ("-", [job.name for job in data.jobs()]),
        ("no_such_job", []),
    ],
)
def test_the_name_search_finds_jobs_whose_name_contains_it(
    client: Client, name: str, expected: list[str]
) -> None:
    response = client.get(_url(f"name={name}"))

    assert row_names(response) == expected
    assert field_box(html(response), "name").find("input").attrs["value"] == name
    assert f"whose name contains “{name}”" in html(response).find("p", class_="summary").text


def test_name_and_phase_combine(client: Client) -> None:
    assert row_names(client.get(_url("name=e&phase=Running"))) == [
        job.name for job in data.jobs() if job.phase == "Running" and "e" in job.name
    ]


def test_the_name_search_is_debounced_and_the_form_works_without_javascript(
    client: Client,
) -> None:
    form = html(client.get(JOBS)).find("form", class_="filters")

    assert form.attrs["method"] == "get"
    assert form.attrs["action"] == JOBS
    assert "input changed delay:400ms from:#id_name" in (form.attrs["hx-trigger"] or "")
    assert form.find("button").attrs["type"] == "submit"
    assert form.find("input", id="id_name").attrs["type"] == "search"
    assert form.find("input", id="id_name").attrs["maxlength"] == "64"


# -- pages ------------------------------------------------------------------------------------


def test_the_page_size_defaults_to_20_and_offers_10_20_and_50(client: Client) -> None:
    select = field_box(html(client.get(JOBS)), "limit").find("select")

    assert [o.attrs["value"] for o in select.find_all("option")] == ["10", "20", "50"]
    assert [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs] == ["20"]


@pytest.mark.parametrize(
    ("query", "names", "position", "links"),
    [
        (
            "limit=3",
            [j.name for j in data.jobs()[:3]],
            f"jobs 1–3 of {ALL}",
            {
                "First": None,
                "Previous": None,
                "Next": "limit=3&page=2",
                "Last": f"limit=3&page={LAST}",
            },
        ),
        (
            "limit=3&page=2",
            [j.name for j in data.jobs()[3:6]],
            f"jobs 4–6 of {ALL}",
            {
                "First": "limit=3",
                "Previous": "limit=3",
                "Next": "limit=3&page=3",
                "Last": f"limit=3&page={LAST}",
            },
        ),
        (
            f"limit=3&page={LAST}",
            [j.name for j in data.jobs()[(LAST - 1) * 3 :]],
            f"jobs {(LAST - 1) * 3 + 1}–{ALL} of {ALL}",
            {
                "First": "limit=3",
                "Previous": f"limit=3&page={LAST - 1}",
                "Next": None,
                "Last": None,
            },
        ),
        (
            "",
            [j.name for j in data.jobs()],
            f"jobs 1–{ALL} of {ALL}",
            {"First": None, "Previous": None, "Next": None, "Last": None},
        ),
    ],
)
def test_pages_have_first_previous_next_and_last_links_and_say_where_they_are(
    client: Client, query: str, names: list[str], position: str, links: dict[str, str | None]
) -> None:
    response = client.get(_url(query))

    assert row_names(response) == names
    document = html(response)
    assert document.find("span", class_="position").text == position
    assert pagination(document) == {
        label: None if q is None else _url(q) for label, q in links.items()
    }


def test_the_pagination_links_keep_the_filters(client: Client) -> None:
    document = html(client.get(_url("name=e&phase=Running&limit=1")))

    assert pagination(document)["Next"] == _url("name=e&phase=Running&limit=1&page=2")


def test_a_page_beyond_the_end_offers_the_first_and_last_page(client: Client) -> None:
    response = client.get(_url("limit=3&page=99"))

    assert rows(response) == []
    document = html(response)
    assert document.find("p", class_="empty").text == (
        "There are no jobs this far in. Go to the first page."
    )
    assert pagination(document) == {
        "First": _url("limit=3"),
        "Previous": _url(f"limit=3&page={LAST}"),
        "Next": None,
        "Last": _url(f"limit=3&page={LAST}"),
    }
    assert document.find("span", class_="position").text == f"0 of {ALL}"


@pytest.mark.parametrize("query", ["limit=3", "limit=3&page=2", "phase=Running&limit=1"])
def test_every_pagination_link_opens_a_page_without_a_redirect(client: Client, query: str) -> None:
    for url in pagination(html(client.get(_url(query)))).values():
        if url is not None:
            assert client.get(url).status_code == 200, url


def test_a_page_size_from_the_url_that_the_select_lacks_is_offered_and_selected(
    client: Client,
) -> None:
    select = field_box(html(client.get(_url("limit=3"))), "limit").find("select")

    assert [o.attrs["value"] for o in select.find_all("option")] == ["3", "10", "20", "50"]
    assert [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs] == ["3"]


# -- what goes upstream -------------------------------------------------------------------------


def test_the_default_page_asks_for_20_jobs_from_page_index_0_without_filters(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.post(SEARCH_API, json=search_body(count=0))

    assert client.get(PROJECT_JOBS).status_code == 200

    assert len(fake_upstream.calls) == 1
    assert sent(fake_upstream) == {
        "offset": 0,
        "limit": 20,
        "sort_by": "create_time",
        "order": "desc",
    }


def test_page_limit_name_and_phase_go_upstream_as_page_index_limit_and_filters(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.post(SEARCH_API, json=search_body(count=0))

    response = client.get(_url("name=resnet&phase=Failed&limit=10&page=3", PROJECT_JOBS))

    assert response.status_code == 200
    assert sent(fake_upstream) == {
        "offset": 2,
        "limit": 10,
        "sort_by": "create_time",
        "order": "desc",
        "filters": [
            {"key": "name", "operator": "like", "value": ["resnet"]},
            {"key": "phase", "operator": "in", "value": ["Failed"]},
        ],
    }


@pytest.mark.parametrize("count", [45, "45"])
def test_count_not_total_sizes_the_list(
    client: Client, fake_upstream: responses.RequestsMock, count: int | str
) -> None:
    items = [item(f"00000000-0000-4000-8000-{i:012d}", f"job-{i}") for i in range(20)]
    fake_upstream.post(SEARCH_API, json=search_body(*items, count=count, total=500))

    response = client.get(_url("phase=Running&page=2", PROJECT_JOBS))

    document = html(response)
    assert len(rows(response)) == 20
    assert document.find("p", class_="summary").text == "45 Running jobs, newest first."
    assert document.find("span", class_="position").text == "jobs 21–40 of 45"
    links = pagination(document)
    assert links["Next"] == links["Last"] == _url("phase=Running&page=3", PROJECT_JOBS)
    assert "500" not in document.find("section", id="results").text


def test_a_job_the_upstream_names_oddly_is_shown_escaped_and_not_linked(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    odd = item("../x", "<img src=x>", phase="Failed")
    fake_upstream.post(SEARCH_API, json=search_body(odd, count=1))

    response = client.get(PROJECT_JOBS)

    (row,) = rows(response)
    assert row.find_all("a") == []
    assert row.find_all("td")[0].text == "<img src=x>"
    assert b"<img src=x>" not in response.content


# -- canonical URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("phase=failed", "phase=Failed"),
        ("phase=ABNORMAL", "phase=Abnormal"),
        ("name=&phase=&limit=&page=", ""),
        ("limit=20&page=1", ""),
        ("limit=020", ""),
        ("name=bert&phase=Running&limit=10&page=1", "name=bert&phase=Running&limit=10"),
        ("name=%20bert%20", "name=bert"),
        ("unknown=1", ""),
        ("phase=Failed&phase=Failed", "phase=Failed"),
    ],
)
def test_a_non_canonical_query_string_redirects_to_the_canonical_one_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, canonical: str
) -> None:
    response = client.get(_url(query))

    assert response.status_code == 302
    assert response["Location"] == _url(canonical)
    assert upstream_calls == []


@pytest.mark.parametrize(
    "query", ["", "phase=Failed", "name=bert", "name=e&phase=Running&limit=50&page=1000"]
)
def test_a_canonical_query_string_is_answered_in_place(client: Client, query: str) -> None:
    assert client.get(_url(query)).status_code == 200


# -- htmx -----------------------------------------------------------------------------------------


def test_the_full_page_varies_on_hx_request_and_pushes_no_url(client: Client) -> None:
    response = client.get(JOBS)

    assert "HX-Request" in response["Vary"]
    assert "HX-Push-Url" not in response
    document = html(response)
    results = document.find("section", id="results")
    assert results.attrs["hx-target"] == "#results"
    assert results.attrs["hx-push-url"] == "true"


def test_an_htmx_request_gets_only_the_results_section(client: Client) -> None:
    response = client.get(_url("phase=Failed"), headers=HTMX)

    assert response.status_code == 200
    document = html(response)
    assert [c.tag for c in document.children if isinstance(c, Node)] == ["section"]
    assert document.find("section", id="results")
    assert not document.find_all("form")
    assert row_names(response) == [j.name for j in data.jobs() if j.phase == "Failed"]
    assert response["HX-Push-Url"] == _url("phase=Failed")
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("query", "pushed"),
    [
        ("", ""),
        ("name=&phase=Failed&limit=20", "phase=Failed"),
        ("name=bert&phase=&limit=10", "name=bert&limit=10"),
        ("phase=running", "phase=Running"),
    ],
)
def test_an_htmx_request_pushes_the_canonical_url(client: Client, query: str, pushed: str) -> None:
    response = client.get(_url(query), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Push-Url"] == _url(pushed)


def test_a_history_restore_request_gets_the_full_page(client: Client) -> None:
    response = client.get(
        _url("phase=Failed"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert response.status_code == 200
    document = html(response)
    assert document.find_all("html")
    assert document.find("form", class_="filters")
    assert "HX-Push-Url" not in response


def test_refused_filters_from_htmx_swap_the_form_to_show_the_message_beside_the_field(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(_url("name=a%20b"), headers=HTMX)

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#browser"
    assert response["HX-Reselect"] == "#browser"
    assert response["HX-Reswap"] == "outerHTML"
    box = field_box(html(response), "name")
    assert box.find("p", class_="field-error").text == (
        "A job name is 1-64 letters, digits, '-' or '_'."
    )
    assert upstream_calls == []


# -- bad input --------------------------------------------------------------------------------


BAD_INPUT = [
    ("name=a%20b", "name", "A job name is 1-64 letters, digits, '-' or '_'."),
    ("name=a.b", "name", "A job name is 1-64 letters, digits, '-' or '_'."),
    ("name=" + quote("é"), "name", "A job name is 1-64 letters, digits, '-' or '_'."),
    ("name=" + "x" * 65, "name", "A job name is 1-64 letters, digits, '-' or '_'."),
    ("name=%25", "name", "A job name is 1-64 letters, digits, '-' or '_'."),
    ("phase=Done", "phase", f"Choose one of {', '.join(PHASES)}."),
    ("limit=0", "limit", "A page holds 1 to 50 jobs."),
    ("limit=51", "limit", "A page holds 1 to 50 jobs (ModelArts' limit)."),
    ("limit=abc", "limit", "Enter a whole number."),
]


@pytest.mark.parametrize(("query", "field", "message"), BAD_INPUT)
def test_bad_input_answers_400_beside_the_field_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, field: str, message: str
) -> None:
    response = client.get(_url(query))

    assert response.status_code == 400
    document = html(response)
    box = field_box(document, field)
    assert box.find("p", class_="field-error").text == message
    control = box.find_all("input") + box.find_all("select")
    assert control[0].attrs["aria-invalid"] == "true"
    assert control[0].attrs["aria-describedby"] == f"error_{field}"
    assert document.find("div", class_="upstream-error").find("h2").text == (
        "These filters cannot be used"
    )
    assert not document.find_all("table", class_="jobs")
    assert upstream_calls == []


@pytest.mark.parametrize("page", ["0", "-1", "abc", "100001"])
def test_a_bad_page_answers_400_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], page: str
) -> None:
    response = client.get(_url(f"page={page}"))

    assert response.status_code == 400
    errors = [p.text for p in html(response).find("form", class_="filters").find_all("p")]
    assert len(errors) == 1 and errors[0].startswith("Page: ")
    assert upstream_calls == []


def test_a_malformed_project_id_answers_400_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get("/projects/not_a_project/jobs/")

    assert response.status_code == 400
    assert html(response).find("h1").text == "That is not a valid project id"
    assert upstream_calls == []


def test_another_project_answers_404_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(reverse("jobs", args=["0123456789abcdef0123456789abcdef"]))

    assert response.status_code == 404
    assert upstream_calls == []


def test_only_get_is_allowed(client: Client, upstream_calls: list[tuple[Any, ...]]) -> None:
    assert client.post(JOBS).status_code == 405
    assert upstream_calls == []


# -- upstream failures ------------------------------------------------------------------------


UPSTREAM_FAILURES = [
    ({"status": 500, "body": "Internal Server Error"}, 502, "ModelArts failed"),
    (
        {"status": 401, "json": {"error_code": "APIGW.0301", "error_msg": "Bad token."}},
        502,
        "ModelArts rejected eventsui's credentials",
    ),
    (
        {"status": 400, "json": {"error_code": "ModelArts.2808", "error_msg": "Bad operator."}},
        400,
        "ModelArts refused the request",
    ),
    ({"body": requests.ReadTimeout("read timed out")}, 504, "ModelArts did not answer in time"),
    ({"status": 200, "json": {"items": "not a list"}}, 502, "ModelArts failed"),
]


@pytest.mark.parametrize(("answer", "status", "title"), UPSTREAM_FAILURES)
def test_an_upstream_failure_shows_the_shared_error_in_the_results(
    client: Client,
    fake_upstream: responses.RequestsMock,
    answer: dict[str, Any],
    status: int,
    title: str,
) -> None:
    fake_upstream.post(SEARCH_API, **answer)

    response = client.get(_url("phase=Failed", PROJECT_JOBS))

    assert response.status_code == status
    document = html(response)
    error = document.find("section", id="results").find("div", class_="upstream-error")
    assert error.find("h2").text == title
    assert f"eventsui answered {status}." in error.text
    # The filters stay, to change and try again.
    assert document.find("form", class_="filters")
    assert not document.find_all("table", class_="jobs")
    assert b"modelarts.test.invalid" not in response.content


@pytest.mark.parametrize(("answer", "status", "title"), UPSTREAM_FAILURES[:2])
def test_an_upstream_failure_answers_htmx_with_the_error_fragment_and_the_url(
    client: Client,
    fake_upstream: responses.RequestsMock,
    answer: dict[str, Any],
    status: int,
    title: str,
) -> None:
    fake_upstream.post(SEARCH_API, **answer)

    response = client.get(_url("phase=Failed", PROJECT_JOBS), headers=HTMX)

    assert response.status_code == status
    document = html(response)
    assert [c.tag for c in document.children if isinstance(c, Node)] == ["section"]
    assert document.find("div", class_="upstream-error").find("h2").text == title
    assert response["HX-Push-Url"] == _url("phase=Failed", PROJECT_JOBS)


# -- the sandbox, by the facts -----------------------------------------------------------------


def test_the_sandbox_pages_by_index_and_counts_matches_apart_from_all_jobs() -> None:
    from eventsui.modelarts import get_client
    from eventsui.modelarts.client import ModelArtsClient as Plain

    client = get_client()
    first = Plain.list_jobs(client, DEFAULT_PROJECT_ID, page=0, limit=3)
    second = Plain.list_jobs(client, DEFAULT_PROJECT_ID, page=1, limit=3)
    running = Plain.list_jobs(client, DEFAULT_PROJECT_ID, phases=("Running",))

    all_ids = [job.id for job in data.jobs()]
    assert [j.id for j in first.jobs] == all_ids[:3]
    assert [j.id for j in second.jobs] == all_ids[3:6]
    assert (first.count, first.total) == (ALL, ALL)
    assert running.count == 2
    assert running.total == ALL


def test_a_repeated_phase_keeps_every_phase_in_the_list_the_form_and_the_url(
    client: Client,
) -> None:
    response = client.get(_url("phase=Failed&phase=Abnormal"))

    assert response.status_code == 200
    assert row_names(response) == [j.name for j in data.jobs() if j.phase in FAILED]
    select = field_box(html(response), "phase").find("select")
    assert "multiple" in select.attrs
    chosen = [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
    assert chosen == ["Failed", "Abnormal"]


@pytest.mark.parametrize(
    "query", ["phase=Abnormal&phase=Failed", "phase=failed&phase=Abnormal&phase=Failed"]
)
def test_repeated_phases_redirect_to_one_canonical_order(client: Client, query: str) -> None:
    response = client.get(_url(query))

    assert response.status_code == 302
    assert response["Location"] == _url("phase=Failed&phase=Abnormal")
