"""The keyboard: eventsui.js's shortcuts, and Tab reaching every control with a visible focus."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID

pytestmark = pytest.mark.browser

EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})
PAGE_ONE = re.compile(re.escape(EVENTS_URL) + "$")
PAGE_TWO = re.compile(re.escape(EVENTS_URL) + r"\?offset=50$")

# What a keyboard user can land on; compared with what Tab actually reaches.
# Links a roving tabindex takes out of the Tab order (the histogram's bars: one
# stop, arrow keys inside, test_histogram_browser.py) are left out.
CONTROLS = (
    "a[href]:not([tabindex='-1']), button, input, select, textarea, summary,"
    " [tabindex]:not([tabindex='-1'])"
)

# Presses Tab until focus comes back round, recording each stop and its outline.
TAB_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  window.__stops = window.__stops || new Set();
  // A datetime-local input takes several Tabs, one per part of the date.
  const again = el === window.__last;
  const seen = !again && window.__stops.has(el);
  window.__stops.add(el);
  window.__last = el;
  const style = getComputedStyle(el);
  return {
    again,
    seen,
    name: el.outerHTML.slice(0, 120),
    outline: style.outlineStyle === "none" ? "none" : style.outlineWidth,
  };
}"""

MISSED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.checkVisibility() && !el.disabled && !window.__stops.has(el))
  .map((el) => el.outerHTML.slice(0, 120))"""


def rows(page: Page) -> Locator:
    return page.locator("#results table.events tbody tr")


def open_timeline(page: Page, url: str = EVENTS_URL) -> None:
    page.goto(url)
    expect(rows(page)).to_have_count(50)
    # The histogram arrives by a request of its own; let it land first.
    expect(page.locator("#histogram")).to_be_visible()


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement.id")


def outline_of(locator: Locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).outlineStyle")


def test_slash_focuses_the_pattern_box(page: Page) -> None:
    open_timeline(page)

    page.keyboard.press("/")

    expect(page.locator("#id_pattern")).to_be_focused()
    expect(page.locator("#id_pattern")).to_have_value("")  # the / itself is not typed


def test_j_and_k_move_the_focus_between_rows(page: Page) -> None:
    open_timeline(page)
    first, second = rows(page).nth(0), rows(page).nth(1)

    page.keyboard.press("j")
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_be_focused()
    expect(second).to_be_in_viewport()
    assert outline_of(second) != "none"
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("k")  # stays on the first row
    expect(first).to_be_focused()

    for _ in range(49):
        page.keyboard.press("j")
    last = rows(page).nth(49)
    expect(last).to_be_focused()
    expect(last).to_be_in_viewport()
    assert outline_of(last) != "none"


def test_brackets_go_to_the_next_and_previous_page(page: Page) -> None:
    open_timeline(page)
    first_on_page_one = rows(page).first.inner_text()

    page.keyboard.press("]")
    expect(page).to_have_url(PAGE_TWO)
    expect(page.locator("#results .summary")).to_contain_text("Showing events 51–100 of 181")
    assert rows(page).first.inner_text() != first_on_page_one

    page.keyboard.press("[")
    expect(page).to_have_url(PAGE_ONE)
    expect(page.locator("#results .summary")).to_contain_text("Showing events 1–50 of 181")
    assert rows(page).first.inner_text() == first_on_page_one


def test_keys_typed_into_the_pattern_box_are_text_not_shortcuts(page: Page) -> None:
    open_timeline(page)
    pattern = page.locator("#id_pattern")
    pattern.focus()

    with page.expect_response(re.compile(r"pattern=")):
        page.keyboard.type("j]k[/")

    expect(pattern).to_have_value("j]k[/")
    expect(pattern).to_be_focused()
    expect(page).to_have_url(re.compile(r"\?pattern=[^&]+$"))  # no offset: ] did not page
    expect(page.locator("#results .summary")).to_contain_text("0 events containing “j]k[/”")


def test_a_select_keeps_its_own_keys(page: Page) -> None:
    open_timeline(page)
    page.locator("#id_level").focus()

    page.keyboard.press("j")
    page.keyboard.press("]")

    expect(page.locator("#id_level")).to_be_focused()
    expect(page).to_have_url(PAGE_ONE)


@pytest.mark.parametrize("url", ["/", EVENTS_URL], ids=["jobs", "timeline"])
def test_tab_reaches_every_control_with_a_visible_focus_ring(page: Page, url: str) -> None:
    if url == EVENTS_URL:
        open_timeline(page)
    else:
        page.goto(url)
        expect(page.locator("table.jobs tbody tr").first).to_be_visible()

    stops = []
    for _ in range(500):
        page.keyboard.press("Tab")
        stop = page.evaluate(TAB_STOP)
        if stop is None or stop["seen"]:
            break
        if not stop["again"]:
            stops.append(stop)
    else:
        pytest.fail("Tab never came back round")

    assert len(stops) > 5
    without_ring = [s["name"] for s in stops if s["outline"] in ("none", "0px")]
    assert not without_ring, f"focused without a visible outline: {without_ring}"
    missed = page.evaluate(MISSED, CONTROLS)
    assert not missed, f"controls Tab never reached: {missed}"


# -- the skip link and the way to the first row ------------------------------------------------


@pytest.mark.parametrize("width", [390, 1400])
def test_the_skip_link_is_the_first_stop_and_the_first_row_is_a_few_tabs_on(
    new_page: Callable[..., Page], width: int
) -> None:
    page = new_page(viewport={"width": width, "height": 844})
    open_timeline(page)

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to results")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    first_row = rows(page).first
    presses = 0
    while not page.evaluate(
        "el => el.contains(document.activeElement)", first_row.element_handle()
    ):
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 15, f"{presses} Tabs after the skip link, and no row yet"
    # The skip link, Enter, then the presets, the share box, the export and
    # patterns links and the histogram's one stop: about a dozen, not 64.
    assert presses + 2 <= 16


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (reverse("jobs", args=[DEFAULT_PROJECT_ID]), "#results"),
        (reverse("failures"), "#results"),
        (reverse("events_patterns", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]), "#results"),
        (reverse("task_log", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID, "worker-3"]), "#main"),
    ],
)
def test_every_page_starts_with_a_skip_link_to_its_results(
    page: Page, url: str, target: str
) -> None:
    page.goto(url)

    page.keyboard.press("Tab")

    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", target)
    expect(page.locator(target)).to_have_count(1)
