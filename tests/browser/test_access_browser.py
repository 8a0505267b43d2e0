"""Signing in, switching project and reaching a job's events, in a real browser (login mode)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from playwright.sync_api import Page, expect

from eventsui.access.models import ProjectGrant
from eventsui.modelarts.projects import Credentials, Project
from eventsui.sandbox.data import FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import Watch

# The live server runs in another thread: its requests must see the test's users.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# endpoint "" is the sandbox, which answers for any project id.
VISION = Project(project_id="vision-0001", name="Vision", endpoint="", credentials=Credentials())
SPEECH = Project(project_id="speech-0002", name="Speech", endpoint="", credentials=Credentials())
PASSWORD = "correct horse battery staple"
FAILED_JOB = "resnet50-imagenet"


def at(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(path) + "$")


@pytest.fixture
def login_mode(settings: Any) -> None:
    # Read per request by the middleware, so the running live server follows.
    settings.EVENTSUI_AUTH = "login"
    settings.EVENTSUI_PROJECTS = (VISION, SPEECH)


@pytest.fixture
def mia(login_mode: None) -> User:
    """Granted Vision herself and Speech through her group."""
    user = User.objects.create_user("mia", password=PASSWORD)
    ProjectGrant.objects.create(project_id=VISION.project_id, user=user)
    speech = Group.objects.create(name="speech")
    user.groups.add(speech)
    ProjectGrant.objects.create(project_id=SPEECH.project_id, group=speech)
    return user


def sign_in(page: Page) -> None:
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_switch_project_and_open_a_failed_job(page: Page, mia: User) -> None:
    page.goto("/")
    expect(page).to_have_url(at(f"{reverse('login')}?next=/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to eventsui")

    sign_in(page)

    expect(page).to_have_url(at("/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(VISION.project_id)
    expect(page.locator(".account")).to_contain_text("Signed in as mia")
    switcher = page.locator("details.project-switcher")
    expect(switcher.locator("summary")).to_have_text("Project: Vision")

    switcher.locator("summary").click()
    switcher.get_by_role("link", name="Speech").click()

    speech_jobs = reverse("jobs", args=[SPEECH.project_id])
    expect(page).to_have_url(at(speech_jobs))
    expect(page.get_by_role("heading", level=1)).to_contain_text(SPEECH.project_id)
    expect(switcher.locator("summary")).to_have_text("Project: Speech")

    page.locator("table.jobs").get_by_role("link", name=FAILED_JOB, exact=True).click()

    expect(page).to_have_url(at(reverse("events", args=[SPEECH.project_id, FAILED_JOB_ID])))
    expect(page.get_by_role("heading", level=1)).to_contain_text(FAILED_JOB)
    expect(page.locator("#results table.events tbody tr").first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(at(reverse("login")))
    page.goto(speech_jobs)
    expect(page).to_have_url(re.compile(re.escape(reverse("login")) + r"\?next="))


def test_an_expired_session_sends_an_htmx_swap_to_sign_in_and_back(page: Page, mia: User) -> None:
    events = reverse("events", args=[VISION.project_id, FAILED_JOB_ID])
    page.goto(events)
    sign_in(page)
    expect(page).to_have_url(at(events))
    expect(page.locator("#results table.events tbody tr").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    page.context.clear_cookies()
    page.locator("#id_level").select_option("Error")

    # The whole page goes to the sign-in form (HX-Redirect), not a fragment of it.
    expect(page).to_have_url(re.compile(re.escape(reverse("login")) + r"\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to eventsui")
    expect(page.locator("#results")).to_have_count(0)
    sign_in(page)
    expect(page).to_have_url(at(events))


def test_a_project_not_granted_is_not_found(page: Page, login_mode: None, watch: Watch) -> None:
    user = User.objects.create_user("mia", password=PASSWORD)
    ProjectGrant.objects.create(project_id=VISION.project_id, user=user)
    watch.allow_error(r"status of 404 ")
    page.goto("/")
    sign_in(page)

    response = page.goto(reverse("jobs", args=[SPEECH.project_id]))

    assert response is not None and response.status == 404
    expect(page.locator("details.project-switcher")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sign_in_page_and_the_switcher_have_no_serious_accessibility_violations(
    new_page: Callable[..., Page], mia: User, scheme: str
) -> None:
    # As in test_accessibility_browser: axe is injected inline, so the CSP is off.
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto("/")
    assert_no_serious_violations(page, f"the sign-in page, {scheme}")

    sign_in(page)
    page.locator("details.project-switcher summary").click()
    page.wait_for_load_state("networkidle")
    assert_no_serious_violations(page, f"the jobs page with the switcher open, {scheme}")
