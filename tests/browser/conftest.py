"""A real Chromium, driven through Playwright, against pytest-django's live server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

# Playwright's sync API keeps an asyncio loop running in the main thread, which
# makes Django refuse ORM calls there (the live server's set-up makes some).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@dataclass
class Watch:
    """What a page did that a test did not ask for."""

    origin: str
    outside_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow_error(self, pattern: str) -> None:
        """Expect a console error matching pattern (a 400 the test provokes, say)."""
        self.allowed.append(re.compile(pattern))

    def record_error(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.errors.append(text)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def watch(live_server) -> Watch:
    parts = urlsplit(live_server.url)
    return Watch(origin=f"{parts.scheme}://{parts.netloc}")


@pytest.fixture
def new_page(browser: Browser, watch: Watch) -> Iterator[Callable[..., Page]]:
    """Opens pages in fresh contexts that fail the test on outside requests and errors."""
    contexts = []

    def route(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == watch.origin:
            route.continue_()
        else:
            watch.outside_requests.append(url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.record_error(f"console: {message.text} ({message.location.get('url')})")

    def open_page(**context_options: object) -> Page:
        context = browser.new_context(base_url=watch.origin, **context_options)
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        page.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda exc: watch.record_error(f"page error: {exc}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not watch.outside_requests, f"requests outside the live server: {watch.outside_requests}"
    assert not watch.errors, f"errors in the page: {watch.errors}"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def wait_for_htmx_idle(page: Page) -> None:
    """Wait until no htmx request, swap or settle is under way.

    A response arrives before htmx swaps it in: typing into a field right
    after the response can land in the element being replaced. Lazy loads
    (the histogram) count too, as their swaps can land mid-interaction.
    """
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .histogram-loading')"
    )
