"""Health check and the error pages."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from eventsui.jobs import views as jobs_views


@pytest.fixture
def guarded_upstream(guarded_upstream: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """Every call to ModelArts, or any HTTP at all; one fails the test."""
    return [*guarded_upstream, (requests.Session, "send")]


def test_healthz_answers_ok_without_touching_the_upstream(
    client: Client, settings: Any, upstream_calls: list[tuple[Any, ...]]
) -> None:
    settings.MODELARTS_ENDPOINT = "https://modelarts.test.invalid"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert "no-store" in response["Cache-Control"]
    assert upstream_calls == []


def test_the_upstream_guard_notices_a_call(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    # Without this, a guard that never fires would make the test above vacuous.
    with pytest.raises(AssertionError, match="the upstream was called"):
        client.get("/")

    assert upstream_calls


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/projects/",
        "/projects/p/jobs/",
        "/projects/p/jobs/j/events/extra/",
        "/healthz/more",
        "/static/no-such-file.css",
    ],
)
def test_an_unknown_url_gets_the_404_page(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assertContains(response, "<h1>Page not found</h1>", status_code=404, html=True)
    assertContains(response, '<p class="error-status">404</p>', status_code=404, html=True)
    assertContains(response, '<a href="/">Back to the job list</a>', status_code=404, html=True)


def test_another_host_gets_the_400_page(client: Client) -> None:
    response = client.get("/", headers={"host": "attacker.example"})

    assert response.status_code == 400
    assertContains(response, "<h1>Bad request</h1>", status_code=400, html=True)
    assertNotContains(response, "attacker.example", status_code=400)


def test_with_debug_off_an_exception_gives_the_500_page_without_a_traceback(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False

    def explode() -> None:
        raise RuntimeError("secret-detail-of-the-failure")

    monkeypatch.setattr(jobs_views, "get_client", explode)
    client = Client(raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 500
    assertContains(
        response, "<h1>Something went wrong in eventsui</h1>", status_code=500, html=True
    )
    for leak in ("secret-detail-of-the-failure", "RuntimeError", "Traceback", "jobs/views.py"):
        assertNotContains(response, leak, status_code=500)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_project_gets_eventsuis_own_404_page_with_debug_on_or_off(
    settings: Any, upstream_calls: list[tuple[Any, ...]], debug: bool
) -> None:
    settings.DEBUG = debug

    response = Client().get("/projects/0123456789abcdef0123456789abcdef/jobs/")

    assert response.status_code == 404
    assertContains(response, "<h1>Page not found</h1>", status_code=404, html=True)
    # Not Django's technical page, which lists every URL pattern.
    assertNotContains(response, "URLconf", status_code=404)
    assertNotContains(response, "projects/&lt;str:project_id&gt;", status_code=404)
    assert upstream_calls == []
