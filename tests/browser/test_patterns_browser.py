"""From the timeline to its message patterns and back to one pattern's events, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations

pytestmark = pytest.mark.browser

EVENTS_URL = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"


def test_patterns_open_from_the_timeline_and_a_pattern_leads_to_its_events(
    new_page: Callable[..., Page],
) -> None:
    # bypass_csp: axe goes in as an inline script (axe.py); the page's own CSP is tested elsewhere.
    page = new_page(bypass_csp=True)
    page.goto(f"{EVENTS_URL}?level=Error")
    page.locator("p.patterns-link").get_by_role("link", name="Message patterns").click()

    expect(page).to_have_url(
        f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/patterns/?level=Error"
    )
    rows = page.locator("table.patterns-table tbody tr")
    expect(rows.first).to_be_visible()
    counts = [int(c) for c in page.locator("td.pattern-count").all_text_contents()]
    assert sum(counts) == 9
    expect(page.locator("p.patterns-summary")).to_contain_text("in 9 Error events")
    assert_no_serious_violations(page, "the patterns page")

    row = rows.filter(has_text="Training finished. Exit code")
    expect(row.locator("td.pattern-count")).to_have_text("4")
    expect(row.locator("svg.sparkline")).to_be_visible()
    row.locator("a.pattern-link").click()

    url = urlsplit(page.url)
    assert url.path == EVENTS_URL
    assert parse_qs(url.query) == {"level": ["Error"], "pattern": ["Training finished. Exit code"]}
    messages = page.locator("table.events td.message").all_text_contents()
    assert len(messages) == 4
    assert all("Training finished. Exit code" in m for m in messages)


def test_sorting_by_severity_swaps_the_results_and_keeps_the_url(page: Page) -> None:
    page.goto(EVENTS_URL.replace("/events/", "/patterns/"))
    page.locator("nav.pattern-sorts").get_by_role("link", name="Errors and warnings first").click()

    expect(page).to_have_url(f"{EVENTS_URL.replace('/events/', '/patterns/')}?sort=severity")
    first = page.locator("table.patterns-table tbody tr").first
    expect(first.locator(".level-error")).to_have_count(1)
    page.reload()
    expect(
        page.locator("table.patterns-table tbody tr").first.locator(".level-error")
    ).to_have_count(1)
