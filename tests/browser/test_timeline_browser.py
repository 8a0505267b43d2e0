"""The timeline page in a real browser: htmx swaps, the URL, history, and no JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.conftest import Watch, wait_for_htmx_idle

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})
# The failed sandbox job: 181 events, 9 of them Error.
TOTAL, ERRORS = 181, 9


def rows(page: Page) -> Locator:
    return page.locator("#results table.events tbody tr")


def first_row_text(page: Page) -> str:
    return rows(page).first.inner_text()


def mark_window(page: Page) -> None:
    page.evaluate("window.__noReload = 'kept'")


def window_kept(page: Page) -> bool:
    return page.evaluate("window.__noReload") == "kept"


def expect_unfiltered(page: Page) -> None:
    expect(page.locator("#results .summary")).to_contain_text(f"{TOTAL} events")
    expect(rows(page)).to_have_count(50)


def expect_only_errors(page: Page) -> None:
    expect(page.locator("#results .summary")).to_contain_text(f"{ERRORS} Error events")
    expect(rows(page)).to_have_count(ERRORS)
    expect(rows(page).locator("span.level")).to_have_text(["Error"] * ERRORS)
    expect(page.locator("#id_level")).to_have_value("Error")


def test_it_loads_htmx_and_the_stylesheet_from_the_live_server(page: Page) -> None:
    page.goto(EVENTS_URL)

    assert page.evaluate("typeof htmx === 'object' && htmx.version.startsWith('2.')")
    assert page.evaluate("[...document.styleSheets].some(s => s.cssRules.length > 0)")
    expect(page.locator(".sandbox-badge")).to_be_visible()
    # Last: a screenshot leaves style="" on inputs, and an htmx swap after it
    # copies that attribute, which the CSP reports as a console error.
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "failed-job-timeline.png", full_page=True)


def test_choosing_a_level_swaps_the_rows_and_pushes_the_url(page: Page) -> None:
    page.goto(EVENTS_URL)
    expect_unfiltered(page)
    mark_window(page)

    page.select_option("#id_level", "Error")

    expect(page).to_have_url(re.compile(r"\?level=Error$"))
    expect_only_errors(page)
    assert window_kept(page), "the level change reloaded the whole page"

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(EVENTS_URL) + "$"))
    expect_unfiltered(page)
    expect(page.locator("#id_level")).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?level=Error$"))
    expect_only_errors(page)

    page.reload()
    expect_only_errors(page)
    assert not window_kept(page)

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(EVENTS_URL) + "$"))
    expect_unfiltered(page)
    expect(page.locator("#id_level")).to_have_value("")


def test_next_swaps_the_page_and_pushes_its_url(page: Page) -> None:
    page.goto(EVENTS_URL)
    expect_unfiltered(page)
    first_on_page_one = first_row_text(page)
    mark_window(page)

    page.locator("#results .pagination").get_by_role("link", name="Next").click()

    expect(page).to_have_url(re.compile(r"\?offset=50$"))
    expect(page.locator("#results .summary")).to_contain_text("Showing events 51–100 of 181")
    assert window_kept(page)
    first_on_page_two = first_row_text(page)
    assert first_on_page_two != first_on_page_one

    page.reload()
    expect(page.locator("#results .summary")).to_contain_text("Showing events 51–100 of 181")
    assert first_row_text(page) == first_on_page_two


def test_typing_a_pattern_filters_after_a_pause(page: Page) -> None:
    page.goto(EVENTS_URL)
    expect_unfiltered(page)
    mark_window(page)

    page.locator("#id_pattern").press_sequentially("NCCL", delay=50)

    expect(page).to_have_url(re.compile(r"\?pattern=NCCL$"))
    expect(page.locator("#results .summary")).to_contain_text("3 events containing “NCCL”")
    expect(rows(page)).to_have_count(3)
    for message in rows(page).locator("td.message").all_inner_texts():
        assert "NCCL" in message
    assert window_kept(page)


def test_the_filters_work_without_javascript(new_page: Callable[..., Page], live_server) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(EVENTS_URL)
    expect_unfiltered(page)

    page.select_option("#id_level", "Error")
    expect(rows(page)).to_have_count(50)  # nothing happens until Apply
    page.get_by_role("button", name="Apply").click()

    # The plain form sends every field; the view redirects to the short URL.
    page.wait_for_url(re.compile(r"\?level=Error$"))
    assert page.url == f"{live_server.url}{EVENTS_URL}?level=Error"
    expect_only_errors(page)


def test_a_rejected_htmx_request_shows_the_messages_next_to_the_fields(
    page: Page, watch: Watch
) -> None:
    # Chromium logs every 4xx answer as a console error; these are expected.
    watch.allow_error(r"status of 400 \(Bad Request\)")
    page.goto(EVENTS_URL)
    expect_unfiltered(page)
    mark_window(page)
    wait_for_htmx_idle(page)

    # Each input's change is a request of its own; wait for each answer and
    # its swap, as the 400 replaces the whole form.
    with page.expect_response(lambda r: r.status == 400):
        page.fill("#id_start_time", "2026-11-20T03:00:30")
    to_field = page.locator(".field").filter(has=page.locator("#id_end_time"))
    expect(to_field.locator(".field-error")).to_have_text("Give To as well as From, or neither.")
    wait_for_htmx_idle(page)

    with page.expect_response(lambda r: r.status == 400):
        page.fill("#id_end_time", "2026-11-20T02:00:00")
    expect(to_field.locator(".field-error")).to_have_text("To must not be before From.")
    wait_for_htmx_idle(page)

    with page.expect_response(lambda r: r.status == 400):
        page.get_by_role("button", name="Apply").click()

    expect(to_field.locator(".field-error")).to_have_text("To must not be before From.")
    expect(page.locator("#id_end_time")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#results [role=alert]")).to_contain_text("These filters cannot be used")
    expect(page.locator("main#main")).to_have_count(1)
    expect(page.locator("#id_start_time")).to_have_value("2026-11-20T03:00:30")
    expect(page).to_have_url(re.compile(re.escape(EVENTS_URL) + "$"))
    assert window_kept(page)
