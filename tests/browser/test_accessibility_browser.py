"""axe-core's accessibility rules, run in a real Chromium on the main pages, light and dark."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})
BLOCKING = {"serious", "critical"}

# (id, URL, the status the page answers with)
PAGES = [
    ("jobs", "/", 200),
    ("timeline", EVENTS_URL, 200),
    ("timeline-errors", f"{EVENTS_URL}?level=Error", 200),
    ("timeline-bad-filters", f"{EVENTS_URL}?start_time=2026-11-20T02:00:00Z", 400),
    ("not-found", "/no/such/page/", 404),
]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(node['target'])}")
            lines.append(f"      {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


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
    page.add_script_tag(path=AXE)

    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")

    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe found, in {scheme} mode:\n{describe(blocking)}"
