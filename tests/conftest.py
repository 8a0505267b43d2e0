"""Fixtures shared by the test modules: the upstream guard, the fake upstream, the query spy."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import responses
from django.utils import translation

from eventsui.modelarts import EventQuery
from eventsui.modelarts.client import ModelArtsClient
from eventsui.sandbox.data import DEFAULT_PROJECT_ID

# The endpoint the fake upstream is configured with; modules building its URLs
# spell the same address in their own ENDPOINT constant.
FAKE_ENDPOINT = "https://modelarts.test.invalid"


@pytest.fixture(autouse=True)
def _english_unless_asked() -> Iterator[None]:
    """Each test starts in the default language.

    LocaleMiddleware activates the reader's language in the thread that
    serves the request, and the test client serves it in the test's thread:
    without this, a test after a Chinese page would see Chinese messages.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def guarded_upstream() -> list[tuple[Any, str]]:
    """The (class, method) pairs upstream_calls refuses; a module may guard more."""
    return [(ModelArtsClient, "_call")]


@pytest.fixture
def upstream_calls(
    monkeypatch: pytest.MonkeyPatch, guarded_upstream: list[tuple[Any, str]]
) -> list[tuple[Any, ...]]:
    """Every call the client makes to ModelArts; one fails the test."""
    calls: list[tuple[Any, ...]] = []

    def refuse(self: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise AssertionError(f"the upstream was called: {args}")

    for owner, name in guarded_upstream:
        monkeypatch.setattr(owner, name, refuse)
    return calls


@pytest.fixture
def upstream_project() -> str:
    """The project id the fake upstream is configured with; a module may override it."""
    return DEFAULT_PROJECT_ID


@pytest.fixture
def upstream_answers_required() -> bool:
    """Whether every answer a test registers must be asked for (responses' default).

    A module whose tests register answers they may not need overrides it with False.
    """
    return True


@pytest.fixture
def fake_upstream(
    settings: Any, upstream_project: str, upstream_answers_required: bool
) -> Iterator[responses.RequestsMock]:
    """A configured endpoint whose answers each test registers."""
    settings.MODELARTS_ENDPOINT = FAKE_ENDPOINT
    settings.MODELARTS_PROJECT_ID = upstream_project
    with responses.RequestsMock(assert_all_requests_are_fired=upstream_answers_required) as mock:
        yield mock


@pytest.fixture
def event_queries(monkeypatch: pytest.MonkeyPatch) -> list[EventQuery]:
    """The events queries the client is asked, in order; answered as usual (the sandbox)."""
    queries: list[EventQuery] = []
    original = ModelArtsClient.list_events

    def spy(self: ModelArtsClient, project_id: str, job_id: str, query: EventQuery) -> Any:
        queries.append(query)
        return original(self, project_id, job_id, query)

    monkeypatch.setattr(ModelArtsClient, "list_events", spy)
    return queries


@pytest.fixture(scope="session")
def redis_socket() -> Iterator[str]:
    """A throwaway redis-server on a unix socket, stopped afterwards."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    folder = Path(tempfile.mkdtemp(prefix="eventsui-redis-"))
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connection = redis.Redis(unix_socket_path=str(socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        connection.close()
        yield str(socket)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
