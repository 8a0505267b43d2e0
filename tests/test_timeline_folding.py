"""Fold repeats (fold=1): the normalisation, the folds, their markup, and fold in the URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from eventsui.modelarts import Event
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.folding import fold_rows, normalise, worker_of
from tests.html_tree import Node, html

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
HTMX = {"HX-Request": "true"}
EXIT_1 = "Training finished. Exit code 1."


def at(second: int, message: str, level: str = "Error", source: str = "Task") -> Event:
    moment = datetime(2026, 11, 20, 2, 0, second, tzinfo=UTC)
    return Event(time=moment, time_text="", level=level, source=source, message=message)


def rows_of(*events: Event) -> list[tuple[Event, str, str]]:
    return [(e, f"ev-{n:012x}", f"/link#{n}") for n, e in enumerate(events)]


def top_rows(response: Any) -> list[Node]:
    """The rows of the events table itself, not those inside a fold."""
    table = html(response).find("table", class_="events")
    (tbody,) = [c for c in table.children if isinstance(c, Node) and c.tag == "tbody"]
    return [c for c in tbody.children if isinstance(c, Node) and c.tag == "tr"]


def folded(response: Any) -> list[Node]:
    return [row for row in top_rows(response) if "folded" in row.classes]


def query_of(url: str | None) -> dict[str, list[str]]:
    assert url is not None
    return parse_qs(urlsplit(url).query)


# -- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "text", "worker"),
    [
        ("[worker-0] Training finished. Exit code 1.", EXIT_1, "worker-0"),
        ("[worker-12] Training finished. Exit code 1.", EXIT_1, "worker-12"),
        ("[worker-3]   spaces after the prefix", "spaces after the prefix", "worker-3"),
        ("[worker-3]no space", "no space", "worker-3"),
        # Only a leading worker prefix goes; digits elsewhere stay.
        (
            "[worker-3] Training finished. Exit code 137.",
            "Training finished. Exit code 137.",
            "worker-3",
        ),
        ("Training job failed.", "Training job failed.", None),
        ("see [worker-1] later", "see [worker-1] later", None),
        ("[worker-x] not a worker", "[worker-x] not a worker", None),
        ("[Worker-1] other case", "[Worker-1] other case", None),
        (
            "[Pod: modelarts-job-3faf5c03-worker-3] Memory usage is above 95%",
            "[Pod: modelarts-job-3faf5c03-worker-3] Memory usage is above 95%",
            None,
        ),
        ("[worker-1] [worker-2] nested", "[worker-2] nested", "worker-1"),
        ("", "", None),
    ],
)
def test_it_removes_only_the_leading_worker_prefix(
    message: str, text: str, worker: str | None
) -> None:
    assert normalise(message) == text
    assert worker_of(message) == worker


# -- folds ------------------------------------------------------------------------------------


def test_it_folds_the_same_line_from_many_workers_into_one_with_the_count() -> None:
    rows = rows_of(*(at(25, f"[worker-{w}] {EXIT_1}") for w in (2, 1, 0)))

    (fold,) = fold_rows(rows)

    assert fold.count == 3
    assert fold.text == EXIT_1
    assert fold.level == "Error"
    assert fold.workers == ["worker-0", "worker-1", "worker-2"]
    assert fold.sources == ["Task"]
    assert fold.rows == rows


def test_it_keeps_digits_so_other_exit_codes_and_steps_stay_apart() -> None:
    rows = rows_of(
        at(1, f"[worker-0] {EXIT_1}"),
        at(2, "[worker-3] Training finished. Exit code 137."),
        at(3, "[worker-0] step 100: loss=1.0"),
        at(4, "[worker-0] step 200: loss=1.0"),
    )

    assert [fold.count for fold in fold_rows(rows)] == [1, 1, 1, 1]


def test_it_folds_repeats_that_are_not_adjacent_at_the_first_ones_place() -> None:
    rows = rows_of(
        at(9, "[worker-0] A"),
        at(8, "B"),
        at(7, "[worker-1] A"),
        at(6, "C"),
        at(5, "[worker-2] A"),
    )

    folds = fold_rows(rows)

    assert [(f.text, f.count) for f in folds] == [("A", 3), ("B", 1), ("C", 1)]
    assert [anchor for _, anchor, _ in folds[0].rows] == [rows[0][1], rows[2][1], rows[4][1]]


def test_it_does_not_fold_the_same_text_at_different_levels() -> None:
    rows = rows_of(at(1, "disk slow", level="Warning"), at(2, "disk slow", level="Error"))

    assert [(f.level, f.count) for f in fold_rows(rows)] == [("Warning", 1), ("Error", 1)]


def test_it_lists_workers_in_number_order_and_sources_in_page_order() -> None:
    rows = rows_of(
        at(1, "[worker-10] x", source="Task"),
        at(2, "[worker-2] x", source="K8S"),
        at(3, "x", source="Job"),
        at(4, "[worker-2] x", source="Task"),
    )

    (fold,) = fold_rows(rows)

    assert fold.workers == ["worker-2", "worker-10"]
    assert fold.sources == ["Task", "K8S", "Job"]


def test_its_span_runs_from_the_earliest_to_the_latest_time_in_either_order() -> None:
    newest_first = rows_of(at(40, "[worker-1] x"), at(20, "[worker-0] x"), at(30, "[worker-2] x"))
    unreadable = Event(time=None, time_text="garbled", level="Error", source="Task", message="x")

    (fold,) = fold_rows([*newest_first, (unreadable, "ev-aaaaaaaaaaaa", "/l")])

    assert fold.first == datetime(2026, 11, 20, 2, 0, 20, tzinfo=UTC)
    assert fold.last == datetime(2026, 11, 20, 2, 0, 40, tzinfo=UTC)
    assert fold.count == 4


def test_a_fold_holding_the_marked_row_is_open() -> None:
    rows = rows_of(at(1, "[worker-0] x"), at(2, "[worker-1] x"), at(3, "y"), at(4, "y"))

    folds = fold_rows(rows, mark=rows[1][1])

    assert [f.open for f in folds] == [True, False]
    assert not any(f.open for f in fold_rows(rows))


# -- the page --------------------------------------------------------------------------------


def test_the_failed_jobs_exit_code_1_from_three_workers_is_one_folded_row(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "1"})

    (row,) = folded(response)
    cells = [c for c in row.children if isinstance(c, Node)]
    time_cell, level_cell, source_cell, message_cell = cells
    summary = message_cell.find("details", class_="fold").find("summary")
    assert summary.find("span", class_="fold-count").text == "3×"
    assert EXIT_1 in summary.text
    assert "[worker-" not in summary.text
    assert summary.find("span", class_="fold-who").text == "from worker-0, worker-1, worker-2"
    assert level_cell.text == "Error"
    assert source_cell.text == "Task"
    # All three in one second: the span is that second, its zone named.
    assert time_cell.find("time").attrs["datetime"] == "2026-11-20T02:22:25Z"
    assert time_cell.text == "2026-11-20 02:22:25 UTC"


def test_a_fold_expands_in_place_to_its_rows_with_their_anchors_and_permalinks(
    client: Client,
) -> None:
    unfolded = {row.attrs["id"]: row.text for row in top_rows(client.get(EVENTS))}

    (row,) = folded(client.get(EVENTS, {"fold": "1"}))

    details = row.find("details", class_="fold")
    assert "open" not in details.attrs
    inner = details.find("table", class_="fold-rows").find("tbody").find_all("tr")
    assert [r.find("td", class_="message").text for r in inner] == [
        f"[worker-{w}] {EXIT_1}" for w in (2, 1, 0)
    ]
    for inner_row in inner:
        anchor = inner_row.attrs["id"]
        # The same id as unfolded, and a permalink that keeps the fold.
        assert anchor in unfolded
        link = inner_row.find("a", class_="permalink").attrs["href"]
        assert link.endswith(f"#{anchor}")
        assert query_of(link) == {"fold": ["1"], "mark": [anchor]}


def test_the_fold_stands_where_its_first_row_stood_and_other_rows_keep_their_order(
    client: Client,
) -> None:
    plain = [row.attrs["id"] for row in top_rows(client.get(EVENTS))]

    items = top_rows(client.get(EVENTS, {"fold": "1"}))

    (place,) = [n for n, row in enumerate(items) if "folded" in row.classes]
    in_fold = [r.attrs["id"] for r in items[place].find("tbody").find_all("tr")]
    # Its rows are not adjacent on the page (an NCCL line from each worker
    # comes between them): folded all the same, in the page's order.
    first = plain.index(in_fold[0])
    assert [plain.index(anchor) for anchor in in_fold] == [first, first + 2, first + 4]
    assert place == first
    others = [row.attrs["id"] for row in items if "folded" not in row.classes]
    assert others == [anchor for anchor in plain if anchor not in in_fold]


def test_a_marked_row_inside_a_fold_opens_it(client: Client) -> None:
    (row,) = folded(client.get(EVENTS, {"fold": "1"}))
    anchor = row.find("tbody").find_all("tr")[1].attrs["id"]

    (row,) = folded(client.get(EVENTS, {"fold": "1", "mark": anchor}))

    assert "open" in row.find("details", class_="fold").attrs
    marked = row.find("tr", id=anchor)
    assert "marked" in marked.classes
    assert marked.attrs["aria-current"] == "true"


def test_folding_leaves_the_counts_and_pages_alone_and_says_it_is_per_page(
    client: Client,
) -> None:
    plain = html(client.get(EVENTS))
    folded_page = html(client.get(EVENTS, {"fold": "1"}))

    summary = folded_page.find("p", class_="summary")
    assert "Showing events 1–50 of 181." in summary.text
    assert summary.find("span", class_="fold-note").text == (
        "Repeated messages are folded within this page: 50 rows shown as 48."
    )
    position = folded_page.find("nav", class_="pagination").find("span", class_="position")
    assert (
        position.text == plain.find("nav", class_="pagination").find("span", class_="position").text
    )


def test_fold_is_kept_through_every_pagination_link(client: Client) -> None:
    nav = html(client.get(EVENTS, {"fold": "1", "offset": "50"})).find("nav", class_="pagination")

    links = nav.find_all("a")
    assert [a.text for a in links] == ["First", "Previous", "Next", "Last"]
    for a in links:
        assert query_of(a.attrs["href"])["fold"] == ["1"]
        assert a.attrs["hx-get"] == a.attrs["href"]
    assert query_of(links[2].attrs["href"]) == {"fold": ["1"], "offset": ["100"]}


def test_the_fold_checkbox_shows_the_urls_state(client: Client) -> None:
    def box(response: Any) -> Node:
        return html(response).find("input", id="id_fold")

    off, on = box(client.get(EVENTS)), box(client.get(EVENTS, {"fold": "1"}))

    assert (off.attrs["type"], off.attrs["name"], off.attrs["value"]) == ("checkbox", "fold", "1")
    assert "checked" not in off.attrs
    assert "checked" in on.attrs


def test_fold_comes_after_the_filters_in_the_canonical_url(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "1", "level": "error", "offset": "0"})

    assert response.status_code == 302
    assert response["Location"] == f"{EVENTS}?level=Error&fold=1"


def test_fold_0_is_the_default_and_is_dropped(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "0"})

    assert response.status_code == 302
    assert response["Location"] == EVENTS


def test_an_htmx_request_pushes_the_url_with_fold(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "1", "level": "Error"}, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{EVENTS}?level=Error&fold=1"
    assert len(folded(response)) == 1


@pytest.mark.parametrize("value", ["2", "yes", "true", "on", "-1", " 1"])
def test_a_bad_fold_value_answers_400_without_asking_modelarts(
    client: Client, upstream_calls: list[tuple[Any, ...]], value: str
) -> None:
    response = client.get(EVENTS, {"fold": value})

    assert response.status_code == 400
    problems = html(response).find("div", class_="upstream-error").text
    assert "Fold repeats:" in problems
    assert upstream_calls == []


def test_without_fold_no_row_is_folded(client: Client) -> None:
    response = client.get(EVENTS)

    assert folded(response) == []
    assert html(response).find_all("span", class_="fold-note") == []
