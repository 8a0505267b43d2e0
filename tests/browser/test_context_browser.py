"""Show in context, Copy link and a shared link in another zone, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, LONG_JOB_ID

pytestmark = pytest.mark.browser

# A long job, so the marked row is far down a page of 100 and must be scrolled to.
FILTERED = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/events/?level=Error"


def _show_in_context(page: Page) -> None:
    page.goto(FILTERED)
    row = page.locator("table.events tbody tr").nth(2)
    message = row.locator("td.message").inner_text()
    row.get_by_role("link", name="Show in context").click()
    marked = page.locator("table.events tr.marked")
    expect(marked).to_have_count(1)
    expect(marked).to_be_in_viewport()
    expect(marked.locator("td.message")).to_have_text(message)


def test_a_filtered_row_s_show_in_context_lands_on_the_marked_row_in_view(page: Page) -> None:
    _show_in_context(page)
    url = urlsplit(page.url)
    assert "level=" not in url.query
    assert url.fragment == page.locator("table.events tr.marked").get_attribute("id")


def test_copy_link_keeps_the_anchor(new_page: Callable[..., Page]) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    _show_in_context(page)
    fragment = urlsplit(page.url).fragment

    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".copy-status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert urlsplit(copied).fragment == fragment
    assert page.locator("input.share-url").input_value() == copied


def test_a_shared_link_opened_in_another_zone_lands_on_the_marked_row_after_the_reload(
    page: Page, new_page: Callable[..., Page]
) -> None:
    _show_in_context(page)
    shared = page.locator("input.share-url").input_value()
    fragment = urlsplit(shared).fragment
    assert fragment

    visitor = new_page(timezone_id="Asia/Shanghai")
    documents: list[str] = []
    visitor.on(
        "request", lambda r: documents.append(r.url) if r.resource_type == "document" else None
    )
    visitor.goto(shared)
    # The first visit reloads once for the zone; the second load prints CST.
    expect(visitor.locator(".viewer-zone .zone-name")).to_have_text("Asia/Shanghai")
    marked = visitor.locator("table.events tr.marked")
    expect(marked).to_have_attribute("id", fragment)
    expect(marked).to_be_in_viewport()
    # Asked for twice: the first visit, then the reload in the browser's zone.
    assert len(documents) == 2
    assert urlsplit(visitor.url).fragment == fragment
