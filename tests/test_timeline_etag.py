"""The timeline answers If-None-Match with 304, for the page and its htmx fragment apart."""

from __future__ import annotations

import pytest
from django.test import Client

from eventsui.sandbox.data import COMPLETED_JOB_ID, DEFAULT_PROJECT_ID

PAGE = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{COMPLETED_JOB_ID}/events/"
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


def _vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_it_sends_an_etag_with_the_page() -> None:
    response = Client().get(PAGE)
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert "hx-request" in _vary(response)


def test_it_answers_a_matching_if_none_match_with_304() -> None:
    etag = Client().get(PAGE)["ETag"]
    response = Client().get(PAGE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "hx-request" in _vary(response)


def test_it_answers_a_stale_if_none_match_with_the_page() -> None:
    response = Client().get(PAGE, HTTP_IF_NONE_MATCH='"not-this-one"')
    assert response.status_code == 200
    assert b"<html" in response.content


def test_the_fragment_has_its_own_etag_and_304() -> None:
    page_etag = Client().get(PAGE)["ETag"]
    fragment = Client().get(PAGE, **HTMX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert fragment["ETag"] != page_etag
    assert "hx-request" in _vary(fragment)

    again = Client().get(PAGE, HTTP_IF_NONE_MATCH=fragment["ETag"], **HTMX)
    assert again.status_code == 304
    assert "hx-request" in _vary(again)
    assert again["ETag"] == fragment["ETag"]


def test_the_pages_etag_does_not_validate_the_fragment() -> None:
    page_etag = Client().get(PAGE)["ETag"]
    response = Client().get(PAGE, HTTP_IF_NONE_MATCH=page_etag, **HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content


def test_other_filters_have_other_etags() -> None:
    everything = Client().get(PAGE)["ETag"]
    errors = Client().get(f"{PAGE}?level=Error")
    assert errors.status_code == 200
    assert errors["ETag"] != everything
    assert Client().get(f"{PAGE}?level=Error", HTTP_IF_NONE_MATCH=everything).status_code == 200


def test_it_never_answers_304_for_an_error_page() -> None:
    missing = f"/projects/{DEFAULT_PROJECT_ID}/jobs/00000000-0000-4000-8000-000000000000/events/"
    first = Client().get(missing)
    assert first.status_code == 404
    etag = first.get("ETag", '"any"')
    assert Client().get(missing, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_a_redirect_to_the_canonical_url_is_not_turned_into_304() -> None:
    response = Client().get(f"{PAGE}?level=&pattern=", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 302
