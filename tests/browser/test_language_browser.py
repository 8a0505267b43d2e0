"""The pages in Chinese and English in a real browser: the header's switch, a shared link, axe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations

pytestmark = pytest.mark.browser

JOBS_URL = f"/projects/{DEFAULT_PROJECT_ID}/jobs/"
EVENTS_URL = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/?level=Error"


def test_the_header_switch_turns_the_page_chinese_and_back_keeping_the_url(page: Page) -> None:
    page.goto(JOBS_URL + "?phase=Failed")
    expect(page.locator("h1")).to_contain_text("Training jobs")

    page.get_by_role("link", name="简体中文").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(JOBS_URL + "?phase=Failed")
    expect(page.locator("h1")).to_contain_text("训练作业")
    expect(page.locator("label[for=id_phase]")).to_have_text("状态")
    expect(page.locator(".site-nav")).to_contain_text("失败作业")

    page.get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(JOBS_URL + "?phase=Failed")
    expect(page.locator("h1")).to_contain_text("Training jobs")


def test_a_shared_link_shows_a_chinese_reader_the_same_events(
    new_page: Callable[..., Page],
) -> None:
    english = new_page(locale="en-US")
    chinese = new_page(locale="zh-CN")

    english.goto(EVENTS_URL)
    chinese.goto(EVENTS_URL)

    expect(chinese.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(chinese.locator("label[for=id_level]")).to_have_text("级别")
    english_rows = english.locator("table.events > tbody > tr")
    chinese_rows = chinese.locator("table.events > tbody > tr")
    expect(chinese_rows).to_have_count(english_rows.count())
    assert english_rows.count() > 0

    # The same rows: the same times, levels and sources, in the same order. (Not the
    # row anchors: they hash the message, which ModelArts translates.)
    def cells(rows) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            " ".join(
                [
                    rows.nth(i).locator("time").first.get_attribute("datetime") or "",
                    rows.nth(i).locator("td").nth(1).inner_text(),
                    rows.nth(i).locator("td").nth(2).inner_text(),
                ]
            )
            for i in range(rows.count())
        ]

    assert cells(chinese_rows) == cells(english_rows)
    assert (
        english.locator("#summary-total").inner_text()
        == chinese.locator("#summary-total").inner_text()
    )
    # ModelArts (here the sandbox) answered each in its language.
    expect(chinese.locator("table.events")).to_contain_text("训练作业失败。")
    expect(english.locator("table.events")).to_contain_text("Training job failed.")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_main_pages_are_axe_clean_in_both_languages(
    new_page: Callable[..., Page], locale: str
) -> None:
    page = new_page(locale=locale, bypass_csp=True)
    for url in (JOBS_URL, EVENTS_URL, "/failures/"):
        page.goto(url)
        assert_no_serious_violations(page, f"{url} in {locale}")
