"""From a failed job to the row that explains it, in a real browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID

pytestmark = pytest.mark.browser

JOBS_URL = f"/projects/{DEFAULT_PROJECT_ID}/jobs/"


def test_the_failure_link_lands_on_the_first_error_marked_and_in_view(page: Page) -> None:
    page.goto(JOBS_URL)
    row = page.locator("table.jobs tbody tr", has_text="resnet50-imagenet")
    row.get_by_role("link", name="Show failure").click()

    marked = page.locator("table.events tr.marked")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("aria-current", "true")
    expect(marked).to_be_in_viewport()
    expect(marked.locator(".level")).to_have_text("Error")
    expect(marked.locator("td.message")).to_contain_text("OOMKilled")

    # The address is absolute and names the marked row, so it can be shared as it is.
    url = urlsplit(page.url)
    query = parse_qs(url.query)
    assert query["start_time"][0].endswith("Z") and query["end_time"][0].endswith("Z")
    assert url.fragment == query["mark"][0] == marked.get_attribute("id")
    # Nothing before the marked row is an Error: it is the first one.
    levels = page.locator("table.events tbody tr .level").all_text_contents()
    assert "Error" not in levels[: levels.index("Error")]


def test_a_shared_failure_link_shows_the_same_marked_row(page: Page) -> None:
    page.goto(JOBS_URL)
    page.locator("table.jobs tbody tr", has_text="resnet50-imagenet").get_by_role(
        "link", name="Show failure"
    ).click()
    expect(page.locator("table.events tr.marked")).to_have_count(1)
    shared = page.url
    first_id = page.locator("table.events tr.marked").get_attribute("id")

    other = page.context.new_page()
    other.goto(shared)

    expect(other.locator("table.events tr.marked")).to_have_attribute("id", first_id or "")
    expect(other.locator("table.events tr.marked")).to_be_in_viewport()
    other.close()


def test_the_failed_jobs_page_shows_the_banner_and_the_log_tail_of_the_likely_cause(
    page: Page,
) -> None:
    page.goto(f"/projects/{DEFAULT_PROJECT_ID}/jobs/3faf5c03-aaa1-4cbe-879d-24b05d997347/events/")

    banner = page.locator("header.job-heading .job-banner")
    first = banner.locator("ol.failed-tasks li").first
    expect(first).to_contain_text("worker-3")
    expect(first.locator(".likely-cause-mark")).to_have_text("likely cause")
    expect(banner.locator(".banner-cause")).to_contain_text("Cause: Out of memory.")

    # Loaded after the table (hx-trigger="load"): the end of worker-3's log.
    tail = page.locator("section.log-tail pre.log")
    expect(tail).to_contain_text("RuntimeError: CUDA out of memory.")
    expect(tail).to_contain_text("[Modelarts Service Log]Training end with return code: 137")

    page.locator("section.log-tail").get_by_role("link", name="The whole log").click()
    expect(page.locator("#log-end")).to_be_in_viewport()
    expect(page.locator("pre.log")).to_contain_text("Traceback (most recent call last):")
