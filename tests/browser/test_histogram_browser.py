"""The event histogram in a real browser: zoom in and out, drag to select, keys, no JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import wait_for_htmx_idle

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


NARROW_URL = f"{EVENTS_URL}?start_time=2026-11-20T02:10:00Z&end_time=2026-11-20T02:14:59.999Z"


def chart_bars(page: Page) -> Locator:
    """The chart's bars, once histogram.js has set them up (data-ready)."""
    bars = page.locator("#results figure.histogram svg.histogram-chart[data-ready] a.hist-bar")
    expect(bars.first).to_be_attached()
    return bars


def test_zoom_out_widens_the_window_in_place(page: Page) -> None:
    page.goto(NARROW_URL)
    chart_bars(page)
    page.evaluate("window.__noReload = 'kept'")

    page.locator("#results a.histogram-zoom-out").click()

    expect(page).to_have_url(re.compile(r"start_time=2026-11-20T02%3A07%3A30Z"))
    assert page.evaluate("window.__noReload") == "kept"
    query = parse_qs(urlsplit(page.url).query)
    assert query["end_time"] == ["2026-11-20T02:17:29.999Z"]
    chart_bars(page)


def test_dragging_across_bars_opens_their_range(page: Page) -> None:
    page.goto(EVENTS_URL)
    bars = chart_bars(page)
    first, last = bars.nth(3), bars.nth(7)
    start, end = first.get_attribute("data-start"), last.get_attribute("data-end")
    page.locator("#results svg.histogram-chart").scroll_into_view_if_needed()
    a, b = first.bounding_box(), last.bounding_box()
    assert a is not None and b is not None

    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    expect(page.locator("svg.histogram-chart rect.hist-selection")).to_be_visible()
    page.mouse.up()

    expect(page).to_have_url(re.compile(r"end_time="))
    query = parse_qs(urlsplit(page.url).query)
    assert (query["start_time"], query["end_time"]) == ([start], [end])
    expect(page.locator("#results .summary")).to_contain_text("between")


def test_the_bars_are_one_tab_stop_moved_through_with_the_arrow_keys(page: Page) -> None:
    page.goto(EVENTS_URL)
    bars = chart_bars(page)
    expect(page.locator("#results .histogram-drag-hint")).to_be_visible()
    # The page's other lazy loads (the failed job's log tail) settle first.
    wait_for_htmx_idle(page)
    count = bars.count()
    assert count > 3
    # Start from the element just before the chart.
    page.locator("#results .histogram-legend").evaluate(
        "el => { el.setAttribute('tabindex', '-1'); el.focus(); }"
    )

    page.keyboard.press("Tab")
    focused = "document.activeElement.getAttribute('data-start')"
    assert page.evaluate(focused) == bars.nth(0).get_attribute("data-start")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == bars.nth(2).get_attribute("data-start")
    page.keyboard.press("End")
    assert page.evaluate(focused) == bars.nth(count - 1).get_attribute("data-start")
    page.keyboard.press("ArrowLeft")
    target = bars.nth(count - 2)
    assert page.evaluate(focused) == target.get_attribute("data-start")
    # One stop: Tab leaves the chart rather than visiting the next bar.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('svg.histogram-chart')") is False
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(focused) == target.get_attribute("data-start")
    # Visible focus: the bar's hit area is outlined in the focus colour.
    stroke = page.evaluate(
        "getComputedStyle(document.activeElement.querySelector('.hist-hit')).stroke"
    )
    assert stroke not in ("none", "")

    page.keyboard.press("Enter")

    query = parse_qs(urlsplit(target.get_attribute("href") or "").query)
    expect(page).to_have_url(
        re.compile(re.escape(f"end_time={query['end_time'][0]}".replace(":", "%3A")))
    )


def test_without_javascript_the_placeholder_links_to_the_histogram_page(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(EVENTS_URL)
    link = page.locator("#results .histogram-loading a.histogram-link")
    expect(link).to_have_text("Show the event histogram")
    expect(page.locator("#results .histogram-wait")).to_be_hidden()

    link.click()

    expect(page.locator("h1")).to_have_text("Event histogram")
    bars = page.locator("figure.histogram svg.histogram-chart a.hist-bar")
    expect(bars.first).to_be_attached()
    href = bars.nth(2).get_attribute("href")
    bars.nth(2).click()
    expect(page.locator("#results .summary")).to_contain_text("between")
    assert href is not None and urlsplit(page.url).query == urlsplit(href).query


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("url", [EVENTS_URL, NARROW_URL], ids=["whole-job", "window"])
def test_the_chart_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], url: str, scheme: str
) -> None:
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto(url)
    chart_bars(page)
    page.keyboard.press("Tab")
    assert_no_serious_violations(page, f"the histogram of {url} in {scheme} mode")
    page.goto(url.replace("/events/", "/events/histogram/page/"))
    assert_no_serious_violations(page, f"the histogram page of {url} in {scheme} mode")
