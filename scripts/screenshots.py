"""Screenshots of the main pages, light and dark, for the README: `make screenshots`.

Serves the app in-process with the test settings (the embedded sandbox, whatever
.env says) and photographs it with the browser tests' Chromium set-up. Fails if
a page asks for anything outside the server or logs an error.

    .venv/bin/python -m scripts.screenshots   # from the repository root
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

os.environ["DJANGO_SETTINGS_MODULE"] = "eventsui.settings_test"

import django

django.setup()
# One log line per upstream call and WhiteNoise's note about STATIC_ROOT: not news here.
logging.getLogger("eventsui").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", "No directory at")

from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from django.urls import reverse  # noqa: E402
from playwright.sync_api import Page, Route, sync_playwright  # noqa: E402

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
EVENTS_URL = reverse("events", kwargs={"project_id": DEFAULT_PROJECT_ID, "job_id": FAILED_JOB_ID})
# (file name, URL); each is taken as <name>-light.png and <name>-dark.png.
SHOTS = [
    ("jobs", "/"),
    ("timeline", EVENTS_URL),
    ("timeline-errors", f"{EVENTS_URL}?level=Error"),
    ("patterns", reverse("events_patterns", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])),
]
# In Chinese (a zh-CN browser), light only: <name>.png.
ZH_SHOTS = [
    ("jobs-zh", "/"),
    ("timeline-zh", EVENTS_URL),
    ("failures-zh", reverse("failures")),
]
PHONE = {"width": 390, "height": 844}
# Taken on a 390 px phone, scrolled to the results (the failed job's event cards).
PHONE_SHOTS = [("phone-timeline", EVENTS_URL)]


def settle(page: Page) -> None:
    """Wait for the htmx requests a page makes on load (the histogram) to land."""
    page.wait_for_load_state("networkidle")
    if page.locator("#results").count():
        page.locator(".histogram-loading").wait_for(state="detached")


def take(origin: str) -> list[str]:
    problems: list[str] = []

    def route(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            route.continue_()
        else:
            problems.append(f"outside request: {route.request.url}")
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        for scheme in ("light", "dark"):
            context = browser.new_context(base_url=origin, viewport=VIEWPORT, color_scheme=scheme)
            page = context.new_page()
            page.route("**/*", route)
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            for name, url in SHOTS:
                response = page.goto(url)
                if response is None or not response.ok:
                    problems.append(f"{url} answered {response and response.status}")
                settle(page)
                path = OUT / f"{name}-{scheme}.png"
                page.screenshot(path=path, animations="disabled", caret="hide")
                print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
            context.close()
            phone = browser.new_context(
                base_url=origin, viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True
            )
            page = phone.new_page()
            page.route("**/*", route)
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            for name, url in PHONE_SHOTS:
                response = page.goto(url)
                if response is None or not response.ok:
                    problems.append(f"{url} answered {response and response.status}")
                settle(page)
                page.locator("#results table.events").scroll_into_view_if_needed()
                page.evaluate("document.querySelector('#results table.events').scrollIntoView()")
                path = OUT / f"{name}-{scheme}.png"
                page.screenshot(path=path, animations="disabled", caret="hide")
                print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
            phone.close()
        # Accept-Language: zh-CN, as a Chinese reader's browser sends it.
        context = browser.new_context(
            base_url=origin, viewport=VIEWPORT, color_scheme="light", locale="zh-CN"
        )
        page = context.new_page()
        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        for name, url in ZH_SHOTS:
            response = page.goto(url)
            if response is None or not response.ok:
                problems.append(f"{url} answered {response and response.status}")
            settle(page)
            path = OUT / f"{name}.png"
            page.screenshot(path=path, animations="disabled", caret="hide")
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
        context.close()
        browser.close()
    return problems


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        problems = take(f"http://127.0.0.1:{server.port}")
    finally:
        server.terminate()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
