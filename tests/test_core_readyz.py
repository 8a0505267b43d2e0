"""Readiness: /readyz answers 200 only when configured and ModelArts answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from django.test import Client

ENDPOINT = "https://modelarts.readyz-test.invalid"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SEARCH_URL = f"{ENDPOINT}/v2/{PROJECT}/training-job-searches"
TOKEN = "MIIT-readyz-test-token-" + "z" * 40
EMPTY_SEARCH = {"total": 0, "count": 0, "limit": 1, "offset": 0, "items": []}


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def configured(settings: Any) -> None:
    settings.MODELARTS_ENDPOINT = ENDPOINT
    settings.MODELARTS_PROJECT_ID = PROJECT
    settings.MODELARTS_AUTH_TOKEN = TOKEN


def test_it_is_ready_on_the_sandbox(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content == b"ready\n"
    assert response["Content-Type"] == "text/plain"
    assert "no-store" in response["Cache-Control"]


def test_it_asks_for_one_job_of_the_default_project(
    client: Client, configured: None, upstream: responses.RequestsMock
) -> None:
    call = upstream.post(SEARCH_URL, json=EMPTY_SEARCH)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert call.call_count == 1
    assert json.loads(upstream.calls[0].request.body)["limit"] == 1


def test_it_asks_the_upstream_every_time_even_with_a_cache(
    client: Client, configured: None, upstream: responses.RequestsMock, settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"readyz-{uuid.uuid4().hex}",
        }
    }
    call = upstream.post(SEARCH_URL, json=EMPTY_SEARCH)

    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert call.call_count == 2


def test_it_is_not_ready_when_the_upstream_fails(
    client: Client, configured: None, upstream: responses.RequestsMock
) -> None:
    upstream.post(
        SEARCH_URL,
        status=500,
        json={"error_code": "ModelArts.0010", "error_msg": "Internal error at 10.0.0.7."},
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain"
    assert response.content == b"not ready: ModelArts failed (ModelArts.0010)\n"


def test_it_is_not_ready_when_the_credentials_are_refused(
    client: Client, configured: None, upstream: responses.RequestsMock
) -> None:
    upstream.post(
        SEARCH_URL, status=401, json={"error_code": "APIGW.0301", "error_msg": "Incorrect IAM"}
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert b"credentials" in response.content
    assert TOKEN.encode() not in response.content
    assert ENDPOINT.encode() not in response.content


def test_it_is_not_ready_without_a_project_and_asks_nothing_upstream(
    client: Client, configured: None, upstream: responses.RequestsMock, settings: Any
) -> None:
    settings.MODELARTS_PROJECT_ID = ""

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content == b"not ready: MODELARTS_PROJECT_ID is not set\n"
    assert len(upstream.calls) == 0


def test_readyz_only_answers_get(client: Client) -> None:
    assert client.post("/readyz").status_code == 405
