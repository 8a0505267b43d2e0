"""The events page of one job, as a full page and as the htmx results fragment."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from tests.html_tree import Node, html

PROJECT = DEFAULT_PROJECT_ID
EVENTS = f"/projects/{PROJECT}/jobs/{FAILED_JOB_ID}/events/"
HTMX = {"HX-Request": "true"}
ENDPOINT = "https://modelarts.test.invalid"
EVENTS_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{FAILED_JOB_ID}/events"
JOB_API = f"{ENDPOINT}/v2/{PROJECT}/training-jobs/{FAILED_JOB_ID}"
ALL_EVENTS = 181  # of the failed sandbox job

# -- more of the HTML tree, for this page ------------------------------------------


def by_id(node: Node, element_id: str) -> list[Node]:
    """The elements, of any tag, with this id."""
    found = []
    for child in node.children:
        if isinstance(child, Node):
            if child.attrs.get("id") == element_id:
                found.append(child)
            found.extend(by_id(child, element_id))
    return found


def top_level_tags(document: Node) -> list[str]:
    return [c.tag for c in document.children if isinstance(c, Node)]


def field_box(document: Node, name: str) -> Node:
    """The .field block holding the label and input of the form field `name`."""
    boxes = [
        box
        for box in document.find("form", class_="filters").find_all("div", class_="field")
        if box.find_all("label", for_=f"id_{name}")
    ]
    assert len(boxes) == 1, name
    return boxes[0]


def pagination_links(document: Node) -> dict[str, str | None]:
    """Each pagination label and its href (None: shown but not a link)."""
    nav = document.find("nav", class_="pagination")
    links: dict[str, str | None] = {}
    for child in nav.children:
        if isinstance(child, Node) and child.tag == "a":
            assert child.attrs["hx-get"] == child.attrs["href"]
            links[child.text] = child.attrs["href"]
        elif isinstance(child, Node) and "disabled" in (child.attrs.get("class") or ""):
            assert child.attrs.get("aria-disabled") == "true"
            links[child.text] = None
    return links


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def upstream_answers_required() -> bool:
    # Whether the job itself is asked for (for the heading, for cache lifetimes)
    # is not what these tests are about: its answer is registered, not required.
    return False


def events_body(*events: dict[str, str], total: int | None = None) -> dict[str, Any]:
    return {
        "total": len(events) if total is None else total,
        "limit": 50,
        "offset": 0,
        "order": "desc",
        "events": list(events),
    }


# -- the full page ------------------------------------------------------------------------


def test_it_shows_the_events_in_a_table_with_time_level_source_and_message(
    client: Client,
) -> None:
    response = client.get(EVENTS)

    assert response.status_code == 200
    table = html(response).find("table", class_="events")
    assert [th.text for th in table.find_all("th")] == ["Time (UTC)", "Level", "Source", "Message"]
    rows = table.find("tbody").find_all("tr")
    assert len(rows) == 50
    assert all(len(row.find_all("td")) == 4 for row in rows)


def test_it_shows_the_newest_event_first_by_default(client: Client) -> None:
    table = html(client.get(EVENTS)).find("table", class_="events")

    first = table.find("tbody").find_all("tr")[0]
    assert first.find_all("td")[-1].text.startswith("[Job: modelarts-job-3faf5c03] Deleted pod")


def test_it_shows_event_times_in_utc_with_the_zone_named(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    event = {"time": "2022-11-26T16:01:36+08:00", "level": "Info", "message": "hi", "source": "Job"}
    fake_upstream.get(EVENTS_API, json=events_body(event))
    fake_upstream.get(JOB_API, status=500)

    cell = html(client.get(EVENTS)).find("td", class_="time")

    time = cell.find("time")
    assert time.attrs["datetime"] == "2022-11-26T08:01:36Z"
    assert time.text == "2022-11-26 08:01:36 UTC"
    assert time.attrs["title"] == "As ModelArts sent it: 2022-11-26T16:01:36+08:00"


def test_it_heads_the_page_with_the_job_name_and_phase(client: Client) -> None:
    heading = html(client.get(EVENTS)).find("header", class_="job-heading").find("h1")

    assert heading.text == "resnet50-imagenet Failed"
    assert heading.find("span", class_="phase").text == "Failed"


def test_it_still_shows_the_events_when_the_job_heading_cannot_be_fetched(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    event = {"time": "2022-11-26T16:01:36+08:00", "level": "Error", "message": "x", "source": "Job"}
    fake_upstream.get(EVENTS_API, json=events_body(event))
    fake_upstream.get(JOB_API, status=500)

    response = client.get(EVENTS)

    assert response.status_code == 200
    document = html(response)
    assert document.find("header", class_="job-heading").find("h1").text == f"Job {FAILED_JOB_ID}"
    assert len(document.find("table", class_="events").find("tbody").find_all("tr")) == 1


@pytest.mark.parametrize(
    ("label", "name", "control"),
    [
        ("Level", "level", "select"),
        ("Source", "source", "select"),
        ("Pattern", "pattern", "input"),
        ("From (UTC)", "start_time", "input"),
        ("To (UTC)", "end_time", "input"),
        ("Order", "order", "select"),
        ("Page size", "limit", "select"),
    ],
)
def test_each_filter_has_a_label_tied_to_its_control(
    client: Client, label: str, name: str, control: str
) -> None:
    form = html(client.get(EVENTS)).find("form", class_="filters")

    assert form.attrs["method"] == "get"
    assert form.attrs["action"] == EVENTS
    assert form.find("label", for_=f"id_{name}").text == label
    assert form.find(control, id=f"id_{name}").attrs["name"] == name


def test_the_form_shows_the_current_filters(client: Client) -> None:
    query = (
        "?level=Error&source=Task&pattern=exit&start_time=2026-11-20T00%3A00%3A00Z"
        "&end_time=2026-11-21T00%3A00%3A00Z&order=asc&limit=20"
    )
    form = html(client.get(EVENTS + query)).find("form", class_="filters")

    def selected(name: str) -> list[str | None]:
        select = form.find("select", name=name)
        return [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]

    assert selected("level") == ["Error"]
    assert selected("source") == ["Task"]
    assert selected("order") == ["asc"]
    assert selected("limit") == ["20"]
    assert form.find("input", name="pattern").attrs["value"] == "exit"
    assert form.find("input", name="start_time").attrs["value"] == "2026-11-20T00:00:00"
    assert form.find("input", name="end_time").attrs["value"] == "2026-11-21T00:00:00"


def test_it_echoes_the_active_filters_in_words(client: Client) -> None:
    query = (
        "?level=Error&source=Task&pattern=exit&start_time=2026-11-20T00%3A00%3A00Z"
        "&end_time=2026-11-21T00%3A00%3A00Z&order=asc"
    )
    summary = html(client.get(EVENTS + query)).find("p", class_="summary")

    assert summary.text == (
        "3 Error events from Task containing “exit” between 2026-11-20 00:00:00 UTC and "
        "2026-11-21 00:00:00 UTC, oldest first. Showing events 1–3 of 3."
    )


def _url(query: str) -> str:
    return f"{EVENTS}?{query}" if query else EVENTS


LOSS = "level=Info&source=Task&pattern=loss&order=asc&limit=20"
DAY = "start_time=2026-11-20T00%3A00%3A00Z&end_time=2026-11-21T00%3A00%3A00Z&limit=20"


@pytest.mark.parametrize(
    ("query", "links", "position"),
    [
        (
            "",
            {"First": None, "Previous": None, "Next": "offset=50", "Last": "offset=150"},
            f"events 1–50 of {ALL_EVENTS}",
        ),
        (
            "offset=50",
            {"First": "", "Previous": "", "Next": "offset=100", "Last": "offset=150"},
            f"events 51–100 of {ALL_EVENTS}",
        ),
        (
            "offset=150",
            {"First": "", "Previous": "offset=100", "Next": None, "Last": None},
            f"events 151–181 of {ALL_EVENTS}",
        ),
        (
            f"{LOSS}&offset=20",
            {
                "First": LOSS,
                "Previous": LOSS,
                "Next": f"{LOSS}&offset=40",
                "Last": f"{LOSS}&offset=100",
            },
            "events 21–40 of 120",
        ),
        (
            DAY,
            {
                "First": None,
                "Previous": None,
                "Next": f"{DAY}&offset=20",
                "Last": f"{DAY}&offset=180",
            },
            f"events 1–20 of {ALL_EVENTS}",
        ),
        (
            "offset=1000",
            {"First": "", "Previous": "offset=950", "Next": None, "Last": "offset=150"},
            f"0 of {ALL_EVENTS}",
        ),
    ],
)
def test_the_pagination_links_carry_the_filters_and_say_where_the_page_is(
    client: Client, query: str, links: dict[str, str | None], position: str
) -> None:
    response = client.get(_url(query))

    assert response.status_code == 200
    document = html(response)
    expected = {label: None if q is None else _url(q) for label, q in links.items()}
    assert pagination_links(document) == expected
    assert document.find("nav", class_="pagination").find("span", class_="position").text == (
        position
    )


@pytest.mark.parametrize("query", ["", "offset=50", f"{LOSS}&offset=20", DAY])
def test_every_pagination_link_opens_a_page_without_a_redirect(client: Client, query: str) -> None:
    links = pagination_links(html(client.get(_url(query))))

    for label, href in links.items():
        if href is not None:
            response = client.get(href)
            assert response.status_code == 200, (label, href, response.get("Location"))


def test_a_page_beyond_the_end_offers_the_first_page(client: Client) -> None:
    results = html(client.get(_url("offset=1000"))).find("section", id="results")

    empty = results.find("p", class_="empty")
    assert empty.text == "There are no events this far in. Go to the first page."
    assert empty.find("a").attrs["href"] == EVENTS
    assert not results.find_all("table")


def test_it_says_so_when_no_event_matches(client: Client) -> None:
    results = html(client.get(_url("pattern=no+such+text"))).find("section", id="results")

    assert results.find("p", class_="empty").find("a").attrs["href"] == EVENTS
    assert results.find("span", class_="position").text == "0 of 0"
    assert not results.find_all("table")


def test_the_full_page_varies_on_hx_request_and_pushes_no_url(client: Client) -> None:
    response = client.get(EVENTS)

    assert "HX-Request" in response["Vary"]
    assert "HX-Push-Url" not in response


# -- the htmx fragment ------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_results_section(client: Client) -> None:
    response = client.get(_url("limit=20&offset=20"), headers=HTMX)

    assert response.status_code == 200
    document = html(response)
    assert top_level_tags(document) == ["section"]
    section = document.find("section", id="results")
    assert not document.find_all("html")
    assert not document.find_all("form")
    assert section.find("span", class_="position").text == f"events 21–40 of {ALL_EVENTS}"
    assert len(section.find("tbody").find_all("tr")) == 20


@pytest.mark.parametrize(
    ("query", "pushed"),
    [
        ("", ""),
        ("level=Info", "level=Info"),
        ("level=info&source=k8s&limit=50&order=desc&offset=0", "level=Info&source=K8S"),
        ("level=&source=&pattern=&start_time=&end_time=&order=desc&limit=20", "limit=20"),
        (
            "start_time=2026-11-20T10%3A00%3A00%2B08%3A00&end_time=2026-11-20T02%3A30",
            "start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T02%3A30%3A00Z",
        ),
    ],
)
def test_an_htmx_request_pushes_the_canonical_url(client: Client, query: str, pushed: str) -> None:
    response = client.get(_url(query), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Push-Url"] == _url(pushed)
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_request_gets_the_full_page(client: Client) -> None:
    response = client.get(
        _url("level=Info"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert response.status_code == 200
    document = html(response)
    assert document.find_all("html")
    assert document.find("form", class_="filters")
    assert document.find("section", id="results")
    assert "HX-Push-Url" not in response
    assert "HX-Request" in response["Vary"]


# -- canonical URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("level=error", "level=Error"),
        ("level=INFO&source=k8s", "level=Info&source=K8S"),
        ("source=K8s", "source=K8S"),
        ("level=&source=&pattern=&start_time=&end_time=&order=&limit=&offset=", ""),
        ("order=desc&limit=50&offset=0", ""),
        ("limit=020", "limit=20"),
        ("unknown=1", ""),
        ("level=Info&level=Info", "level=Info"),
        (
            "start_time=2026-11-20T10%3A00%3A00%2B08%3A00&end_time=2026-11-20T11%3A00%3A00%2B08%3A00",
            "start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T03%3A00%3A00Z",
        ),
        (
            "start_time=2026-11-20T02%3A00&end_time=2026-11-20T03%3A00%3A00",
            "start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T03%3A00%3A00Z",
        ),
        (
            "start_time=1669449696964&end_time=1669711991259",
            "start_time=2022-11-26T08%3A01%3A36.964Z&end_time=2022-11-29T08%3A53%3A11.259Z",
        ),
        (
            "start_time=2026-11-20T02%3A00%3A00.0005Z&end_time=2026-11-20T03%3A00%3A00Z",
            "start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T03%3A00%3A00Z",
        ),
    ],
)
def test_a_non_canonical_query_string_redirects_to_the_canonical_one_without_asking_upstream(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, canonical: str
) -> None:
    response = client.get(_url(query))

    assert response.status_code == 302
    assert response["Location"] == _url(canonical)
    assert upstream_calls == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "level=Error",
        "level=Info&source=K8S&pattern=%20Pod%20&order=asc&limit=20&offset=40",
        "start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T03%3A00%3A00.500Z",
        "start_time=2022-11-26T08%3A01%3A36.964Z&end_time=2022-11-29T08%3A53%3A11.259Z",
    ],
)
def test_a_canonical_query_string_is_answered_in_place(client: Client, query: str) -> None:
    assert client.get(_url(query)).status_code == 200


def test_following_the_redirect_lands_on_the_page(client: Client) -> None:
    response = client.get(_url("level=error&limit=20"), follow=True)

    assert response.redirect_chain == [(_url("level=Error&limit=20"), 302)]
    assert response.status_code == 200
    assert html(response).find("p", class_="summary").text.startswith("9 Error events,")


# -- bad input ------------------------------------------------------------------------------


BAD_INPUT = [
    ("limit=0", "limit", "0 is not a page size: choose 20, 50 or 100"),
    ("limit=101", "limit", "101 is not a page size"),
    ("limit=abc", "limit", "abc is not a page size"),
    ("level=Debug", "level", "Debug is not one of the available choices."),
    ("source=Pod", "source", "Pod is not one of the available choices."),
    ("pattern=" + "x" * 257, "pattern", "at most 256 characters (it has 257)"),
    ("start_time=2026-11-20T02%3A00%3A00Z", "end_time", "Give To as well as From, or neither."),
    ("end_time=2026-11-20T02%3A00%3A00Z", "start_time", "Give From as well as To, or neither."),
    (
        "start_time=2026-11-20T03%3A00%3A00Z&end_time=2026-11-20T02%3A00%3A00Z",
        "end_time",
        "To must not be before From.",
    ),
    ("start_time=yesterday&end_time=2026-11-20T02%3A00%3A00Z", "start_time", "ISO 8601"),
    (
        "start_time=2026-11-20T02%3A00%3A00Z&end_time=9999-12-31T23%3A59%3A59-01%3A00",
        "end_time",
        "out of range",
    ),
    ("start_time=2026-11-20T02%3A00%3A00Z&end_time=" + "9" * 16, "end_time", "out of range"),
]


@pytest.mark.parametrize(("query", "name", "message"), BAD_INPUT)
def test_it_rejects_bad_filters_with_a_message_next_to_the_field(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, name: str, message: str
) -> None:
    response = client.get(_url(query))

    assert response.status_code == 400
    document = html(response)
    errors = [p.text for p in field_box(document, name).find_all("p", class_="field-error")]
    assert len(errors) == 1
    assert message in errors[0]
    alert = document.find("section", id="results").find("div", role="alert")
    assert alert.find("h2").text == "These filters cannot be used"
    assert not document.find_all("table")
    assert upstream_calls == []


def test_a_refused_page_size_stays_in_the_box_beside_its_error(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(_url("limit=100000"))

    assert response.status_code == 400
    box = field_box(html(response), "limit")
    select = box.find("select", name="limit")
    options = [(o.attrs["value"], "selected" in o.attrs) for o in select.find_all("option")]
    assert options == [("20", False), ("50", False), ("100", False), ("100000", True)]
    assert select.attrs["aria-invalid"] == "true"
    error = box.find("p", class_="field-error")
    assert select.attrs["aria-describedby"] == error.attrs["id"]
    assert error.text == (
        "100000 is not a page size: choose 20, 50 or 100 "
        "(a link may ask for any size from 1 to 100)."
    )
    assert upstream_calls == []


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("", [("20", False), ("50", True), ("100", False)]),
        ("limit=100", [("20", False), ("50", False), ("100", True)]),
        ("limit=020", [("20", True), ("50", False), ("100", False)]),
        ("limit=37", [("20", False), ("50", False), ("100", False), ("37", True)]),
    ],
)
def test_the_page_size_box_selects_the_urls_size_offered_or_not(
    client: Client, query: str, options: list[tuple[str, bool]]
) -> None:
    response = client.get(_url(query), follow=True)

    select = field_box(html(response), "limit").find("select", name="limit")
    assert [(o.attrs["value"], "selected" in o.attrs) for o in select.find_all("option")] == options


@pytest.mark.parametrize(("query", "name", "message"), BAD_INPUT)
def test_an_htmx_request_with_bad_filters_swaps_the_form_along_with_the_results(
    client: Client, upstream_calls: list[tuple[Any, ...]], query: str, name: str, message: str
) -> None:
    response = client.get(_url(query), headers=HTMX)

    assert response.status_code == 400
    target = response["HX-Retarget"]
    assert target.startswith("#")
    assert response["HX-Reselect"] == target
    assert response["HX-Reswap"] == "outerHTML"
    assert "HX-Push-Url" not in response
    (region,) = by_id(html(response), target.removeprefix("#"))
    errors = [p.text for p in field_box(region, name).find_all("p", class_="field-error")]
    assert len(errors) == 1
    assert message in errors[0]
    assert region.find("section", id="results").find("div", role="alert")
    assert upstream_calls == []


@pytest.mark.parametrize("offset", ["-1", "abc", str(10**9 + 1)])
def test_it_rejects_a_bad_offset_with_a_message_in_the_form(
    client: Client, upstream_calls: list[tuple[Any, ...]], offset: str
) -> None:
    response = client.get(_url(f"offset={offset}"))

    assert response.status_code == 400
    form = html(response).find("form", class_="filters")
    error = form.find("p", class_="field-error")
    assert error.text.startswith("Offset: ")
    assert upstream_calls == []


@pytest.mark.parametrize(("name", "value"), [("start_time", "yesterday"), ("pattern", "x" * 257)])
def test_the_form_keeps_what_was_typed_and_marks_the_field_invalid(
    client: Client, name: str, value: str
) -> None:
    response = client.get(EVENTS, {name: value, "end_time": "2026-11-20T02:00:00Z"})

    assert response.status_code == 400
    control = html(response).find("input", name=name)
    assert control.attrs["value"] == value
    assert control.attrs["aria-invalid"] == "true"


@pytest.mark.parametrize(
    ("project_id", "job_id", "what"),
    [
        ("a_b", FAILED_JOB_ID, "project id"),
        ("a" * 65, FAILED_JOB_ID, "project id"),
        ("a.b", FAILED_JOB_ID, "project id"),
        ("%E2%80%AEab", FAILED_JOB_ID, "project id"),
        (PROJECT, "..", "job id"),
        (PROJECT, "a..b", "job id"),
        (PROJECT, "abc%0Adef", "job id"),
        (PROJECT, "abc%00", "job id"),
        (PROJECT, "%1B%5B31m", "job id"),
        (PROJECT, "abc%E2%80%AE", "job id"),
        (PROJECT, "-abc", "job id"),
        (PROJECT, "a" * 129, "job id"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_it_rejects_an_invalid_identifier_without_asking_upstream(
    client: Client,
    upstream_calls: list[tuple[Any, ...]],
    project_id: str,
    job_id: str,
    what: str,
    headers: dict[str, str],
) -> None:
    response = client.get(f"/projects/{project_id}/jobs/{job_id}/events/", headers=headers)

    assert response.status_code == 400
    page = html(response).find("section", class_="error-page")
    assert page.find("h1").text == f"That is not a valid {what}"
    assert upstream_calls == []


def test_it_accepts_a_project_id_of_64_characters(client: Client, settings: Any) -> None:
    settings.MODELARTS_PROJECT_ID = "a" * 64
    response = client.get(f"/projects/{'a' * 64}/jobs/{FAILED_JOB_ID}/events/")

    assert response.status_code == 200


def test_an_unconfigured_project_answers_404_without_an_upstream_call(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get(f"/projects/{'b' * 32}/jobs/{FAILED_JOB_ID}/events/")

    assert response.status_code == 404
    assert upstream_calls == []


def test_the_upstream_guard_notices_a_call(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    # Without this, a guard that never fires would make the tests above vacuous.
    with pytest.raises(AssertionError, match="the upstream was called"):
        client.get(EVENTS)

    assert upstream_calls


def test_only_get_is_allowed(client: Client, upstream_calls: list[tuple[Any, ...]]) -> None:
    assert client.post(EVENTS).status_code == 405
    assert upstream_calls == []


# -- hostile event text ---------------------------------------------------------------------


def message_cells(response: Any) -> list[Node]:
    assert response.status_code == 200
    return html(response).find("section", id="results").find_all("td", class_="message")


def test_html_in_an_event_is_shown_as_text(client: Client) -> None:
    response = client.get(EVENTS, {"pattern": "<script>"})

    (cell,) = message_cells(response)
    assert cell.text == (
        "[worker-1] <script>alert('eventsui')</script> loading dataset from "
        "obs://bucket/<img src=x onerror=alert(1)>"
    )
    assert not cell.find_all("script")
    assert not cell.find_all("img")
    assert b"<script>alert" not in response.content
    assert b"<img src=x" not in response.content


@pytest.mark.parametrize(
    ("pattern", "markers", "hidden"),
    [
        ("gpj.exe", ["U+202E"], "\u202e"),
        ("colour codes", ["\\x1b", "\\x1b", "\\x07"], "\x1b\x07"),
    ],
)
def test_control_and_bidi_characters_in_an_event_are_shown_as_markers(
    client: Client, pattern: str, markers: list[str], hidden: str
) -> None:
    response = client.get(EVENTS, {"pattern": pattern})

    (cell,) = message_cells(response)
    spans = cell.find_all("span", class_="ctl")
    assert [span.text for span in spans] == markers
    assert [span.attrs["title"] for span in spans] == [f"hidden character {m}" for m in markers]
    body = response.content.decode()
    assert not any(char in body for char in hidden)


def test_a_hostile_pattern_is_echoed_as_text(client: Client) -> None:
    pattern = '"><script>alert(1)</script>\u202e'
    response = client.get(EVENTS, {"pattern": pattern})

    assert response.status_code == 200
    document = html(response)
    summary = document.find("p", class_="summary")
    assert 'containing “"><script>alert(1)</script>U+202E”' in summary.text
    assert not summary.find_all("script")
    assert document.find("input", name="pattern").attrs["value"] == pattern
    assert len(document.find_all("script")) == len(document.find("head").find_all("script"))


# -- upstream failures ----------------------------------------------------------------------


UPSTREAM_FAILURES = [
    pytest.param(
        {
            "status": 400,
            "json": {"error_code": "ModelArts.2775", "error_msg": "Training job not found."},
        },
        404,
        "Job not found",
        "ModelArts.2775",
        id="2775",
    ),
    pytest.param(
        {"status": 400, "json": {"error_code": "ModelArts.50004000", "error_msg": "Bad request."}},
        400,
        "ModelArts refused the request",
        "ModelArts.50004000",
        id="400",
    ),
    pytest.param(
        {"status": 401, "json": {"error_code": "APIGW.0301", "error_msg": "Incorrect token."}},
        502,
        "ModelArts rejected eventsui's credentials",
        "APIGW.0301",
        id="401",
    ),
    pytest.param(
        {"status": 500, "body": "Internal Server Error", "content_type": "text/plain"},
        502,
        "ModelArts failed",
        "",
        id="500",
    ),
    pytest.param(
        {"body": requests.ReadTimeout("read timed out")},
        504,
        "ModelArts did not answer in time",
        "",
        id="timeout",
    ),
]


def _error_details(alert: Node) -> dict[str, str]:
    details = alert.find_all("dl", class_="error-details")
    if not details:
        return {}
    terms = details[0].find_all("dt")
    values = details[0].find_all("dd")
    return {dt.text: dd.text for dt, dd in zip(terms, values, strict=True)}


@pytest.mark.parametrize(("answer", "status", "title", "code"), UPSTREAM_FAILURES)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_an_upstream_failure_is_shown_in_the_page_with_its_status(
    client: Client,
    fake_upstream: responses.RequestsMock,
    answer: dict[str, Any],
    status: int,
    title: str,
    code: str,
    headers: dict[str, str],
) -> None:
    fake_upstream.get(EVENTS_API, **answer)
    fake_upstream.get(JOB_API, **answer)

    response = client.get(_url("level=Error"), headers=headers)

    assert response.status_code == status
    document = html(response)
    if headers:
        assert top_level_tags(document) == ["section"]
        assert response["HX-Push-Url"] == _url("level=Error")
    else:
        assert document.find("form", class_="filters")
    results = document.find("section", id="results")
    alert = results.find("div", class_="upstream-error")
    assert alert.attrs["role"] == "alert"
    assert alert.find("h2").text == title
    assert alert.find("p", class_="hint").find("strong").text == str(status)
    details = _error_details(alert)
    if code:
        assert details["Error code"] == code
    if "status" in answer:
        assert details["ModelArts status"] == str(answer["status"])
    assert not results.find_all("table")
    assert ENDPOINT.removeprefix("https://") not in response.content.decode()


def test_an_upstream_5xx_is_named_in_the_message(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(EVENTS_API, status=500, body="Internal Server Error")
    fake_upstream.get(JOB_API, status=500, body="Internal Server Error")

    alert = html(client.get(EVENTS)).find("div", class_="upstream-error")

    assert "ModelArts answered 500" in alert.find_all("p")[0].text
    assert "Reloading in a moment may help." in alert.find("p", class_="hint").text


def test_it_sends_the_filters_to_modelarts_as_the_api_expects(
    client: Client, fake_upstream: responses.RequestsMock
) -> None:
    fake_upstream.get(EVENTS_API, json=events_body(total=0))
    fake_upstream.get(JOB_API, status=500)
    query = (
        "level=Error&source=K8S&pattern=OOM&start_time=2022-11-26T08%3A01%3A36.964Z"
        "&end_time=2022-11-29T08%3A53%3A11.259Z&order=asc&limit=20&offset=40"
    )

    assert client.get(_url(query), headers=HTMX).status_code == 200

    (sent,) = [
        parse_qs(urlsplit(call.request.url).query)
        for call in fake_upstream.calls
        if urlsplit(call.request.url).path.endswith("/events")
    ]
    assert sent == {
        "level": ["Error"],
        "source": ["K8S"],
        "pattern": ["OOM"],
        "start_time": ["1669449696964"],
        "end_time": ["1669711991259"],
        "order": ["asc"],
        "limit": ["20"],
        "offset": ["40"],
    }
