"""The cluster stack, started once for tests/cluster/ and always stopped.

A failing test's report ends with the tail of every server's log.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
import requests

from .stack import PASSWORD, USERNAMES, Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with Stack() as started:
        yield started


@pytest.fixture
def loose_stack(stack: Stack) -> Stack:
    """The stack with both instances up and a budget that never binds."""
    stack.instances()
    stack.stub.faults.recover()
    stack.stub.faults.reset_counts()
    return stack


def sign_in(base_url: str, username: str = USERNAMES[0]) -> requests.Session:
    """A session signed in through the sign-in form at base_url."""
    session = requests.Session()
    login = f"{base_url}/accounts/login/"
    session.get(login, timeout=10).raise_for_status()
    answer = session.post(
        login,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


@pytest.fixture(scope="session")
def users(stack: Stack) -> list[dict[str, str]]:
    """Each test user's cookies, good on either instance (sessions are in PostgreSQL)."""
    return [sign_in(stack.a.url, username).cookies.get_dict() for username in USERNAMES]


@pytest.fixture(scope="session")
def cookies(users: list[dict[str, str]]) -> dict[str, str]:
    """The first test user's cookies."""
    return users[0]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    fixtures = getattr(item, "funcargs", {})
    started = fixtures.get("stack") or fixtures.get("loose_stack")
    if report.failed and isinstance(started, Stack):
        report.sections.append(("cluster servers' logs", started.logs()))
    return report
