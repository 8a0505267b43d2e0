"""The jobs browser in a real browser: filters, the pushed URL, history, the go-to box, no JS."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from eventsui.sandbox import data
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

JOBS_URL = reverse("jobs", args=[DEFAULT_PROJECT_ID])
EVENTS_URL = reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])
# From the data set, which other work grows: never a literal.
ALL_JOBS = len(data.jobs())
FAILED_JOBS = [j.name for j in data.jobs() if j.phase == "Failed"]


def rows(page: Page) -> Locator:
    return page.locator("#results table.jobs tbody tr")


def mark_window(page: Page) -> None:
    page.evaluate("window.__noReload = 'kept'")


def window_kept(page: Page) -> bool:
    return page.evaluate("window.__noReload") == "kept"


def at(path: str, query: str = "") -> re.Pattern[str]:
    return re.compile(re.escape(path + (f"?{query}" if query else "")) + "$")


def expect_only_the_failed_job(page: Page) -> None:
    expect(rows(page)).to_have_count(len(FAILED_JOBS))
    expect(rows(page).locator("span.phase")).to_have_text(["Failed"] * len(FAILED_JOBS))
    expect(rows(page).locator("td:first-child")).to_have_text(FAILED_JOBS)
    expect(page.locator("#results .summary")).to_have_text(
        f"{len(FAILED_JOBS)} Failed jobs, newest first."
    )
    expect(page.locator("#id_phase")).to_have_value("Failed")


def test_filtering_by_failed_then_opening_the_job_shows_its_events_with_the_failure(
    page: Page,
) -> None:
    page.goto("/")
    expect(rows(page)).to_have_count(ALL_JOBS)
    mark_window(page)

    page.select_option("#id_phase", "Failed")

    expect(page).to_have_url(at(JOBS_URL, "phase=Failed"))
    expect_only_the_failed_job(page)
    assert window_kept(page), "the phase change reloaded the whole page"

    rows(page).get_by_role("link", name="resnet50-imagenet").click()

    expect(page).to_have_url(at(EVENTS_URL))
    expect(page.locator("header.job-heading h1")).to_contain_text("resnet50-imagenet")
    banner = page.locator("header.job-heading .job-failed")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("This job failed")
    expect(banner).to_contain_text("worker-3 exited with code 137")
    expect(banner.get_by_role("link", name="Show failure")).to_have_attribute(
        "href", reverse("job_failure", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])
    )

    page.locator("nav.breadcrumbs").get_by_role("link").click()
    expect(page).to_have_url(at(JOBS_URL))
    expect(rows(page)).to_have_count(ALL_JOBS)


def test_back_and_forward_restore_the_filtered_and_unfiltered_lists(page: Page) -> None:
    page.goto(JOBS_URL)
    expect(rows(page)).to_have_count(ALL_JOBS)

    page.select_option("#id_phase", "Failed")
    expect(page).to_have_url(at(JOBS_URL, "phase=Failed"))
    expect_only_the_failed_job(page)

    page.go_back()
    expect(page).to_have_url(at(JOBS_URL))
    expect(rows(page)).to_have_count(ALL_JOBS)
    expect(page.locator("#id_phase")).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(at(JOBS_URL, "phase=Failed"))
    expect_only_the_failed_job(page)

    page.reload()
    expect_only_the_failed_job(page)


def test_typing_a_name_searches_after_a_pause(page: Page) -> None:
    page.goto(JOBS_URL)
    expect(rows(page)).to_have_count(ALL_JOBS)
    mark_window(page)

    page.locator("#id_name").press_sequentially("bert", delay=50)

    expect(page).to_have_url(at(JOBS_URL, "name=bert"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).locator("td").first).to_have_text("bert-base-finetune")
    assert window_kept(page)


def test_slash_focuses_the_name_box_and_brackets_turn_pages(page: Page) -> None:
    page.goto(f"{JOBS_URL}?limit=3")
    expect(rows(page)).to_have_count(3)

    page.keyboard.press("]")
    expect(page).to_have_url(at(JOBS_URL, "limit=3&page=2"))
    page.keyboard.press("/")

    expect(page.locator("#id_name")).to_be_focused()


def test_a_name_that_cannot_be_a_job_name_is_refused_beside_the_field(
    page: Page, watch: Watch
) -> None:
    watch.allow_error(r"status of 400 \(Bad Request\)")
    page.goto(JOBS_URL)
    expect(rows(page)).to_have_count(ALL_JOBS)
    mark_window(page)

    with page.expect_response(lambda r: r.status == 400):
        page.locator("#id_name").press_sequentially("a b", delay=20)

    name_field = page.locator(".field").filter(has=page.locator("#id_name"))
    expect(name_field.locator(".field-error")).to_have_text(
        "A job name is 1-64 letters, digits, '-' or '_'."
    )
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name")).to_have_value("a b")
    expect(page.locator("#results [role=alert]")).to_contain_text("These filters cannot be used")
    expect(page).to_have_url(at(JOBS_URL))
    assert window_kept(page)


def test_next_swaps_the_page_and_pushes_its_url(page: Page) -> None:
    page.goto(f"{JOBS_URL}?limit=3")
    expect(page.locator("#results .position")).to_have_text(f"jobs 1–3 of {ALL_JOBS}")
    mark_window(page)

    page.locator("#results .pagination").get_by_role("link", name="Next").click()

    expect(page).to_have_url(at(JOBS_URL, "limit=3&page=2"))
    expect(page.locator("#results .position")).to_have_text(f"jobs 4–6 of {ALL_JOBS}")
    expect(rows(page)).to_have_count(3)
    assert window_kept(page)


def test_the_filters_work_without_javascript(new_page: Callable[..., Page]) -> None:
    page = new_page(java_script_enabled=False)
    page.goto("/")
    expect(rows(page)).to_have_count(ALL_JOBS)

    page.select_option("#id_phase", "Failed")
    expect(rows(page)).to_have_count(ALL_JOBS)  # nothing happens until Apply
    page.get_by_role("button", name="Apply").click()

    # The plain form sends every field; the view redirects to the short URL.
    page.wait_for_url(at(JOBS_URL, "phase=Failed"))
    expect_only_the_failed_job(page)

    rows(page).get_by_role("link", name="resnet50-imagenet").click()
    page.wait_for_url(at(EVENTS_URL))
    expect(page.locator("header.job-heading .job-failed")).to_contain_text("This job failed")


def test_the_go_to_box_opens_the_job_of_a_pasted_console_link(page: Page) -> None:
    page.goto(JOBS_URL)

    page.fill(
        "#id_job",
        "https://console.huaweicloud.com/modelarts/?region=cn-north-4"
        f"#/trainingJobs/trainingJobDetail?jobId={FAILED_JOB_ID}",
    )
    page.locator("#id_job").press("Enter")

    page.wait_for_url(at(EVENTS_URL))
    expect(page.locator("header.job-heading .job-failed")).to_be_visible()


def test_the_go_to_box_refuses_what_names_no_job(page: Page, watch: Watch) -> None:
    watch.allow_error(r"status of 400 \(Bad Request\)")
    page.goto(JOBS_URL)

    page.fill("#id_job", "not a job")
    page.get_by_role("button", name="Go").click()

    page.wait_for_url(re.compile(r"/goto/\?job=not\+a\+job$"))
    expect(page.locator("#error_job")).to_contain_text("That is not a job id")
    expect(page.locator("#id_job")).to_have_value("not a job")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{JOBS_URL}?phase=Failed&limit=10", 200),
        (f"{JOBS_URL}?name=a%20b", 400),
        (f"{JOBS_URL}?page=9", 200),
        (reverse("job_goto", args=[DEFAULT_PROJECT_ID]) + "?job=not+a+job", 400),
    ],
    ids=["filtered", "bad-name", "beyond-the-end", "goto-refused"],
)
def test_the_jobs_pages_have_no_serious_accessibility_violations(
    new_page: Callable[..., Page], watch: Watch, url: str, status: int, scheme: str
) -> None:
    if status >= 400:
        watch.allow_error(rf"status of {status} ")
    # axe goes in as an inline script, which the CSP would block (tests/browser/axe.py).
    page = new_page(color_scheme=scheme, bypass_csp=True)
    response = page.goto(url)
    assert response is not None and response.status == status
    assert_no_serious_violations(page, f"{page.url} in {scheme} mode")
