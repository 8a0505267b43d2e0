"""X-Language: the viewer's language goes upstream with every call, and into the cache key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.test import Client, RequestFactory

from eventsui.core.middleware import language_for, modelarts_language
from eventsui.modelarts.cache import CachedModelArtsClient
from eventsui.modelarts.client import ClientConfig, ModelArtsClient
from eventsui.modelarts.language import current_language, iterate_in_language, use_language
from eventsui.modelarts.projects import Credentials, Project

ENDPOINT = "https://modelarts.cn-north-4.example.test"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
JOB_URL = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{JOB}"
EVENTS_URL = f"{JOB_URL}/events"
PAGE = f"/projects/{PROJECT}/jobs/{JOB}/events/"
JOB_BODY = {"metadata": {"id": JOB, "name": "train-resnet"}, "status": {"phase": "Running"}}


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-cn"),
        ("zh", "zh-cn"),
        ("zh-Hant-TW", "zh-cn"),
        ("en-US,en;q=0.9", "en-us"),
        ("en-GB", "en-us"),
        ("", "en-us"),
        ("*", "en-us"),
        ("fr-FR", "en-us"),
        # Languages ModelArts does not offer are skipped.
        ("fr, zh;q=0.8", "zh-cn"),
        ("de, en;q=0.5, zh;q=0.4", "en-us"),
        # Django's LocaleMiddleware reads q=0 as a low preference, not a refusal:
        # the page is in Chinese, and X-Language agrees with it.
        ("zh;q=0, fr", "zh-cn"),
        ("zhx", "en-us"),
        ("garbage;;;q=x", "en-us"),
    ],
)
def test_the_accept_language_header_picks_the_x_language(
    accept_language: str, language: str
) -> None:
    request = RequestFactory().get("/", headers={"Accept-Language": accept_language})
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_language())
        return HttpResponse()

    LocaleMiddleware(modelarts_language(view))(request)

    assert seen == [language]


@pytest.mark.parametrize(
    ("cookie", "accept_language", "language"),
    [
        ("zh-hans", "en-US", "zh-cn"),
        ("en", "zh-CN", "en-us"),
        # A cookie naming no language of eventsui's is ignored.
        ("fr", "zh-CN", "zh-cn"),
    ],
)
def test_the_language_switchs_cookie_wins_over_the_header(
    client: Client, upstream, configured, cookie: str, accept_language: str, language: str
) -> None:
    upstream.add_callback(responses.GET, EVENTS_URL, callback=_events(3))
    upstream.get(JOB_URL, json=JOB_BODY)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.get(PAGE, headers={"Accept-Language": accept_language})

    assert response.status_code == 200
    assert set(_languages(upstream, EVENTS_URL)) == {language}
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_language_for_maps_the_page_language_to_x_language() -> None:
    assert language_for("zh-hans") == "zh-cn"
    assert language_for("en") == "en-us"
    assert language_for(None) == "en-us"


def test_outside_a_request_calls_ask_for_english(upstream) -> None:
    upstream.get(JOB_URL, json=JOB_BODY)

    ModelArtsClient(ClientConfig(endpoint=ENDPOINT)).get_job(PROJECT, JOB)

    assert upstream.calls[0].request.headers["X-Language"] == "en-us"


def test_the_client_sends_the_language_set_for_the_call(upstream) -> None:
    upstream.get(JOB_URL, json=JOB_BODY)
    client = ModelArtsClient(ClientConfig(endpoint=ENDPOINT))

    with use_language("zh-cn"):
        client.get_job(PROJECT, JOB)
    client.get_job(PROJECT, JOB)

    sent = [call.request.headers["X-Language"] for call in upstream.calls]
    assert sent == ["zh-cn", "en-us"]


def test_use_language_refuses_a_language_modelarts_does_not_offer() -> None:
    with pytest.raises(ValueError), use_language("fr-fr"):  # type: ignore[arg-type]
        pass


def test_the_language_is_part_of_the_cache_key(settings, upstream) -> None:
    settings.MODELARTS_CACHE_TTL_ACTIVE = 60
    upstream.get(JOB_URL, json=JOB_BODY)
    client = CachedModelArtsClient(
        ClientConfig(endpoint=ENDPOINT),
        identity="anonymous",
        cache=LocMemCache("language-test", {}),
    )

    with use_language("zh-cn"):
        zh_key = client._key("job", project=PROJECT, job=JOB)
        client.get_job(PROJECT, JOB)
        client.get_job(PROJECT, JOB)
    with use_language("en-us"):
        en_key = client._key("job", project=PROJECT, job=JOB)
        client.get_job(PROJECT, JOB)
        client.get_job(PROJECT, JOB)

    assert zh_key != en_key
    # One upstream call per language; the repeat of each came from the cache.
    assert [call.request.headers["X-Language"] for call in upstream.calls] == ["zh-cn", "en-us"]


def test_streamed_content_reads_on_in_the_language_after_the_block_ended() -> None:
    def languages() -> Iterator[str]:
        for _ in range(3):
            yield current_language()

    with use_language("zh-cn"):
        stream = iterate_in_language(languages(), "zh-cn")

    assert list(stream) == ["zh-cn", "zh-cn", "zh-cn"]
    assert current_language() == "en-us"  # nothing left set in this thread


# -- through the pages ----------------------------------------------------------------------


@pytest.fixture
def configured(settings) -> None:
    settings.EVENTSUI_PROJECTS = (
        Project(
            project_id=PROJECT,
            name="production",
            endpoint=ENDPOINT,
            credentials=Credentials(kind="token", token="MIIT-language-test"),
        ),
    )


def _events(total: int) -> Any:
    base = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
        offset, limit = int(query["offset"]), int(query["limit"])
        events = [
            {
                "time": (base - timedelta(seconds=i)).isoformat(),
                "level": "Info",
                "source": "Job",
                "message": f"event {i}",
            }
            for i in range(offset, min(offset + limit, total))
        ]
        body = {"total": total, "limit": limit, "offset": offset, "order": "desc", "events": events}
        return 200, {}, json.dumps(body)

    return answer


def _languages(mock: responses.RequestsMock, url: str) -> list[str]:
    return [c.request.headers["X-Language"] for c in mock.calls if c.request.url.startswith(url)]


def test_the_timeline_asks_modelarts_in_the_viewers_language(
    configured, upstream, client: Client
) -> None:
    upstream.add_callback(responses.GET, EVENTS_URL, callback=_events(3))
    upstream.get(JOB_URL, json=JOB_BODY)

    response = client.get(PAGE, headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert response.status_code == 200
    assert _languages(upstream, EVENTS_URL) == ["zh-cn"]
    # The job heading is fetched in a pool thread, and carries it too.
    heading = [c.request.headers["X-Language"] for c in upstream.calls if c.request.url == JOB_URL]
    assert heading == ["zh-cn"]
    assert "Accept-Language" in response["Vary"]


def test_every_page_of_an_export_asks_in_the_viewers_language(
    configured, upstream, client: Client
) -> None:
    upstream.add_callback(responses.GET, EVENTS_URL, callback=_events(250))
    upstream.get(JOB_URL, json=JOB_BODY)

    response = client.get(
        PAGE + "export/",
        {"start_time": "2026-11-19T00:00:00Z", "end_time": "2026-11-20T03:00:00Z"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)

    languages = _languages(upstream, EVENTS_URL)
    assert len(languages) == 3  # 100 + 100 + 50, the later ones read while streaming
    assert set(languages) == {"zh-cn"}
