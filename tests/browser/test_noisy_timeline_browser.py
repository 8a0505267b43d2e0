"""Reading a noisy timeline in a real browser: Warnings and errors, and Fold repeats."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations

pytestmark = pytest.mark.browser

EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})
# The failed sandbox job: 181 events, 2 Warning and 9 Error; its last three
# Error lines are "[worker-N] Training finished. Exit code 1." from workers 0-2,
# after worker-3's exit code 137.
TOTAL, WARNINGS, ERRORS = 181, 2, 9
EXIT = "Training finished. Exit code"


def rows(page: Page) -> Locator:
    """The rows of the events table itself, not those inside a fold."""
    return page.locator("#results table.events > tbody > tr")


def folds(page: Page) -> Locator:
    return page.locator("#results table.events > tbody > tr.folded")


def mark_window(page: Page) -> None:
    page.evaluate("window.__noReload = 'kept'")


def window_kept(page: Page) -> bool:
    return page.evaluate("window.__noReload") == "kept"


def expect_warnings_and_errors(page: Page) -> None:
    count = WARNINGS + ERRORS
    expect(page.locator("#results .summary")).to_contain_text(
        f"{count} Warning and Error events, newest first."
    )
    expect(rows(page)).to_have_count(count)
    expect(rows(page).locator("span.level")).to_have_text(
        ["Error"] * ERRORS + ["Warning"] * WARNINGS
    )
    expect(page.locator("#id_level")).to_have_value("Warning,Error")


def test_choosing_warnings_and_errors_shows_only_those_rows_and_pushes_the_url(
    page: Page,
) -> None:
    page.goto(EVENTS_URL)
    expect(rows(page)).to_have_count(50)
    mark_window(page)

    page.select_option("#id_level", label="Warnings and errors")

    expect(page).to_have_url(re.compile(r"\?level=Warning,Error$"))
    expect_warnings_and_errors(page)
    assert window_kept(page), "the level change reloaded the whole page"

    page.reload()
    expect_warnings_and_errors(page)

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(EVENTS_URL) + "$"))
    expect(page.locator("#results .summary")).to_contain_text(f"{TOTAL} events")


def test_warnings_and_errors_page_by_page_in_either_order(page: Page) -> None:
    page.goto(f"{EVENTS_URL}?level=Warning,Error&order=asc&limit=20")
    expect(rows(page).locator("span.level")).to_have_text(
        ["Warning"] * WARNINGS + ["Error"] * ERRORS
    )

    page.goto(f"{EVENTS_URL}?level=Warning,Error&limit=20")
    expect(rows(page)).to_have_count(WARNINGS + ERRORS)
    expect(page.locator("#results .pagination .position")).to_have_text(
        f"events 1–{WARNINGS + ERRORS} of {WARNINGS + ERRORS}"
    )


def test_fold_repeats_folds_the_exit_code_line_of_three_workers_and_expands_it(
    page: Page,
) -> None:
    page.goto(EVENTS_URL)
    expect(rows(page)).to_have_count(50)
    expect(folds(page)).to_have_count(0)
    mark_window(page)

    page.get_by_label("Fold repeats").check()

    expect(page).to_have_url(re.compile(r"\?fold=1$"))
    # Messages that differ only in a number fold too (folding.py): the pod
    # deletions, the exit codes, the NCCL aborts of each rank, the steps.
    expect(folds(page)).to_have_count(4)
    expect(rows(page)).to_have_count(9)
    fold = folds(page).filter(has_text=EXIT)
    summary = fold.locator("details.fold > summary")
    expect(summary.locator(".fold-count")).to_have_text("4×")
    expect(summary).to_contain_text(EXIT)
    expect(summary.locator(".fold-who")).to_have_text("from worker-0, worker-1, worker-2, worker-3")
    expect(summary.locator(".fold-varied")).to_have_text("code 1, 137")
    expect(fold.locator("> td.time")).to_have_text(
        "2026-11-20 02:21:54 UTC – 2026-11-20 02:22:25 UTC"
    )
    expect(page.locator("#results .summary")).to_contain_text("Showing events 1–50 of 181.")
    expect(page.locator("#results .fold-note")).to_have_text(
        "Repeated messages are folded within this page: 50 rows shown as 9."
    )
    inner = fold.locator("table.fold-rows > tbody > tr")
    expect(inner.first).to_be_hidden()
    assert window_kept(page)

    summary.click()

    expect(inner).to_have_count(4)
    for row in inner.all():
        expect(row).to_be_visible()
    expect(inner.locator("td.message")).to_have_text(
        [f"[worker-{w}] {EXIT} {code}." for w, code in ((2, 1), (1, 1), (0, 1), (3, 137))]
    )
    for row in inner.all():
        anchor = row.get_attribute("id") or ""
        assert re.fullmatch(r"ev-[0-9a-f]{12}(-\d+)?", anchor)
        href = row.locator("a.permalink").get_attribute("href") or ""
        assert href.endswith(f"?fold=1&mark={anchor}#{anchor}")

    summary.click()
    expect(inner.first).to_be_hidden()


def test_fold_is_kept_when_paging(page: Page) -> None:
    page.goto(f"{EVENTS_URL}?fold=1")
    expect(folds(page)).to_have_count(4)
    mark_window(page)

    page.locator("#results .pagination").get_by_role("link", name="Next").click()

    expect(page).to_have_url(re.compile(r"\?offset=50&fold=1$"))
    expect(page.locator("#results .summary")).to_contain_text("Showing events 51–100 of 181")
    expect(page.get_by_label("Fold repeats")).to_be_checked()
    assert window_kept(page)


def test_a_link_to_a_row_inside_a_fold_opens_the_fold(page: Page) -> None:
    page.goto(f"{EVENTS_URL}?fold=1")
    anchor = folds(page).first.locator("table.fold-rows > tbody > tr").nth(1).get_attribute("id")

    page.goto(f"{EVENTS_URL}?fold=1&mark={anchor}#{anchor}")

    marked = page.locator(f"tr#{anchor}")
    expect(marked).to_be_visible()
    expect(marked).to_have_class(re.compile(r"\bmarked\b"))


def test_keys_move_between_the_tables_own_rows_only(page: Page) -> None:
    page.goto(f"{EVENTS_URL}?fold=1&level=Error")
    expect(folds(page)).to_have_count(2)

    for _ in range(3):
        page.keyboard.press("j")

    # Row 1 is "Training job failed.", row 2 the exit codes' fold, row 3 the
    # NCCL aborts' fold: never a row inside a fold.
    focused = page.locator("#results table.events > tbody > tr:focus")
    expect(focused).to_have_count(1)
    expect(focused).to_have_class(re.compile(r"\bfolded\b"))
    expect(focused).to_contain_text("NCCL communicator was aborted on rank")


def test_warnings_and_errors_and_fold_work_without_javascript(
    new_page: Callable[..., Page], live_server
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(EVENTS_URL)

    page.select_option("#id_level", label="Warnings and errors")
    page.get_by_label("Fold repeats").check()
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r"\?level=Warning,Error&fold=1$"))
    assert page.url == f"{live_server.url}{EVENTS_URL}?level=Warning,Error&fold=1"
    expect(folds(page)).to_have_count(2)
    inner = folds(page).first.locator("table.fold-rows > tbody > tr")
    expect(inner.first).to_be_hidden()
    folds(page).first.locator("summary").click()
    expect(inner).to_have_count(4)
    expect(inner.first).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_open_fold_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], scheme: str
) -> None:
    # axe goes in as an inline script (tests/browser/axe.py).
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto(f"{EVENTS_URL}?level=Warning,Error&fold=1")
    page.wait_for_load_state("networkidle")
    folds(page).first.locator("summary").click()
    assert_no_serious_violations(page, f"{page.url} in {scheme} mode")
