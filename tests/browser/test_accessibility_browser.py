"""axe-core's accessibility rules, run in a real Chromium on the main pages, light and dark."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})

# (id, URL, the status the page answers with)
PAGES = [
    ("jobs", "/", 200),
    ("timeline", EVENTS_URL, 200),
    ("timeline-errors", f"{EVENTS_URL}?level=Error", 200),
    ("timeline-bad-filters", f"{EVENTS_URL}?start_time=2026-11-20T02:00:00Z", 400),
    ("not-found", "/no/such/page/", 404),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("url", "status"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_accessibility_violations(
    new_page: Callable[..., Page], watch: Watch, url: str, status: int, scheme: str
) -> None:
    if status >= 400:
        # Chromium logs the page's own 4xx answer as a console error.
        watch.allow_error(rf"status of {status} ")
    # add_script_tag(path=...) inserts the file as an inline <script>, which the
    # page's CSP (script-src 'self') blocks; axe is not part of the app, so these
    # tests alone turn the CSP off. The other browser tests keep it on.
    page = new_page(color_scheme=scheme, bypass_csp=True)
    response = page.goto(url)
    assert response is not None and response.status == status
    # The timeline's histogram arrives by a second request; check the page it makes.
    page.wait_for_load_state("networkidle")
    assert_no_serious_violations(page, f"{url} in {scheme} mode")
