"""Fold repeats (fold=1): the normalisation, the folds, their markup, and fold in the URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from eventsui.modelarts import Event
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.folding import fold_rows, normalise, summarise, worker_of
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


def exit_codes(response: Any) -> Node:
    """The folded row of the failed job's "Training finished. Exit code N." lines."""
    (row,) = [r for r in folded(response) if "Exit code" in r.find("summary").text]
    return row


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


def test_messages_that_differ_only_in_numbers_fold_and_say_what_varied() -> None:
    rows = rows_of(
        at(1, f"[worker-0] {EXIT_1}"),
        at(2, "[worker-3] Training finished. Exit code 137."),
        at(3, "[worker-0] step 100: loss=1.0"),
        at(4, "[worker-0] step 200: loss=1.0"),
    )

    exits, steps = fold_rows(rows)

    assert (exits.count, steps.count) == (2, 2)
    assert exits.text == "Training finished. Exit code <n>."
    assert exits.varied == ["code 1, 137"]
    assert exits.workers == ["worker-0", "worker-3"]
    # Only the slot that differs is named; the loss was the same.
    assert steps.text == "step <n>: loss=<n>"
    assert steps.varied == ["step 100, 200"]


def test_a_run_of_ranks_is_said_as_its_first_and_last() -> None:
    rows = rows_of(
        *(at(r, f"[worker-{r}] NCCL communicator was aborted on rank {r}.") for r in range(12))
    )

    (fold,) = fold_rows(rows)

    assert fold.count == 12
    assert fold.varied == ["rank 0–11"]


@pytest.mark.parametrize(
    ("values", "said"),
    [
        (["1", "137"], "1, 137"),
        (["2", "0", "1"], "0–2"),
        (["0", "2", "4"], "0, 2, 4"),
        (["0.5", "0.25", "1.0"], "0.25, 0.5, 1.0"),
        ([str(n * 3) for n in range(7)], "0–18"),
        (["a", "b", "c", "d", "e", "f", "g"], "a, b, c, d, e and 2 more"),
        (["12ms", "3s"], "12ms, 3s"),
    ],
)
def test_varied_values_are_summed_up_within_bounds(values: list[str], said: str) -> None:
    assert summarise(values) == said


def test_exact_repeats_show_their_text_and_no_varied_values() -> None:
    (fold,) = fold_rows(rows_of(at(1, "[worker-0] step 7 done"), at(2, "[worker-1] step 7 done")))

    assert fold.exact
    assert fold.text == "step 7 done"
    assert fold.varied == []


def test_a_different_word_is_not_a_repeat() -> None:
    rows = rows_of(at(1, "user alice logged in"), at(2, "user bob logged in"))

    assert [f.count for f in fold_rows(rows)] == [1, 1]


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


def test_the_failed_jobs_exit_codes_from_four_workers_are_one_folded_row(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "1"})

    row = exit_codes(response)
    cells = [c for c in row.children if isinstance(c, Node)]
    time_cell, level_cell, source_cell, message_cell = cells
    summary = message_cell.find("details", class_="fold").find("summary")
    assert summary.find("span", class_="fold-count").text == "4×"
    assert "Training finished. Exit code <n>." in summary.text
    assert "[worker-" not in summary.text
    assert summary.find("span", class_="fold-who").text == (
        "from worker-0, worker-1, worker-2, worker-3"
    )
    # Exit code 137 (worker-3) and 1 (the others): what varied, by the word before it.
    assert summary.find("span", class_="fold-varied").text == "code 1, 137"
    assert level_cell.text == "Error"
    assert source_cell.text == "Task"
    # From worker-3's exit to the others' 31 s later, its zone named.
    first, last = time_cell.find_all("time")
    assert first.attrs["datetime"] == "2026-11-20T02:21:54Z"
    assert last.attrs["datetime"] == "2026-11-20T02:22:25Z"
    assert last in time_cell.find("span", class_="fold-until").children


def test_the_nccl_aborts_of_three_ranks_fold_and_name_the_ranks(client: Client) -> None:
    response = client.get(EVENTS, {"fold": "1", "level": "Error"})

    (nccl,) = [r for r in folded(response) if "NCCL" in r.find("summary").text]
    summary = nccl.find("summary")
    assert "aborted on rank <n>." in summary.text
    assert summary.find("span", class_="fold-varied").text == "rank 0–2"


def test_a_fold_expands_in_place_to_its_rows_with_their_anchors_and_permalinks(
    client: Client,
) -> None:
    unfolded = {row.attrs["id"]: row.text for row in top_rows(client.get(EVENTS))}

    row = exit_codes(client.get(EVENTS, {"fold": "1"}))

    details = row.find("details", class_="fold")
    assert "open" not in details.attrs
    inner = details.find("table", class_="fold-rows").find("tbody").find_all("tr")
    assert [r.find("td", class_="message").text for r in inner] == [
        *(f"[worker-{w}] {EXIT_1}" for w in (2, 1, 0)),
        "[worker-3] Training finished. Exit code 137.",
    ]
    for inner_row in inner:
        anchor = inner_row.attrs["id"]
        # The same id as unfolded, and a permalink that keeps the fold.
        assert anchor in unfolded
        link = inner_row.find("a", class_="permalink").attrs["href"]
        assert link.endswith(f"#{anchor}")
        assert query_of(link) == {"fold": ["1"], "mark": [anchor]}


def test_each_fold_stands_where_its_first_row_stood_and_other_rows_keep_their_order(
    client: Client,
) -> None:
    plain = [row.attrs["id"] for row in top_rows(client.get(EVENTS))]

    items = top_rows(client.get(EVENTS, {"fold": "1"}))

    # The page unfolded, with each fold's rows after its first one left out,
    # is the page folded: every fold at its first row's place.
    shown: list[str] = []
    inside: set[str] = set()
    for item in items:
        if "folded" in item.classes:
            ids = [r.attrs["id"] for r in item.find("tbody").find_all("tr")]
            assert [plain.index(a) for a in ids] == sorted(plain.index(a) for a in ids)
            shown.append(ids[0])
            inside.update(ids[1:])
        else:
            shown.append(item.attrs["id"])
    assert shown == [anchor for anchor in plain if anchor not in inside]
    # Its rows need not be adjacent: an NCCL line from each worker comes between them.
    exits = [
        r.attrs["id"] for r in exit_codes(client.get(EVENTS, {"fold": "1"})).find_all("tr")[1:]
    ]
    first = plain.index(exits[0])
    assert [plain.index(anchor) for anchor in exits][:3] == [first, first + 2, first + 4]


def test_a_marked_row_inside_a_fold_opens_it(client: Client) -> None:
    row = exit_codes(client.get(EVENTS, {"fold": "1"}))
    anchor = row.find("tbody").find_all("tr")[1].attrs["id"]

    row = exit_codes(client.get(EVENTS, {"fold": "1", "mark": anchor}))

    assert "open" in row.find("details", class_="fold").attrs
    marked = row.find("tr", id=anchor)
    assert "marked" in marked.classes
    assert marked.attrs["aria-current"] == "true"
    others = [r for r in folded(client.get(EVENTS, {"fold": "1", "mark": anchor})) if r != row]
    assert all("open" not in r.find("details", class_="fold").attrs for r in others)


def test_folding_leaves_the_counts_and_pages_alone_and_says_it_is_per_page(
    client: Client,
) -> None:
    plain = html(client.get(EVENTS))
    folded_page = html(client.get(EVENTS, {"fold": "1"}))

    summary = folded_page.find("p", class_="summary")
    assert "Showing events 1–50 of 181." in summary.text
    assert summary.find("span", class_="fold-note").text == (
        "Repeated messages are folded within this page: 50 rows shown as 9."
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
    # The exit codes (4) and the NCCL aborts (3); OOMKilled and the job's failure stand alone.
    assert [r.find("span", class_="fold-count").text for r in folded(response)] == ["4×", "3×"]


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
