"""The timeline's worker filter (eventsui/timeline/workers.py, search.py): one task, exactly."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from html_tree import event_rows, html

from eventsui.modelarts import EventQuery
from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, MANY_WORKERS_JOB_ID
from eventsui.timeline.workers import is_workers, pod_of_task

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{MANY_WORKERS_JOB_ID}/events/"
EXPORT = EVENTS + "export/"
POD_1 = "modelarts-job-4d3c2b1a-worker-1"


@pytest.mark.parametrize(
    ("message", "task", "expected"),
    [
        ("[worker-1] Pre-check passed.", "worker-1", True),
        ("[worker-10] Pre-check passed.", "worker-1", False),
        ("[worker-1]", "worker-10", False),
        ("step 3 on [worker-1] of 12", "worker-1", False),
        (f"[Pod: {POD_1}] Started container modelarts-training", "worker-1", True),
        ("[Pod: modelarts-job-4d3c2b1a-worker-10] Started container", "worker-1", False),
        ("[Pod: resnet-worker-1-5xk2p] Pulling image", "worker-1", True),
        ("[Pod: resnet-worker-11-5xk2p] Pulling image", "worker-1", False),
        (f"[Job: modelarts-job-4d3c2b1a] Created pod: {POD_1}", "worker-1", True),
        (f"[Job: modelarts-job-4d3c2b1a] Deleted pod: {POD_1}0", "worker-1", False),
        ("Training job is running.", "worker-1", False),
    ],
)
def test_the_worker_rule_follows_the_documented_examples(
    message: str, task: str, expected: bool
) -> None:
    assert is_workers(message, task) is expected


def test_a_pod_is_a_task_s_only_at_the_end_of_its_name_or_before_one_suffix() -> None:
    assert pod_of_task("job-worker-1", "worker-1")
    assert pod_of_task("job-worker-1-abc12", "worker-1")
    assert not pod_of_task("job-worker-1-worker-3", "worker-1")
    assert not pod_of_task("job-worker-12", "worker-1")


def _expected(task: str) -> list[str]:
    events = data.find_job(MANY_WORKERS_JOB_ID).events()  # type: ignore[union-attr]
    return [e.message for e in reversed(events) if is_workers(e.message, task)]


def _messages(response: Any) -> list[str]:
    return [row.find("td", class_="message").text for row in event_rows(response)]


def test_the_sandbox_has_a_job_whose_worker_ids_share_prefixes() -> None:
    job = data.find_job(MANY_WORKERS_JOB_ID)
    assert job is not None and job.node_count >= 11


def test_worker_1_shows_its_own_lines_and_its_pod_s_events_and_never_worker_10_s(
    client: Client,
) -> None:
    response = client.get(EVENTS + "?worker=worker-1&limit=100")

    messages = _messages(response)
    assert messages == _expected("worker-1")
    assert any(m.startswith(f"[Pod: {POD_1}]") for m in messages)
    assert any("Deleted pod:" in m for m in messages)
    assert not any("worker-10" in m or "worker-11" in m for m in messages)
    summary = html(response).find("p", class_="summary")
    assert summary.text.startswith(f"{len(messages)} events of worker worker-1")


def test_the_worker_filter_narrows_the_upstream_with_its_id(
    client: Client, event_queries: list[EventQuery]
) -> None:
    client.get(EVENTS + "?worker=worker-1")

    assert event_queries
    assert {q.pattern for q in event_queries} == {"worker-1"}


def test_it_combines_with_level_and_pattern_and_pages_exactly(client: Client) -> None:
    warnings = _messages(client.get(EVENTS + "?level=Warning&worker=worker-10"))
    assert warnings == [
        "[worker-10] NCCL WARN Call to connect returned Connection refused",
        "[Pod: modelarts-job-4d3c2b1a-worker-10] Readiness probe failed: connection refused",
    ]
    steps = _messages(client.get(EVENTS + "?pattern=step&worker=worker-1&limit=100"))
    assert steps == [m for m in _expected("worker-1") if "step" in m] and len(steps) == 5

    # Page by page at limit 7: the same rows as one page of 100, no gap or duplicate.
    whole = _messages(client.get(EVENTS + "?worker=worker-10&limit=100"))
    paged: list[str] = []
    for offset in range(0, len(whole) + 7, 7):
        paged += _messages(
            client.get(EVENTS + f"?worker=worker-10&limit=7&offset={offset}", follow=True)
        )
    assert paged == whole == _expected("worker-10")


def test_an_unknown_worker_is_a_400_without_an_events_call(
    client: Client, event_queries: list[EventQuery]
) -> None:
    response = client.get(EVENTS + "?worker=worker-12")

    assert response.status_code == 400
    assert (
        "This job has no worker worker-12"
        in html(response).find("div", class_="upstream-error").text
    )
    assert event_queries == []


def test_a_malformed_worker_is_a_400_without_any_upstream_call(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(EVENTS + "?worker=%3Cscript%3E")

    assert response.status_code == 400
    assert upstream_calls == []


def test_the_worker_choices_are_the_job_s_tasks(client: Client) -> None:
    select = html(client.get(EVENTS + "?worker=worker-1")).find("select", name="worker")
    values = [option.attrs["value"] for option in select.find_all("option")]
    assert values == ["", *(f"worker-{w}" for w in range(12))]
    assert "selected" in select.find("option", value="worker-1").attrs


def test_the_canonical_url_and_the_share_link_keep_the_worker(client: Client) -> None:
    response = client.get(EVENTS + "?worker=worker-1&pattern=&level=")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"worker": ["worker-1"]}

    page = html(client.get(response["Location"]))
    share = page.find("input", class_="share-url").attrs["value"] or ""
    assert parse_qs(urlsplit(share).query)["worker"] == ["worker-1"]
    next_link = [a for a in page.find_all("a") if a.text == "Next"]
    for link in next_link:
        assert "worker=worker-1" in (link.attrs.get("href") or "")


def test_the_export_writes_only_the_worker_s_rows(client: Client) -> None:
    response = client.get(EXPORT + "?worker=worker-1&format=csv&order=asc")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[3] for row in rows[1:]] == _expected("worker-1")[::-1]


def test_the_export_refuses_an_unknown_worker(client: Client) -> None:
    response = client.get(EXPORT + "?worker=worker-12&format=json")
    assert response.status_code == 400


def test_the_page_links_to_the_export_with_the_worker(client: Client) -> None:
    links = html(client.get(EVENTS + "?worker=worker-1")).find("p", class_="export-links")
    for link in links.find_all("a"):
        assert "worker=worker-1" in (link.attrs.get("href") or "")
