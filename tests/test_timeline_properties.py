"""Property-based tests: no query string or path breaks the timeline or escapes its upstream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsui.sandbox.adapter import SandboxAdapter
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.forms import EventFiltersForm

# Every parameter the timeline reads, from its form, so a new one is fuzzed too.
KNOWN_KEYS = list(EventFiltersForm.base_fields)

# Values a user or an attacker might put in a query string: the valid ones,
# near misses, numbers at the edges, times in many forms, and arbitrary text.
values = st.one_of(
    st.sampled_from(
        [
            "",
            "Info",
            "error",
            "WARNING",
            "K8S",
            "k8s",
            "Task",
            "Warning,Error",
            "warning, error",
            "15m",
            "7d",
            "2h",
            "ev-0123456789ab",
            "ev-0123456789ab-2",
            "desc",
            "asc",
            "0",
            "-1",
            "1",
            "100",
            "101",
            "1e3",
            "99999999999999999999",
            "1669449696964",
            "2026-11-20T02:00:00Z",
            "2026-11-20T10:00:00+08:00",
            "2026-11-20T02:00",
            "2026-02-30T00:00:00Z",
            "０１２",
            "\x00",
            "a" * 300,
        ]
    ),
    st.text(max_size=40),
)
query_strings = st.lists(
    st.tuples(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8)), values),
    max_size=6,
)

UPSTREAM_PATH = re.compile(
    r"/v2/(?P<project>[A-Za-z0-9-]{1,64})/training-jobs/(?P<job>[A-Za-z0-9_-]+)(/events)?"
)


@pytest.fixture
def upstream_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every path the service layer sends to the (sandbox) upstream."""
    seen: list[str] = []
    real_send = SandboxAdapter.send

    def recording_send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(urlsplit(request.url).path)
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(SandboxAdapter, "send", recording_send)
    yield seen


def _assert_only_allowed_upstream_paths(paths: list[str], project: str, job: str) -> None:
    for path in paths:
        if path.endswith("/training-job-searches"):
            continue
        match = UPSTREAM_PATH.fullmatch(path)
        assert match is not None, path
        assert match["project"] == project
        assert match["job"] == job


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pairs=query_strings, endpoint=st.sampled_from(["", "export/", "histogram/"]))
def test_any_query_string_gets_a_page_or_a_400_never_a_500(
    pairs: list[tuple[str, str]], endpoint: str, upstream_paths: list[str]
) -> None:
    upstream_paths.clear()
    path = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/{endpoint}"
    url = f"{path}?{urlencode(pairs)}"
    response = Client().get(url)
    if response.streaming:
        b"".join(response)  # an export fails, if at all, while it streams
    assert response.status_code in (200, 302, 400), (url, response.status_code)
    if response.status_code in (302, 400):
        # A well-formed worker that the job does not have is known only from
        # the job's own task list: that one details call, never an events call.
        job_details = f"/v2/{DEFAULT_PROJECT_ID}/training-jobs/{FAILED_JOB_ID}"
        asks_worker = response.status_code == 400 and any(k == "worker" for k, _ in pairs)
        assert set(upstream_paths) <= ({job_details} if asks_worker else set()), url
    _assert_only_allowed_upstream_paths(upstream_paths, DEFAULT_PROJECT_ID, FAILED_JOB_ID)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(project=st.text(min_size=1, max_size=70), job=st.text(min_size=1, max_size=70))
def test_any_project_and_job_id_is_refused_or_sent_upstream_inside_its_own_path(
    project: str, job: str, upstream_paths: list[str]
) -> None:
    upstream_paths.clear()
    url = f"/projects/{quote(project, safe='')}/jobs/{quote(job, safe='')}/events/"
    response = Client().get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    if response.status_code == 400:
        assert upstream_paths == []
    _assert_only_allowed_upstream_paths(upstream_paths, project, job)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(pairs=query_strings)
def test_the_htmx_fragment_never_fails_either(pairs: list[tuple[str, str]]) -> None:
    url = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/?{urlencode(pairs)}"
    response = Client().get(url, headers={"HX-Request": "true"})
    assert response.status_code in (200, 400)
