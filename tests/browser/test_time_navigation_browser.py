"""Time navigation in a real browser: presets, the viewer's zone and its toggle, Copy link."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import (
    DEFAULT_PROJECT_ID,
    FAILED_JOB_ID,
    LIVE_JOB_ID,
    live_cycle_start,
)
from tests.browser.conftest import Watch, wait_for_htmx_idle

pytestmark = pytest.mark.browser

LIVE_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": LIVE_JOB_ID})
FAILED_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})


def rows(page: Page) -> Locator:
    return page.locator("#results table.events > tbody > tr")


def row_instants(page: Page) -> list[datetime]:
    values = (
        rows(page)
        .locator("td.time time")
        .evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    )
    return [datetime.fromisoformat(v) for v in values]


def row_keys(page: Page) -> list[tuple[str, str]]:
    """Each row's instant and message: what must match across zones."""
    return [
        (t, m)
        for t, m in zip(
            rows(page)
            .locator("td.time time")
            .evaluate_all("els => els.map(e => e.getAttribute('datetime'))"),
            rows(page).locator("td.message").all_inner_texts(),
            strict=True,
        )
    ]


def open_timeline(page: Page, url: str, zone: str) -> None:
    """Go to a timeline page and wait until it is rendered in the browser's zone.

    The first page of a fresh browser is rendered in UTC; eventsui.js writes
    the zone cookie and reloads it once.
    """
    page.goto(url)
    expect(page.locator("p.viewer-zone")).to_have_attribute("data-viewer-zone", zone)
    page.wait_for_load_state("load")
    # The histogram arrives after the table; its swap must not land in the
    # middle of a test's own interaction with the form.
    wait_for_htmx_idle(page)


def test_a_preset_swaps_the_rows_and_pushes_a_relative_url(new_page: Callable[..., Page]) -> None:
    page = new_page(timezone_id="Asia/Shanghai")
    open_timeline(page, f"{LIVE_URL}?order=asc", "Asia/Shanghai")
    expect(page.locator(".time-presets a[aria-current=true]")).to_have_text("Whole job")
    whole_first = rows(page).first.inner_text()
    page.evaluate("window.__noReload = 'kept'")

    page.locator(".time-presets").get_by_role("link", name="Last 15 minutes").click()

    expect(page).to_have_url(re.compile(r"\?range=15m&order=asc$"))
    expect(page.locator(".time-presets a[aria-current=true]")).to_have_text("Last 15 minutes")
    expect(page.locator("#results .summary")).to_contain_text("in the last 15 minutes, between")
    assert page.evaluate("window.__noReload") == "kept", "the preset reloaded the page"
    expect(rows(page).first).to_be_visible()
    section = page.locator("#results")
    start = section.get_attribute("data-picker-start")
    end = section.get_attribute("data-picker-end")
    assert start and end
    # Every row is inside the resolved range, shown in the viewer's zone.
    low = datetime.fromisoformat(f"{start}+08:00")
    high = datetime.fromisoformat(f"{end}+08:00")
    for moment in row_instants(page):
        assert low <= moment <= high
    for text in rows(page).locator("td.time time").all_inner_texts():
        assert text.endswith("CST (UTC+08:00)")
    if time.time() - live_cycle_start(time.time()) > 16 * 60:
        # The live job began over 15 minutes ago: its first event is out of range.
        assert rows(page).first.inner_text() != whole_first
    # The pickers follow the preset.
    expect(page.locator("#id_start_time")).to_have_value(re.compile(re.escape(start[:16])))
    expect(page.locator("#id_end_time")).to_have_value(re.compile(re.escape(end[:16])))

    # Another filter keeps the range relative.
    page.select_option("#id_level", "Info")
    expect(page).to_have_url(re.compile(r"\?level=Info&range=15m&order=asc$"))
    expect(page.locator(".time-presets a[aria-current=true]")).to_have_text("Last 15 minutes")

    # Whole job again.
    page.locator(".time-presets").get_by_role("link", name="Whole job").click()
    expect(page).to_have_url(re.compile(r"\?level=Info&order=asc$"))
    expect(page.locator("#id_start_time")).to_have_value("")


def test_a_preset_of_a_finished_job_shows_the_last_hour_of_the_job(page: Page) -> None:
    # The job ended days before the clock: its presets count back from its last event.
    page.goto(FAILED_URL)
    expect(rows(page)).to_have_count(50)

    page.locator(".time-presets").get_by_role("link", name="1 hour").click()

    expect(page).to_have_url(re.compile(r"\?range=1h$"))
    expect(page.locator("#results .summary")).to_contain_text(
        re.compile(r"in the last hour of the job, which ended \d+ days ago, between")
    )
    expect(rows(page)).to_have_count(50)


def test_the_toggle_switches_between_the_browser_zone_and_utc(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(timezone_id="America/New_York")
    open_timeline(page, FAILED_URL, "America/New_York")
    header = page.locator("table.events thead th").first
    expect(header).to_have_text("Time (America/New_York)")
    expect(page.locator("label[for=id_start_time]")).to_have_text("From (America/New_York)")
    # The failed job ran on 2026-11-20, 01:58 to 02:22 UTC: the evening before in New York.
    first_time = rows(page).first.locator("td.time time")
    expect(first_time).to_have_text(re.compile(r"^2026-11-19 21:\d\d:\d\d EST \(UTC-05:00\)$"))
    expect(page.locator(".job-facts time").first).to_contain_text("EST (UTC-05:00)")

    page.get_by_role("button", name="Show UTC").click()

    expect(page.locator("p.viewer-zone")).to_have_attribute("data-viewer-zone", "UTC")
    expect(header).to_have_text("Time (UTC)")
    expect(first_time).to_have_text(re.compile(r"^2026-11-20 02:\d\d:\d\d UTC$"))
    expect(page.locator("label[for=id_start_time]")).to_have_text("From (UTC)")

    page.get_by_role("button", name="Show America/New_York").click()

    expect(page.locator("p.viewer-zone")).to_have_attribute("data-viewer-zone", "America/New_York")
    expect(first_time).to_contain_text("EST (UTC-05:00)")


def test_the_pickers_are_read_in_the_viewer_zone(
    new_page: Callable[..., Page], watch: Watch
) -> None:
    # From alone is refused until To is given; Chromium logs the 400.
    watch.allow_error(r"status of 400 \(Bad Request\)")
    page = new_page(timezone_id="Asia/Shanghai")
    open_timeline(page, FAILED_URL, "Asia/Shanghai")

    with page.expect_response(lambda r: r.status == 400):
        page.fill("#id_start_time", "2026-11-20T10:00:00")
    # The answer replaces the form; filling To before that swap lands would
    # type into the element on its way out.
    expect(page.locator("#timeline .field-error")).to_contain_text("Give To as well as From")
    wait_for_htmx_idle(page)
    with page.expect_response(lambda r: r.status == 200):
        page.fill("#id_end_time", "2026-11-20T10:05:00")

    expect(page).to_have_url(
        re.compile(r"\?start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T02%3A05%3A00Z$")
    )
    expect(page.locator("#results .summary")).to_contain_text(
        "between 2026-11-20 10:00:00 CST (UTC+08:00) and 2026-11-20 10:05:00 CST (UTC+08:00)"
    )


def test_copy_link_copies_the_absolute_link_that_shows_the_same_rows(
    new_page: Callable[..., Page], live_server
) -> None:
    page = new_page(timezone_id="Asia/Shanghai", permissions=["clipboard-read", "clipboard-write"])
    open_timeline(page, f"{LIVE_URL}?range=15m", "Asia/Shanghai")
    expect(rows(page).first).to_be_visible()
    shown = row_keys(page)

    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(".copy-status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")

    assert copied == button.get_attribute("data-copy-url")
    assert copied == page.locator("#share-url").input_value()
    assert copied.startswith(f"{live_server.url}{LIVE_URL}?")
    params = parse_qs(urlsplit(copied).query)
    assert "range" not in params
    start = datetime.fromisoformat(params["start_time"][0])
    end = datetime.fromisoformat(params["end_time"][0])
    assert end - start == timedelta(minutes=15)

    # Later, elsewhere: another viewer, in another zone, sees the same events.
    elsewhere = new_page(timezone_id="America/New_York")
    open_timeline(elsewhere, copied, "America/New_York")
    expect(elsewhere).to_have_url(copied)
    assert row_keys(elsewhere) == shown
    for text in rows(elsewhere).locator("td.time time").all_inner_texts():
        assert re.search(r"E[SD]T \(UTC-0[45]:00\)$", text)
    expect(elsewhere.locator(".time-presets a[aria-current=true]")).to_have_count(0)

    # And the relative link still follows the clock.
    page.reload()
    expect(page).to_have_url(re.compile(r"\?range=15m$"))


def test_without_javascript_presets_work_and_the_link_can_be_copied_by_hand(
    new_page: Callable[..., Page], live_server
) -> None:
    page = new_page(java_script_enabled=False, timezone_id="Asia/Shanghai")
    page.goto(FAILED_URL)
    # No cookie without JavaScript: UTC, and the page says so.
    expect(page.locator("p.viewer-zone")).to_have_text("Times are in UTC.")

    page.locator(".time-presets").get_by_role("link", name="7 days").click()

    page.wait_for_url(re.compile(r"\?range=7d$"))
    expect(page.locator(".time-presets a[aria-current=true]")).to_have_text("7 days")
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    link = page.locator("#share-url")
    expect(link).to_be_visible()
    expect(link).to_have_value(re.compile(r"start_time=.*Z&end_time=.*Z$"))
    assert "range=" not in link.input_value()

    # Apply sends the pickers, which show the resolved range: the view is fixed.
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"\?start_time=.*&end_time=.*Z$"))
    assert page.url.startswith(f"{live_server.url}{FAILED_URL}?")
