"""The failure view: a redirect to the timeline around a job's first Error event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client
from django.utils import timezone
from html_tree import event_rows, html

from eventsui.modelarts import EventQuery
from eventsui.sandbox import data
from eventsui.sandbox.data import (
    COMPLETED_JOB_ID,
    DEFAULT_PROJECT_ID,
    FAILED_JOB_ID,
    LONG_JOB_ID,
)
from eventsui.timeline import failure
from eventsui.timeline.anchors import ANCHOR_RE
from eventsui.timeline.times import parse_instant

PROJECT = DEFAULT_PROJECT_ID
ENDPOINT = "https://modelarts.test.invalid"


def failure_url(job_id: str, project_id: str = PROJECT) -> str:
    return f"/projects/{project_id}/jobs/{job_id}/failure/"


def events_url(job_id: str) -> str:
    return f"/projects/{PROJECT}/jobs/{job_id}/events/"


def first_error(job_id: str) -> data.SandboxEvent:
    job = data.find_job(job_id)
    assert job is not None
    return next(e for e in job.events() if e.level == "Error")


def redirect_params(response: Any) -> tuple[str, dict[str, str], str]:
    """The path, the single-valued query and the fragment of a 302's Location."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = {k: v for k, [v] in parse_qs(location.query, strict_parsing=True).items()}
    return location.path, query, location.fragment


def cells(row: Any) -> tuple[str, str, str]:
    """Level, source and message of an event row."""
    _, level, source, message = row.find_all("td")
    return level.text, source.text, message.text


@pytest.fixture
def upstream_answers_required() -> bool:
    return False


# -- the redirect -----------------------------------------------------------------------


def test_it_redirects_a_failed_job_to_an_absolute_window_around_its_first_error(
    client: Client,
) -> None:
    path, query, fragment = redirect_params(client.get(failure_url(FAILED_JOB_ID)))

    assert path == events_url(FAILED_JOB_ID)
    assert set(query) == {"start_time", "end_time", "order", "limit", "mark"}
    assert query["order"] == "asc"
    assert query["limit"] == "100"
    assert ANCHOR_RE.match(query["mark"])
    assert fragment == query["mark"]
    start, end = parse_instant(query["start_time"]), parse_instant(query["end_time"])
    error_at = data.as_utc(first_error(FAILED_JOB_ID).at)
    assert start < error_at < end
    # A finished job's window ends when it did: started plus duration.
    job = data.find_job(FAILED_JOB_ID)
    assert job is not None and job.ended is not None
    assert end == data.as_utc(job.ended)
    assert query["end_time"].endswith("Z")


def test_following_the_redirect_shows_the_first_error_marked_after_its_lead_up(
    client: Client,
) -> None:
    response = client.get(failure_url(FAILED_JOB_ID))
    _, query, fragment = redirect_params(response)

    rows = event_rows(client.get(response["Location"].split("#")[0]))

    marked = [row for row in rows if row.attrs.get("aria-current") == "true"]
    assert len(marked) == 1
    (row,) = marked
    assert row.attrs["id"] == fragment == query["mark"]
    assert "marked" in row.classes
    error = first_error(FAILED_JOB_ID)
    assert cells(row) == ("Error", error.source, error.message)
    assert row.find("time").attrs["datetime"] == data.as_utc(error.at).isoformat().replace(
        "+00:00", "Z"
    )
    before = rows[: rows.index(row)]
    assert 1 <= len(before) <= failure.CONTEXT_BEFORE
    assert "Error" not in [cells(r)[0] for r in before]
    # The failure after the first error is in the window too.
    assert "Training job failed." in [cells(r)[2] for r in rows]


def test_it_finds_the_error_with_the_queries_it_documents(
    client: Client, event_queries: list[EventQuery]
) -> None:
    _, query, _ = redirect_params(client.get(failure_url(FAILED_JOB_ID)))

    first, before = event_queries[0], event_queries[1]
    assert (first.level, first.order, first.limit, first.start) == ("Error", "asc", 1, None)
    error_at = data.as_utc(first_error(FAILED_JOB_ID).at)
    assert (before.order, before.limit, before.end) == ("desc", 20, error_at)
    counts = [q for q in event_queries[2:] if q.limit == 1]
    assert [(q.start, q.end, q.order) for q in counts] == [
        (parse_instant(query["start_time"]), error_at - timedelta(milliseconds=1), "asc")
    ]


def test_the_error_is_on_the_page_shown_when_the_lead_up_is_longer_than_a_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failure, "PAGE_LIMIT", 5)

    response = client.get(failure_url(FAILED_JOB_ID))

    _, query, fragment = redirect_params(response)
    start = parse_instant(query["start_time"])
    job = data.find_job(FAILED_JOB_ID)
    assert job is not None
    error = first_error(FAILED_JOB_ID)
    earlier = sum(1 for e in job.events() if data.as_utc(e.at) >= start and e.at < error.at)
    assert earlier >= 2 * 5
    assert query["limit"] == "5"
    assert query["offset"] == str(earlier // 5 * 5)
    rows = event_rows(client.get(response["Location"].split("#")[0]))
    (marked,) = [row for row in rows if row.attrs.get("aria-current") == "true"]
    assert marked.attrs["id"] == fragment
    assert cells(marked) == ("Error", error.source, error.message)


def test_the_error_is_found_when_events_of_its_own_second_push_it_to_the_next_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The long job's first error shares its second with two events logged
    # before it: a page that ends just before that second cannot show it.
    _, query, _ = redirect_params(client.get(failure_url(LONG_JOB_ID)))
    job = data.find_job(LONG_JOB_ID)
    assert job is not None
    error = first_error(LONG_JOB_ID)
    start = parse_instant(query["start_time"])
    earlier = sum(1 for e in job.events() if data.as_utc(e.at) >= start and e.at < error.at)
    same_second_before = [e for e in job.events() if e.at == error.at]
    assert same_second_before.index(error) >= 1
    monkeypatch.setattr(failure, "PAGE_LIMIT", earlier + 1)

    response = client.get(failure_url(LONG_JOB_ID))

    _, query, fragment = redirect_params(response)
    assert query["offset"] == str(earlier + 1)
    rows = event_rows(client.get(response["Location"].split("#")[0]))
    (marked,) = [row for row in rows if row.attrs.get("aria-current") == "true"]
    assert marked.attrs["id"] == fragment
    assert cells(marked) == ("Error", error.source, error.message)


def test_a_running_job_s_window_ends_at_the_moment_of_the_request(client: Client) -> None:
    before = timezone.now().replace(microsecond=0)

    _, query, _ = redirect_params(client.get(failure_url(LONG_JOB_ID)))

    assert before <= parse_instant(query["end_time"]) <= timezone.now()


# -- no error, no job, bad input ------------------------------------------------------------


def test_a_job_without_an_error_event_gets_a_page_that_says_so(client: Client) -> None:
    response = client.get(failure_url(COMPLETED_JOB_ID))

    assert response.status_code == 200
    notice = html(response).find("p", class_="no-error")
    assert notice.text.startswith("This job has no Error event.")
    assert notice.find("a").attrs["href"] == events_url(COMPLETED_JOB_ID)


def test_an_unknown_job_gets_the_404_page(client: Client) -> None:
    response = client.get(failure_url("00000000-0000-4000-8000-000000000000"))

    assert response.status_code == 404
    assert html(response).find("div", class_="upstream-error").find("h2").text == "Job not found"


@pytest.mark.parametrize(
    ("project_id", "job_id"),
    [("bad_project", FAILED_JOB_ID), (PROJECT, "-abc"), (PROJECT, "abc%E2%80%AE")],
)
def test_an_invalid_id_is_refused_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], project_id: str, job_id: str
) -> None:
    response = client.get(failure_url(job_id, project_id))

    assert response.status_code == 400
    assert html(response).find("section", class_="error-page")
    assert upstream_calls == []


def test_an_upstream_failure_gets_the_error_page(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(
        f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{FAILED_JOB_ID}", status=503, body="busy"
    )

    response = client.get(failure_url(FAILED_JOB_ID))

    assert response.status_code == 502
    assert html(response).find("div", class_="upstream-error").attrs["role"] == "alert"


def test_only_get_is_allowed(client: Client, upstream_calls: list[tuple[Any, ...]]) -> None:
    assert client.post(failure_url(FAILED_JOB_ID)).status_code == 405
    assert upstream_calls == []


# -- the links to it ---------------------------------------------------------------------


def test_the_jobs_list_offers_the_failure_of_failed_jobs_only(client: Client) -> None:
    rows = html(client.get("/")).find("table", class_="jobs").find("tbody").find_all("tr")
    failed = {job.id for job in data.jobs() if job.phase in ("Failed", "Abnormal")}
    assert FAILED_JOB_ID in failed

    for row in rows:
        job_id = row.find_all("code")[-1].text
        links = row.find_all("a", class_="failure-link")
        assert [(a.text, a.attrs["href"]) for a in links] == (
            [("Show failure", failure_url(job_id))] if job_id in failed else []
        )


@pytest.mark.parametrize(("job_id", "offered"), [(FAILED_JOB_ID, True), (COMPLETED_JOB_ID, False)])
def test_the_timeline_heading_offers_the_failure_of_a_failed_job(
    client: Client, job_id: str, offered: bool
) -> None:
    heading = html(client.get(events_url(job_id))).find("header", class_="job-heading")

    links = [a for a in heading.find_all("a") if a.text == "Show failure"]
    assert [a.attrs["href"] for a in links] == ([failure_url(job_id)] if offered else [])
