"""Live tail in a real browser: the sandbox's live job writes an event every two seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, LIVE_JOB_ID
from tests.browser.axe import assert_no_serious_violations

pytestmark = pytest.mark.browser

EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": LIVE_JOB_ID})
LIVE_URL = f"{EVENTS_URL}?live=1"
ON = "Live: on. New events are added as they arrive."
# A poll every 3 s, an event every 2 s: new rows within about 3 s.
ARRIVAL = 8_000


def rows(page: Page) -> Locator:
    return page.locator("#results table.events > tbody > tr")


def status(page: Page) -> Locator:
    return page.locator("#live-tail-status")


def mark_window(page: Page) -> None:
    page.evaluate("window.__noReload = 'kept'")


def window_kept(page: Page) -> bool:
    return page.evaluate("window.__noReload") == "kept"


def set_visibility(page: Page, state: str) -> None:
    """What the browser does when the tab goes to the background or comes back."""
    page.evaluate(
        """state => {
            const visibility = {configurable: true, get: () => state};
            Object.defineProperty(document, "visibilityState", visibility);
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


@pytest.fixture
def polls(page: Page) -> Iterator[list[str]]:
    """The URLs of the live polls the page sends."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/events/live/" in r.url else None)
    yield sent


def test_new_events_arrive_at_the_top_highlighted_without_a_reload(page: Page) -> None:
    page.goto(LIVE_URL)
    expect(status(page)).to_have_text(ON)
    expect(rows(page)).to_have_count(50)
    newest_at_load = rows(page).first.get_attribute("id")
    mark_window(page)

    arrived = page.locator("#results table.events > tbody > tr.live-tail-arrived")
    expect(arrived.first).to_be_attached(timeout=ARRIVAL)

    assert window_kept(page), "the page was reloaded"
    assert rows(page).first.get_attribute("id") != newest_at_load
    expect(rows(page).first).to_have_class(re.compile(r"\blive-tail-arrived\b"))
    assert rows(page).count() > 50
    # Newest first still: the new top row is later than the row that was on top.
    times = (
        rows(page)
        .locator("td.time time")
        .evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    )
    assert times == sorted(times, reverse=True)
    # The highlight is a class its animation removes.
    first_id = rows(page).first.get_attribute("id")
    expect(page.locator(f"[id='{first_id}']")).not_to_have_class(
        re.compile(r"\blive-tail-arrived\b"), timeout=5_000
    )
    expect(status(page)).to_have_text(ON)


def test_while_the_reader_is_away_new_events_wait_behind_a_button(page: Page) -> None:
    page.goto(LIVE_URL)
    expect(status(page)).to_have_text(ON)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(status(page)).to_contain_text("Live: paused while you read older events")
    newest_at_load = rows(page).first.get_attribute("id")
    scrolled = page.evaluate("window.scrollY")

    button = page.locator("#live-tail-new")
    expect(button).to_be_visible(timeout=ARRIVAL)
    expect(button).to_have_text(re.compile(r"^Show \d+ new events?$"))
    assert rows(page).first.get_attribute("id") == newest_at_load
    assert page.evaluate("window.scrollY") == scrolled, "the page moved under the reader"
    expect(button).to_be_in_viewport()

    button.click()

    expect(button).to_be_hidden()
    expect(rows(page).first).not_to_have_id(newest_at_load or "")
    expect(rows(page).first).to_have_class(re.compile(r"\blive-tail-arrived\b"))
    expect(rows(page).first).to_be_in_viewport()
    expect(status(page)).to_have_text(ON)


def test_oldest_first_follows_the_bottom(page: Page) -> None:
    page.goto(f"{EVENTS_URL}?order=asc&live=1")
    newest = page.locator("#live-tail-status a")
    newest.click()  # the first page is not the last: go there
    expect(page).to_have_url(re.compile(r"order=asc&offset=\d+&live=1$"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last_at_load = rows(page).last.get_attribute("id")

    expect(page.locator("tr.live-tail-arrived").first).to_be_attached(timeout=ARRIVAL)

    assert rows(page).last.get_attribute("id") != last_at_load
    expect(rows(page).last).to_be_in_viewport()


def test_a_page_with_no_match_yet_gets_its_table_when_one_arrives(page: Page) -> None:
    job = data.find_job(LIVE_JOB_ID)
    assert job is not None
    newest = re.search(r"step (\d+)", job.events()[-1].message)
    assert newest is not None
    # A step two or three on, written within about six seconds; every 97th is a warning.
    step = int(newest[1]) + 2
    step += step % 97 == 0
    page.goto(f"{EVENTS_URL}?pattern=step+{step}%3A&live=1")
    expect(page.locator("#results p.empty")).to_be_visible()

    expect(rows(page)).to_have_count(1, timeout=ARRIVAL)
    expect(page.locator("#results p.empty")).to_have_count(0)
    expect(rows(page).first.locator("td.message")).to_contain_text(f"step {step}:")
    expect(rows(page).first).to_have_class(re.compile(r"\blive-tail-arrived\b"))


def test_the_status_says_paused_while_the_tab_is_hidden_and_no_poll_is_sent(
    page: Page, polls: list[str]
) -> None:
    page.goto(LIVE_URL)
    expect(status(page)).to_have_text(ON)

    set_visibility(page, "hidden")

    expect(status(page)).to_have_text(
        "Live: paused while this tab is hidden. It catches up when you come back."
    )
    sent = len(polls)
    page.wait_for_timeout(3_500)
    assert len(polls) == sent

    with page.expect_request(re.compile(r"/events/live/")):
        set_visibility(page, "visible")
    expect(status(page)).to_have_text(ON)
    expect(page.locator("tr.live-tail-arrived").first).to_be_attached(timeout=ARRIVAL)


def test_the_toggle_turns_live_on_without_a_reload(page: Page) -> None:
    page.goto(EVENTS_URL)
    expect(page.locator("#live-tail")).to_have_count(0)
    mark_window(page)

    page.get_by_label("Live").check()

    expect(page).to_have_url(re.compile(r"\?live=1$"))
    expect(status(page)).to_have_text(ON)
    expect(page.locator("tr.live-tail-arrived").first).to_be_attached(timeout=ARRIVAL)
    assert window_kept(page)

    page.get_by_label("Live").uncheck()
    expect(page).to_have_url(re.compile(re.escape(EVENTS_URL) + "$"))
    expect(page.locator("#live-tail")).to_have_count(0)


def test_live_stops_by_itself_when_the_job_finishes(
    page: Page, polls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page.goto(LIVE_URL)
    expect(status(page)).to_have_text(ON)
    job = data.find_job(LIVE_JOB_ID)
    assert job is not None

    monkeypatch.setattr(job, "phase", "Completed")
    monkeypatch.setattr(job, "ended", int(time.time()) - 600)

    expect(status(page)).to_have_text(
        "Live: stopped. The job has finished (Completed).", timeout=ARRIVAL
    )
    sent = len(polls)
    page.wait_for_timeout(3_500)
    assert len(polls) == sent


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_live_mode_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], scheme: str
) -> None:
    # axe goes in as an inline script: only this test turns the CSP off
    # (tests/browser/axe.py).
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto(LIVE_URL)
    expect(page.locator("tr.live-tail-arrived").first).to_be_attached(timeout=ARRIVAL)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#live-tail-new")).to_be_visible(timeout=ARRIVAL)
    expect(status(page)).to_contain_text("paused")
    assert_no_serious_violations(page, f"{page.url} in {scheme} mode")
