"""The event histogram in a real browser: loaded after the table, bars that zoom by htmx."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID

pytestmark = pytest.mark.browser

EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})


def test_the_histogram_loads_and_a_bar_zooms_the_results_in_place(page: Page) -> None:
    page.goto(EVENTS_URL)
    figure = page.locator("#results figure.histogram")
    expect(figure.locator("svg a.hist-bar").first).to_be_attached()
    expect(page.locator("#results .histogram-loading")).to_have_count(0)
    page.evaluate("window.__noReload = 'kept'")

    bar = figure.locator("svg a.hist-bar").last
    href = bar.get_attribute("href")
    assert href is not None
    bar.click()

    expect(page).to_have_url(re.compile(re.escape(urlsplit(href).query)))
    assert page.evaluate("window.__noReload") == "kept"  # swapped, not navigated
    query = parse_qs(urlsplit(page.url).query)
    assert query["start_time"][0].endswith("Z") and query["end_time"][0].endswith("Z")
    expect(page.locator("#results .summary")).to_contain_text("between")
    # The results brought their own placeholder, which drew the zoomed range.
    expect(page.locator("#results figure.histogram svg a.hist-bar").first).to_be_attached()


def test_a_filter_change_reloads_the_histogram_with_the_filter(page: Page) -> None:
    page.goto(EVENTS_URL)
    expect(page.locator("#results figure.histogram")).to_be_attached()

    page.select_option("#id_level", "Error")

    expect(page.locator("#results figure.histogram .histogram-summary")).to_contain_text(
        "9 Error events"
    )
    expect(page.locator("#results figure.histogram .histogram-legend li")).to_have_count(1)
