"""Phones: at 390 px no page scrolls sideways, event rows are cards, tables collapse; 1400 px too.

Every page is opened at 390 px and 1400 px wide, in light and dark
(`color_scheme` in the context): the document is never wider than the
viewport, and axe finds nothing serious.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LIVE_JOB_ID
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import Watch, wait_for_htmx_idle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1400
JOB = {"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID}
EVENTS_URL = reverse("events", kwargs=JOB)
PAGES = {
    "home": "/",
    "jobs browser": reverse("jobs", args=[DEFAULT_PROJECT_ID]),
    # The failed job: its banner, its log tail and the hostile, unbroken messages.
    "timeline with the failure banner": EVENTS_URL,
    "timeline folded": f"{EVENTS_URL}?fold=1",
    "histogram page": reverse("events_histogram_page", kwargs=JOB),
    "patterns": reverse("events_patterns", kwargs=JOB),
    "failures": reverse("failures"),
    "task log": reverse("task_log", kwargs={**JOB, "task_id": "worker-3"}),
    "go to job, several names": f"{reverse('job_goto', args=[DEFAULT_PROJECT_ID])}?job=finetune",
    "error page": "/projects/0123456789abcdef0123456789abcdef/jobs/",
    "bad request": f"{EVENTS_URL}?limit=100000",
}
WIDE = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def open_at(new_page: Callable[..., Page], scheme: str) -> Iterator[Callable[[int], Page]]:
    def open_page(width: int) -> Page:
        return new_page(
            viewport={"width": width, "height": 844}, color_scheme=scheme, bypass_csp=True
        )

    yield open_page


def settle(page: Page) -> None:
    wait_for_htmx_idle(page)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_page_is_wider_than_the_screen_and_axe_stays_clean(
    open_at: Callable[[int], Page], watch: Watch, width: int, scheme: str
) -> None:
    # The error pages answer 404 and 400, which the console reports.
    watch.allow_error("status of 404")
    watch.allow_error("status of 400")
    page = open_at(width)
    for name, url in PAGES.items():
        page.goto(url)
        settle(page)
        assert page.evaluate(WIDE) <= 0, f"{name} scrolls sideways at {width} px ({scheme})"
        assert_no_serious_violations(page, f"{name} at {width} px, {scheme}")


def test_the_sign_in_page_fits_a_phone(open_at: Callable[[int], Page], settings: Any) -> None:
    settings.EVENTSUI_AUTH = "login"
    page = open_at(PHONE)

    page.goto(reverse("login"))

    expect(page.get_by_label("Username")).to_be_visible()
    assert page.evaluate(WIDE) <= 0
    assert_no_serious_violations(page, "sign-in at 390 px")


def test_event_rows_are_cards_with_the_message_as_wide_as_the_card(
    open_at: Callable[[int], Page],
) -> None:
    page = open_at(PHONE)
    page.goto(EVENTS_URL)
    settle(page)

    row = page.locator("#results table.events > tbody > tr").first
    time, message = row.locator("td.time"), row.locator("td.message")
    card, text = row.bounding_box(), message.bounding_box()
    assert card is not None and text is not None
    assert card["width"] <= PHONE
    # The message under the time/level/source line, at the card's full inner width.
    assert text["width"] >= card["width"] - 2 * 8 - 1
    stamp = time.bounding_box()
    assert stamp is not None and text["y"] >= stamp["y"] + stamp["height"] - 1
    # The header row is out of sight, but still there for screen readers.
    assert page.locator("#results table.events thead th").first.is_hidden() is False
    header = page.locator("#results table.events thead").bounding_box()
    assert header is not None and header["height"] <= 1


def test_the_jobs_and_failures_tables_collapse_into_the_screen(
    open_at: Callable[[int], Page],
) -> None:
    page = open_at(PHONE)
    for url in (PAGES["jobs browser"], PAGES["failures"]):
        page.goto(url)
        settle(page)
        table = page.locator("#results table.jobs").first.bounding_box()
        assert table is not None and table["x"] + table["width"] <= PHONE, url


def test_the_histogram_is_readable_and_its_bars_a_finger_wide_on_a_phone(
    open_at: Callable[[int], Page],
) -> None:
    page = open_at(PHONE)
    page.goto(EVENTS_URL)
    settle(page)
    chart = page.locator("#histogram svg.histogram-chart")
    expect(chart).to_be_visible()

    bar = chart.locator("a.hist-bar rect.hist-hit").first.bounding_box()
    label = chart.locator("text.hist-time").first.bounding_box()

    assert bar is not None and bar["width"] >= 24  # WCAG 2.2's smallest target
    assert label is not None and label["height"] >= 9  # about 10 px type, as on a desktop
    assert page.evaluate(WIDE) <= 0  # the chart scrolls inside its own box


def test_without_javascript_live_tail_says_so_and_is_not_on(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(reverse("events", args=[DEFAULT_PROJECT_ID, LIVE_JOB_ID]) + "?live=1")

    status = page.locator("#live-tail-status")
    expect(status).to_have_text("Live tail needs JavaScript: reload the page to see new events.")
    expect(status).to_have_attribute("data-live", "stopped")
