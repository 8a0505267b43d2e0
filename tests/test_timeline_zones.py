"""The viewer's time zone: cookies, conversion (DST too), pickers, every time naming its zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, RequestFactory

from eventsui.modelarts.parsing import parse_iso_time
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID
from eventsui.timeline.forms import EventFiltersForm
from eventsui.timeline.times import format_picker_value, parse_instant
from eventsui.timeline.zones import (
    format_time,
    offset_label,
    parse_zone,
    viewer_zone,
    zone_label,
)
from tests.html_tree import Node, html

pytestmark = pytest.mark.django_db

EVENTS = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/"
HISTOGRAM = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}/events/histogram/"
HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A time as the page prints it: wall time, then "UTC" or an abbreviation (or
# an IANA name) with the offset.
ZONED = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})? "
    r"(UTC|[A-Za-z][A-Za-z0-9_+/-]* \(UTC[+-]\d\d:\d\d\))$"
)


def zone_client(zone: str | None = None, mode: str | None = None) -> Client:
    client = Client()
    if zone is not None:
        client.cookies["tz"] = zone
    if mode is not None:
        client.cookies["tzmode"] = mode
    return client


def times(node: Node) -> list[str]:
    return [t.text for t in node.find_all("time")]


# -- cookies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookies", "name", "browser"),
    [
        ({}, "UTC", ""),
        ({"tz": "Asia/Shanghai"}, "Asia/Shanghai", "Asia/Shanghai"),
        (
            {"tz": "America/Argentina/Buenos_Aires"},
            "America/Argentina/Buenos_Aires",
            "America/Argentina/Buenos_Aires",
        ),
        ({"tz": "Etc/GMT+5"}, "Etc/GMT+5", "Etc/GMT+5"),
        ({"tz": "Asia/Shanghai", "tzmode": "utc"}, "UTC", "Asia/Shanghai"),
        ({"tz": "Asia/Shanghai", "tzmode": "local"}, "Asia/Shanghai", "Asia/Shanghai"),
        ({"tz": "Asia/Shanghai", "tzmode": "bogus"}, "Asia/Shanghai", "Asia/Shanghai"),
        # A browser in UTC sees the UTC page.
        ({"tz": "Etc/UTC"}, "UTC", "Etc/UTC"),
        ({"tz": "UTC"}, "UTC", "UTC"),
        # Anything zoneinfo does not know, or that is not a zone name at all: UTC.
        ({"tz": "Mars/Olympus_Mons"}, "UTC", ""),
        ({"tz": "Etc/Unknown"}, "UTC", ""),
        ({"tz": "America"}, "UTC", ""),
        ({"tz": "../../etc/passwd"}, "UTC", ""),
        ({"tz": "/etc/localtime"}, "UTC", ""),
        ({"tz": "Europe/Berlin\x00"}, "UTC", ""),
        ({"tz": "Europe/" + "x" * 80}, "UTC", ""),
        ({"tz": ""}, "UTC", ""),
    ],
)
def test_it_reads_the_viewer_zone_from_the_cookies(
    cookies: dict[str, str], name: str, browser: str
) -> None:
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    zone = viewer_zone(request)
    assert (zone.name, zone.browser) == (name, browser)
    assert zone.is_utc == (name == "UTC")
    if zone.is_utc:
        assert zone.tz is UTC


def test_the_toggle_is_offered_only_for_a_browser_outside_utc() -> None:
    request = RequestFactory().get("/")
    assert not viewer_zone(request).can_toggle
    request.COOKIES["tz"] = "Etc/UTC"
    assert not viewer_zone(request).can_toggle
    request.COOKIES["tz"] = "Europe/Berlin"
    assert viewer_zone(request).can_toggle
    request.COOKIES["tzmode"] = "utc"
    assert viewer_zone(request).can_toggle


def test_parse_zone_refuses_what_is_not_a_zone() -> None:
    assert parse_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    for name in ("", "Europe", "Europe/../Asia/Tokyo", "Europe/Berlin;x", "C:\\zone"):
        assert parse_zone(name) is None


# -- conversion and labels ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "printed"),
    [
        ("2026-11-20T02:21:54Z", UTC, "2026-11-20 02:21:54 UTC"),
        ("2026-11-20T02:21:54Z", SHANGHAI, "2026-11-20 10:21:54 CST (UTC+08:00)"),
        ("2026-11-20T02:21:54Z", ZoneInfo("Europe/Berlin"), "2026-11-20 03:21:54 CET (UTC+01:00)"),
        ("2026-07-20T02:21:54Z", ZoneInfo("Europe/Berlin"), "2026-07-20 04:21:54 CEST (UTC+02:00)"),
        (
            "2026-11-20T02:21:54Z",
            ZoneInfo("Asia/Kathmandu"),
            "2026-11-20 08:06:54 Asia/Kathmandu (UTC+05:45)",
        ),
        # No letters in the tz data's abbreviation ("+08"): the IANA name instead.
        (
            "2026-11-20T02:21:54Z",
            ZoneInfo("Asia/Singapore"),
            "2026-11-20 10:21:54 Asia/Singapore (UTC+08:00)",
        ),
        (
            "2026-11-20T02:21:54Z",
            ZoneInfo("America/St_Johns"),
            "2026-11-19 22:51:54 NST (UTC-03:30)",
        ),
        # The upstream's own strings, +08:00, land on the viewer's zone.
        ("2026-11-20T10:21:54+08:00", SHANGHAI, "2026-11-20 10:21:54 CST (UTC+08:00)"),
        ("2026-11-20T10:21:54+08:00", UTC, "2026-11-20 02:21:54 UTC"),
        ("2026-11-20T10:21:54+08:00", NEW_YORK, "2026-11-19 21:21:54 EST (UTC-05:00)"),
    ],
)
def test_a_time_is_printed_in_the_zone_with_its_label(
    moment: str, zone: ZoneInfo, printed: str
) -> None:
    parsed = parse_iso_time(moment)
    assert parsed is not None
    assert format_time(parsed, zone) == printed
    assert ZONED.match(printed)


def test_milliseconds_are_printed_when_asked() -> None:
    moment = datetime(2026, 11, 20, 2, 21, 54, 250_000, tzinfo=UTC)
    assert format_time(moment, SHANGHAI, millis=True) == "2026-11-20 10:21:54.250 CST (UTC+08:00)"


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (0, "UTC+00:00"),
        (8 * 3600, "UTC+08:00"),
        (-4 * 3600, "UTC-04:00"),
        (-(3 * 3600 + 1800), "UTC-03:30"),
        (20700, "UTC+05:45"),
        (29143, "UTC+08:05:43"),
    ],
)
def test_offset_labels(seconds: int, label: str) -> None:
    assert offset_label(timedelta(seconds=seconds)) == label


def test_gmt_keeps_its_offset_but_utc_does_not_repeat_it() -> None:
    london = datetime(2026, 11, 20, 2, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/London"))
    assert zone_label(london) == "GMT (UTC+00:00)"
    assert zone_label(datetime(2026, 11, 20, tzinfo=UTC)) == "UTC"


# -- DST: naive picker times in the repeated and the skipped hour -------------------------


@pytest.mark.parametrize(
    ("naive", "utc", "printed"),
    [
        # The day clocks go forward: 02:00-03:00 does not exist. fold=0 reads
        # it with the offset before the change (EST), which is 03:30 EDT.
        ("2026-03-08T02:30:00", "2026-03-08T07:30:00Z", "2026-03-08 03:30:00 EDT (UTC-04:00)"),
        ("2026-03-08T01:59:59", "2026-03-08T06:59:59Z", "2026-03-08 01:59:59 EST (UTC-05:00)"),
        ("2026-03-08T03:00:00", "2026-03-08T07:00:00Z", "2026-03-08 03:00:00 EDT (UTC-04:00)"),
        # The day clocks go back: 01:00-02:00 happens twice. fold=0: the first, EDT.
        ("2026-11-01T01:30:00", "2026-11-01T05:30:00Z", "2026-11-01 01:30:00 EDT (UTC-04:00)"),
        ("2026-11-01T00:59:59", "2026-11-01T04:59:59Z", "2026-11-01 00:59:59 EDT (UTC-04:00)"),
        ("2026-11-01T02:00:00", "2026-11-01T07:00:00Z", "2026-11-01 02:00:00 EST (UTC-05:00)"),
    ],
)
def test_a_naive_time_around_a_dst_change_is_read_with_fold_0(
    naive: str, utc: str, printed: str
) -> None:
    moment = parse_instant(naive, NEW_YORK)
    assert moment == datetime.fromisoformat(utc)
    assert format_time(moment, NEW_YORK) == printed


def test_the_second_of_the_repeated_hours_is_printed_with_its_own_offset() -> None:
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert format_time(first, NEW_YORK) == "2026-11-01 01:30:00 EDT (UTC-04:00)"
    assert format_time(second, NEW_YORK) == "2026-11-01 01:30:00 EST (UTC-05:00)"


# -- pickers --------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK, ZoneInfo("Asia/Kathmandu"), UTC])
def test_a_picker_value_reads_back_as_the_same_instant(zone: ZoneInfo) -> None:
    moment = datetime(2026, 11, 20, 2, 21, 54, tzinfo=UTC)
    value = format_picker_value(moment, zone)
    assert parse_instant(value, zone) == moment


def test_a_picker_shows_wall_time_in_the_viewer_zone() -> None:
    moment = datetime(2026, 11, 20, 2, 21, 54, tzinfo=UTC)
    assert format_picker_value(moment, SHANGHAI) == "2026-11-20T10:21:54"
    assert format_picker_value(moment) == "2026-11-20T02:21:54"


def test_the_form_reads_naive_times_in_its_zone_and_offsets_as_given() -> None:
    form = EventFiltersForm(
        {"start_time": "2026-11-20T10:00:00", "end_time": "2026-11-20T11:00:00+08:00"},
        zone=SHANGHAI,
    )
    assert form.is_valid(), form.errors
    query = form.to_query()
    assert query.start == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert query.end == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_an_htmx_filter_change_reads_the_pickers_in_the_viewer_zone() -> None:
    response = zone_client("Asia/Shanghai").get(
        f"{EVENTS}?start_time=2026-11-20T10:00:00&end_time=2026-11-20T10:10:00", **HTMX
    )
    assert response.status_code == 200
    pushed = parse_qs(urlsplit(response["HX-Push-Url"]).query)
    # The URL stays absolute: the same events for a viewer in any zone.
    assert pushed == {"start_time": ["2026-11-20T02:00:00Z"], "end_time": ["2026-11-20T02:10:00Z"]}


def test_the_plain_form_redirects_naive_times_to_absolute_ones() -> None:
    response = zone_client("America/New_York").get(
        f"{EVENTS}?start_time=2026-11-19T21:00:00&end_time=2026-11-19T21:30:00&level="
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{EVENTS}?start_time=2026-11-20T02%3A00%3A00Z&end_time=2026-11-20T02%3A30%3A00Z"
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-08T02:30:00", "2026-03-08T03:30:00"),
        ("2026-11-01T01:15:00", "2026-11-01T01:45:00"),
    ],
)
def test_pickers_in_a_skipped_or_repeated_hour_do_not_fail(start: str, end: str) -> None:
    response = zone_client("America/New_York").get(
        f"{EVENTS}?start_time={start}&end_time={end}", **HTMX
    )
    assert response.status_code == 200


def test_a_url_shows_the_same_events_in_every_zone() -> None:
    url = f"{EVENTS}?start_time=2026-11-20T02:00:00Z&end_time=2026-11-20T02:10:00Z"
    datetimes = {
        zone: [t.attrs["datetime"] for t in html(zone_client(zone).get(url)).find_all("time")]
        for zone in ("Asia/Shanghai", "America/New_York", "UTC")
    }
    assert datetimes["Asia/Shanghai"] == datetimes["America/New_York"] == datetimes["UTC"]


# -- the page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        (None, "UTC"),
        ("Asia/Shanghai", "CST (UTC+08:00)"),
        ("America/New_York", "EST (UTC-05:00)"),
    ],
)
def test_every_time_on_the_page_names_its_zone(zone: str | None, label: str) -> None:
    url = f"{EVENTS}?start_time=2026-11-20T02:00:00Z&end_time=2026-11-20T02:30:00Z"
    document = html(zone_client(zone).get(url))
    shown = times(document)
    # The heading's created and started, the summary's two, and the rows.
    assert len(shown) > 4
    for text in shown:
        assert ZONED.match(text), text
        assert text.endswith(label), text


def test_the_zone_in_use_is_printed_beside_the_pickers_and_the_column() -> None:
    document = html(zone_client("Asia/Shanghai").get(EVENTS))
    labels = {label.attrs["for"]: label.text for label in document.find_all("label")}
    assert labels["id_start_time"] == "From (Asia/Shanghai)"
    assert labels["id_end_time"] == "To (Asia/Shanghai)"
    header = document.find("table", class_="events").find("thead").find_all("th")[0]
    assert header.text == "Time (Asia/Shanghai)"
    note = document.find("p", class_="viewer-zone")
    assert note.text.startswith("Times are in Asia/Shanghai, your browser's zone.")
    assert note.attrs["data-viewer-zone"] == "Asia/Shanghai"
    assert note.find("button", class_="zone-toggle").attrs["data-tzmode"] == "utc"


def test_without_a_cookie_the_page_is_in_utc_and_says_so() -> None:
    document = html(zone_client().get(EVENTS))
    note = document.find("p", class_="viewer-zone")
    assert note.text == "Times are in UTC."
    assert note.attrs["data-browser-zone"] == ""
    assert not note.find_all("button")
    labels = {label.attrs["for"]: label.text for label in document.find_all("label")}
    assert labels["id_start_time"] == "From (UTC)"


def test_utc_mode_offers_the_browser_zone_back() -> None:
    document = html(zone_client("Asia/Shanghai", "utc").get(EVENTS))
    note = document.find("p", class_="viewer-zone")
    assert note.text.startswith("Times are in UTC, not your browser's Asia/Shanghai.")
    button = note.find("button", class_="zone-toggle")
    assert (button.attrs["data-tzmode"], button.text) == ("local", "Show Asia/Shanghai")
    for text in times(document):
        assert text.endswith(" UTC")


def test_the_pickers_show_an_absolute_range_in_the_viewer_zone() -> None:
    url = f"{EVENTS}?start_time=2026-11-20T02:00:00Z&end_time=2026-11-20T02:30:00Z"
    document = html(zone_client("Asia/Shanghai").get(url))
    assert document.find("input", id="id_start_time").attrs["value"] == "2026-11-20T10:00:00"
    assert document.find("input", id="id_end_time").attrs["value"] == "2026-11-20T10:30:00"


def test_the_histogram_titles_are_in_the_viewer_zone() -> None:
    response = zone_client("Asia/Shanghai").get(
        f"{HISTOGRAM}?start_time=2026-11-20T02:00:00Z&end_time=2026-11-20T02:30:00Z"
    )
    assert response.status_code == 200
    assert "Cookie" in response["Vary"]
    text = response.content.decode()
    # From the window's first event to the end of its last second, in whole seconds.
    assert "from 2026-11-20 10:00:07 CST (UTC+08:00) to 2026-11-20 10:22:32 CST" in text
    assert "Times in Asia/Shanghai." in text
    assert " UTC</text>" not in text


# -- caching ------------------------------------------------------------------------


def vary(response: object) -> set[str]:
    return {v.strip().lower() for v in response["Vary"].split(",")}  # type: ignore[index]


def test_the_page_and_the_fragment_vary_on_the_cookie() -> None:
    assert {"cookie", "hx-request"} <= vary(zone_client().get(EVENTS))
    assert {"cookie", "hx-request"} <= vary(zone_client().get(EVENTS, **HTMX))


def test_each_zone_has_its_own_etag_and_304() -> None:
    utc = zone_client().get(EVENTS)
    shanghai_client = zone_client("Asia/Shanghai")
    shanghai = shanghai_client.get(EVENTS)
    assert utc["ETag"] != shanghai["ETag"]

    again = shanghai_client.get(EVENTS, HTTP_IF_NONE_MATCH=shanghai["ETag"])
    assert again.status_code == 304
    assert "cookie" in vary(again)
    # Another zone's ETag does not validate this zone's page.
    assert shanghai_client.get(EVENTS, HTTP_IF_NONE_MATCH=utc["ETag"]).status_code == 200
