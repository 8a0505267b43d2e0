"""The failures page in a real browser: the cause filter, the pushed URL, history, no JS, axe."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations

pytestmark = pytest.mark.browser

URL = reverse("failures")
ALL_TIME = f"{URL}?within=all"


def rows(page: Page) -> Locator:
    return page.locator("#results table.failures tbody tr")


def causes(page: Page) -> Locator:
    return rows(page).locator("td.cause")


def mark_window(page: Page) -> None:
    page.evaluate("window.__noReload = 'kept'")


def window_kept(page: Page) -> bool:
    return page.evaluate("window.__noReload") == "kept"


def test_a_cause_link_filters_the_table_in_place_and_history_keeps_each_view(page: Page) -> None:
    page.goto(ALL_TIME)
    every = rows(page).count()
    assert every > 1
    mark_window(page)

    page.locator("nav.causes").get_by_role("link", name="Out of memory").click()

    expect(page).to_have_url(re.compile(r"cause=out-of-memory"))
    expect(causes(page).first).to_have_attribute("data-cause", "out-of-memory")
    memory = rows(page).count()
    assert 0 < memory < every
    for cell in causes(page).all():
        expect(cell).to_have_attribute("data-cause", "out-of-memory")
    assert window_kept(page), "the cause link reloaded the whole page"

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(ALL_TIME) + "$"))
    expect(rows(page)).to_have_count(every)

    page.go_forward()
    expect(page).to_have_url(re.compile(r"cause=out-of-memory"))
    expect(rows(page)).to_have_count(memory)

    page.reload()
    expect(rows(page)).to_have_count(memory)


def test_a_failed_job_opens_at_its_failure(page: Page) -> None:
    page.goto(ALL_TIME)

    rows(page).get_by_role("link", name="resnet50-imagenet").click()

    expect(page).to_have_url(
        re.compile(re.escape(reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])))
    )
    expect(page.locator("table.events tr.marked")).to_be_in_viewport()


def test_the_filters_work_without_javascript(new_page: Callable[..., Page]) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(ALL_TIME)
    every = rows(page).count()

    page.locator("nav.causes").get_by_role("link", name="Out of memory").click()

    expect(page).to_have_url(re.compile(r"cause=out-of-memory"))
    assert 0 < rows(page).count() < every
    page.select_option("#id_within", "24h")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"within=24h"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], scheme: str
) -> None:
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto(ALL_TIME)
    expect(rows(page).first).to_be_visible()

    assert_no_serious_violations(page, f"failures ({scheme})")
