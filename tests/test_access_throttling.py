"""Sign-in throttling (django-axes): issue 10, finding 3.

The reproduction: 60 wrong passwords for one user in 21 s all got 200, then the
right one was accepted; /admin/login/ used the same backend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.html_tree import html

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG = "wrong-password-guess-1234"
LIMIT = 5


@pytest.fixture
def login_mode(settings: Any) -> None:
    settings.EVENTSUI_AUTH = "login"


@pytest.fixture
def mia() -> User:
    return User.objects.create_user("mia", password=PASSWORD)


@dataclass
class Attempt:
    status_code: int
    content: bytes
    signed_in: bool


def sign_in(username: str, password: str, address: str = "10.0.0.1", **extra: Any) -> Attempt:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password}, **extra)
    return Attempt(response.status_code, response.content, "_auth_user_id" in client.session)


def assert_refused_on_our_page(response: Attempt) -> None:
    assert response.status_code == 429
    assert not response.signed_in
    page = html(response)
    assert page.find("h1").text == "Sign in to eventsui"
    assert "Too many failed sign-ins" in page.find("div", role="alert").text
    assert "15 minutes" in page.find("div", role="alert").text


def test_after_five_failures_the_right_password_is_refused(login_mode: None, mia: User) -> None:
    for _ in range(LIMIT - 1):
        assert sign_in("mia", WRONG).status_code == 200
    fifth = sign_in("mia", WRONG)

    assert_refused_on_our_page(fifth)
    assert_refused_on_our_page(sign_in("mia", PASSWORD))


def test_fewer_failures_do_not_stop_the_right_password(login_mode: None, mia: User) -> None:
    for _ in range(LIMIT - 1):
        sign_in("mia", WRONG)

    response = sign_in("mia", PASSWORD)

    assert response.status_code == 302
    assert response.signed_in


def test_failures_count_per_username_whatever_the_address(login_mode: None, mia: User) -> None:
    for n in range(LIMIT):
        sign_in("mia", WRONG, address=f"10.0.1.{n}")

    assert_refused_on_our_page(sign_in("mia", PASSWORD, address="10.0.2.1"))


def test_failures_count_per_address_whatever_the_username(login_mode: None, mia: User) -> None:
    for n in range(LIMIT):
        sign_in(f"guess{n}", WRONG, address="10.0.3.1")

    assert_refused_on_our_page(sign_in("mia", PASSWORD, address="10.0.3.1"))
    assert sign_in("mia", PASSWORD, address="10.0.3.2").signed_in


def test_x_forwarded_for_does_not_give_a_fresh_address(login_mode: None, mia: User) -> None:
    for n in range(LIMIT):
        sign_in(f"guess{n}", WRONG, headers={"X-Forwarded-For": f"192.0.2.{n}"})

    response = sign_in("mia", PASSWORD, headers={"X-Forwarded-For": "192.0.2.200"})

    assert_refused_on_our_page(response)


def test_the_lockout_ends_after_the_cool_off(login_mode: None, mia: User) -> None:
    for _ in range(LIMIT):
        sign_in("mia", WRONG)
    assert sign_in("mia", PASSWORD).status_code == 429

    earlier = AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=earlier)

    assert sign_in("mia", PASSWORD).signed_in


def test_the_admin_sign_in_is_throttled_too(settings: Any, mia: User) -> None:
    # Without eventsui's sign-in (EVENTSUI_AUTH=none) the admin has its own form.
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.0.4.1")
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "root", "password": WRONG})

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in html(response).find("div", role="alert").text


def test_in_login_mode_the_admin_takes_no_password_of_its_own(login_mode: None) -> None:
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client()

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_failures_are_logged_without_the_password(
    login_mode: None, mia: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(LIMIT + 1):
        sign_in("mia", WRONG)
    sign_in("mia", PASSWORD)

    failures = [r for r in caplog.records if "login failure" in r.getMessage()]
    assert failures
    assert any("mia" in r.getMessage() for r in failures)
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__)
        assert WRONG not in text
        assert PASSWORD not in text
    for attempt in AccessAttempt.objects.all():
        assert WRONG not in attempt.post_data
        assert PASSWORD not in attempt.post_data
