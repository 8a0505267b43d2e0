"""The "Warnings and errors" level (level=Warning,Error): URL, page, export and histogram."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.levels import level_spelling, level_words
from tests.html_tree import Node, html
from tests.test_modelarts_merge import NOISY, noisy_job, truth  # noqa: F401 - noisy_job is a fixture

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
EXPORT = f"{EVENTS}export/"
HISTOGRAM = f"{EVENTS}histogram/"
HTMX = {"HX-Request": "true"}
COMBINED = {"level": "Warning,Error"}
SVG = "{http://www.w3.org/2000/svg}"


def top_rows(response: Any) -> list[Node]:
    table = html(response).find("table", class_="events")
    (tbody,) = [c for c in table.children if isinstance(c, Node) and c.tag == "tbody"]
    return [c for c in tbody.children if isinstance(c, Node) and c.tag == "tr"]


def cells(row: Node) -> list[str]:
    return [c.text for c in row.children if isinstance(c, Node) and c.tag == "td"]


def pagination_links(response: Any) -> dict[str, str | None]:
    nav = html(response).find("nav", class_="pagination")
    links: dict[str, str | None] = {}
    for child in nav.children:
        if isinstance(child, Node) and child.tag == "a":
            links[child.text] = child.attrs["href"]
        elif isinstance(child, Node) and "disabled" in child.classes:
            links[child.text] = None
    return links


# -- the spelling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "spelling"),
    [
        ("Warning,Error", "Warning,Error"),
        ("Error,Warning", "Warning,Error"),
        ("warning,error", "Warning,Error"),
        ("ERROR, WARNING", "Warning,Error"),
        ("error", "Error"),
        ("Info", "Info"),
        # Left as given, for the choice field to refuse.
        ("Warning,Info", "Warning,Info"),
        ("Warning,Warning", "Warning,Warning"),
        ("Warning,Error,Info", "Warning,Error,Info"),
        ("Warning,", "Warning,"),
        ("Warning;Error", "Warning;Error"),
        ("Info ", "Info "),
        (" Warning,Error", " Warning,Error"),
    ],
)
def test_it_spells_a_level_or_the_combined_level_one_way(given: str, spelling: str) -> None:
    assert level_spelling(given) == spelling


def test_it_names_the_combined_level_in_words() -> None:
    assert level_words("Warning,Error") == "Warning and Error"
    assert level_words("Error") == "Error"
    assert level_words(None) == ""


@pytest.mark.parametrize("given", ["Error,Warning", "warning,error", "WARNING,%20ERROR"])
def test_other_spellings_redirect_to_level_warning_error(client: Client, given: str) -> None:
    response = client.get(f"{EVENTS}?level={given}")

    assert response.status_code == 302
    assert response["Location"] == f"{EVENTS}?level=Warning,Error"


def test_an_encoded_comma_is_the_same_url(client: Client) -> None:
    assert client.get(f"{EVENTS}?level=Warning%2CError").status_code == 200


@pytest.mark.parametrize(
    "given",
    [
        "Warning,Info",
        "Info,Error",
        "Warning,Warning",
        "Warning,Error,Info",
        "Warning,",
        ",Error",
        "Warning;Error",
        "Warnings and errors",
        "Warning Error",
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_any_other_list_of_levels_answers_400_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]], given: str, headers: dict[str, str]
) -> None:
    response = client.get(EVENTS, {"level": given}, headers=headers)

    assert response.status_code == 400
    assert "Level:" in html(response).find("div", class_="upstream-error").text
    assert upstream_calls == []


# -- the page ------------------------------------------------------------------------------------


def test_the_level_select_offers_warnings_and_errors_after_the_single_levels(
    client: Client,
) -> None:
    select = html(client.get(EVENTS)).find("select", id="id_level")

    options = [(o.attrs["value"], o.text) for o in select.find_all("option")]
    assert options == [
        ("", "Any level"),
        ("Info", "Info"),
        ("Warning", "Warning"),
        ("Error", "Error"),
        ("Warning,Error", "Warnings and errors"),
    ]


def test_warnings_and_errors_shows_only_those_rows_newest_first(client: Client) -> None:
    response = client.get(EVENTS, COMBINED)

    assert response.status_code == 200
    rows = top_rows(response)
    assert [cells(row)[1] for row in rows] == ["Error"] * 9 + ["Warning"] * 2
    assert [cells(row)[3] for row in rows] == [
        message for _, _, _, message in truth(FAILED_JOB_ID, "desc")
    ]
    document = html(response)
    summary = document.find("p", class_="summary").text
    assert summary.startswith("11 Warning and Error events, newest first.")
    selected = [
        o
        for o in document.find("select", id="id_level").find_all("option")
        if "selected" in o.attrs
    ]
    assert [o.attrs["value"] for o in selected] == ["Warning,Error"]


def test_an_htmx_request_pushes_the_readable_url(client: Client) -> None:
    response = client.get(EVENTS, {"level": "Warning,Error", "order": "asc"}, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{EVENTS}?level=Warning,Error&order=asc"
    assert [cells(row)[1] for row in top_rows(response)] == ["Warning"] * 2 + ["Error"] * 9


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_pages_and_their_links_walk_the_merged_list_without_duplicates_or_gaps(
    client: Client, order: str
) -> None:
    url: str | None = f"{EVENTS}?level=Warning,Error&limit=4" + (
        "&order=asc" if order == "asc" else ""
    )
    messages: list[str] = []
    offsets = []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200
        messages.extend(cells(row)[3] for row in top_rows(response))
        offsets.append(parse_qs(urlsplit(url).query).get("offset", ["0"])[0])
        links = pagination_links(response)
        url = links["Next"]

    assert messages == [m for _, _, _, m in truth(FAILED_JOB_ID, order)]
    assert offsets == ["0", "4", "8"]
    assert links["Last"] is None
    assert parse_qs(urlsplit(links["First"] or "").query)["level"] == ["Warning,Error"]


def test_the_last_page_link_lands_on_the_last_rows(client: Client) -> None:
    links = pagination_links(client.get(EVENTS, {**COMBINED, "limit": "4"}))

    last = client.get(links["Last"] or "")

    assert parse_qs(urlsplit(links["Last"] or "").query)["offset"] == ["8"]
    assert [cells(row)[3] for row in top_rows(last)] == [
        m for _, _, _, m in truth(FAILED_JOB_ID, "desc")[8:]
    ]


# -- export ---------------------------------------------------------------------------------


def download(client: Client, job_id: str = FAILED_JOB_ID, **params: str) -> str:
    path = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{job_id}/events/export/"
    response = client.get(path, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_export_streams_both_levels_merged_as_the_timeline_orders_them(
    client: Client, order: str
) -> None:
    text = download(client, level="Warning,Error", order=order, format="csv")

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["time", "level", "source", "message"]
    assert [row[1:] for row in rows[1:]] == [
        [level, source, message] for _, level, source, message in truth(FAILED_JOB_ID, order)
    ]


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_export_merges_levels_of_many_pages(client: Client, order: str) -> None:
    text = download(client, NOISY, level="Warning,Error", order=order, format="ndjson")

    records = [json.loads(line) for line in text.splitlines()]
    assert [(r["level"], r["message"]) for r in records] == [
        (level, message) for _, level, _, message in truth(NOISY, order)
    ]
    assert len(records) > 200


def test_the_json_export_names_the_combined_level_and_is_complete(client: Client) -> None:
    document = json.loads(download(client, level="warning,error", format="json"))

    assert document["level"] == "Warning,Error"
    assert document["complete"] is True
    assert document["count"] == 11


def test_the_timelines_export_link_keeps_the_combined_level(client: Client) -> None:
    links = html(client.get(EVENTS, COMBINED)).find("p", class_="export-links").find_all("a")

    assert {parse_qs(urlsplit(a.attrs["href"]).query)["level"][0] for a in links} == {
        "Warning,Error"
    }


def test_an_export_with_a_bad_list_of_levels_answers_400_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(EXPORT, {"level": "Warning,Info"})

    assert response.status_code == 400
    assert upstream_calls == []


# -- histogram ------------------------------------------------------------------------------


def test_the_histogram_stacks_warning_and_error_only(client: Client) -> None:
    response = client.get(HISTOGRAM, COMBINED)

    assert response.status_code == 200
    root = ET.fromstring(response.content.decode().strip())
    legend = root.find(".//ul[@class='histogram-legend']")
    assert legend is not None
    assert [" ".join("".join(li.itertext()).split()) for li in legend] == ["Warning 2", "Error 9"]
    summary = " ".join("".join(root.find(".//span[@class='histogram-summary']").itertext()).split())
    assert summary.startswith("11 Warning and Error events from")
    classes = {el.attrib["class"] for el in root.iter(f"{SVG}rect")} - {"hist-hit"}
    assert classes == {"hist-warning", "hist-error"}
    # Each bar zooms into the timeline with the combined level kept.
    for link in root.iter(f"{SVG}a"):
        assert parse_qs(urlsplit(link.attrib["href"]).query)["level"] == ["Warning,Error"]
        title = link.find(f"{SVG}title")
        assert title is not None and title.text
        assert not re.search(r"\d+ Info", title.text)


def test_a_histogram_with_a_bad_list_of_levels_answers_400_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(HISTOGRAM, {"level": "Info,Error"})

    assert response.status_code == 400
    assert upstream_calls == []
