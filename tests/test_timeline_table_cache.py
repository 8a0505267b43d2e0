"""The rendered events table is cached, and never shown for a view it does not belong to."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.core.cache import cache
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.html_tree import event_rows, html

ENDPOINT = "https://modelarts.table-cache.invalid"
PAGE = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
EVENTS_URL = f"{ENDPOINT}/v2/{DEFAULT_PROJECT_ID}/training-jobs/{FAILED_JOB_ID}/events"


@pytest.fixture
def memory_cache(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "table-cache-tests",
        }
    }
    cache.clear()


def _messages(response: Any) -> list[str]:
    return [row.find("td", class_="message").text for row in event_rows(response)]


def _event(message: str) -> dict[str, str]:
    return {
        "time": "2026-11-20T10:21:54+08:00",
        "level": "Info",
        "source": "Task",
        "message": message,
    }


@pytest.mark.django_db
def test_a_second_view_of_the_same_page_shows_the_same_table(memory_cache: None) -> None:
    first = Client().get(PAGE)
    keys_after_first = set(cache._cache.keys())  # type: ignore[attr-defined]
    second = Client().get(PAGE)

    assert any("template.cache.events_table" in key for key in keys_after_first)
    assert _messages(second) == _messages(first)
    assert len(_messages(first)) == 50


@pytest.mark.django_db
def test_a_marked_row_is_not_served_from_the_unmarked_table(memory_cache: None) -> None:
    anchor = event_rows(Client().get(PAGE))[3].attrs["id"]
    assert anchor is not None

    marked = html(Client().get(f"{PAGE}?mark={anchor}")).find("tr", id=anchor)

    assert "marked" in marked.classes
    assert marked.attrs["aria-current"] == "true"


@pytest.mark.django_db
def test_another_zone_gets_its_own_table(memory_cache: None) -> None:
    utc = Client().get(PAGE)
    viewer = Client()
    viewer.cookies["tz"] = "Asia/Shanghai"
    viewer.cookies["tzmode"] = "local"
    shanghai = viewer.get(PAGE)

    def first_time(response: Any) -> str:
        return event_rows(response)[0].find("time").text

    assert first_time(utc) == "2026-11-20 02:22:31 UTC"
    assert first_time(shanghai) == "2026-11-20 10:22:31 CST (UTC+08:00)"


@pytest.mark.django_db
@responses.activate
def test_new_events_for_the_same_url_are_shown_not_the_cached_table(
    memory_cache: None, settings: Any
) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT
    settings.MODELARTS_PROJECT_ID = DEFAULT_PROJECT_ID
    # No upstream caching: each view asks ModelArts, which answers differently.
    settings.MODELARTS_CACHE_TTL_ACTIVE = 0
    settings.MODELARTS_CACHE_TTL_FINISHED = 0
    job_url = f"{ENDPOINT}/v2/{DEFAULT_PROJECT_ID}/training-jobs/{FAILED_JOB_ID}"
    responses.add(responses.GET, job_url, status=500)
    responses.add(responses.GET, EVENTS_URL, json={"total": 1, "events": [_event("first answer")]})
    responses.add(responses.GET, EVENTS_URL, json={"total": 1, "events": [_event("second answer")]})

    assert _messages(Client().get(PAGE)) == ["first answer"]
    assert _messages(Client().get(PAGE)) == ["second answer"]
