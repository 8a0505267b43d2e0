"""Reading and writing the instants a timeline URL carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eventsui.timeline.times import (
    BadInstant,
    format_instant,
    format_picker_value,
    parse_instant,
)

CST = timezone(timedelta(hours=8))
EST = timezone(timedelta(hours=-5))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO 8601 with an offset, as ModelArts writes its times
        ("2026-11-20T10:00:00+08:00", utc(2026, 11, 20, 2, 0, 0)),
        ("2026-11-19T21:00:00-05:00", utc(2026, 11, 20, 2, 0, 0)),
        ("2026-11-20T02:00:00+00:00", utc(2026, 11, 20, 2, 0, 0)),
        ("2026-11-20T16:01:36.964+08:00", utc(2026, 11, 20, 8, 1, 36, 964000)),
        # Z, as the canonical URL writes them
        ("2026-11-20T02:00:00Z", utc(2026, 11, 20, 2, 0, 0)),
        ("2026-11-20T02:00:00.123Z", utc(2026, 11, 20, 2, 0, 0, 123000)),
        # No offset, as a datetime-local input sends it: read as UTC
        ("2026-11-20T02:00:00", utc(2026, 11, 20, 2, 0, 0)),
        ("2026-11-20T02:00", utc(2026, 11, 20, 2, 0, 0)),
        # Surrounding spaces are not part of the time
        ("  2026-11-20T02:00:00Z\n", utc(2026, 11, 20, 2, 0, 0)),
        # Epoch milliseconds, as the upstream's own example sends them
        ("1669449696964", utc(2022, 11, 26, 8, 1, 36, 964000)),
        ("1669711991259", utc(2022, 11, 29, 8, 53, 11, 259000)),
        ("0", utc(1970, 1, 1, 0, 0, 0)),
        ("1", utc(1970, 1, 1, 0, 0, 0, 1000)),
        ("999", utc(1970, 1, 1, 0, 0, 0, 999000)),
        ("253402300799999", utc(9999, 12, 31, 23, 59, 59, 999000)),
    ],
)
def test_it_reads_an_instant_as_an_aware_utc_datetime(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.microsecond == expected.microsecond


@pytest.mark.parametrize(
    "millis",
    # Values a float division (millis / 1000) lands a microsecond off.
    [1669449696964, 1669711991259, 1779242400123, 1700000000001, 1234567890999],
)
def test_it_reads_epoch_milliseconds_exactly_to_the_millisecond(millis: int) -> None:
    parsed = parse_instant(str(millis))

    assert (parsed - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1) == millis
    assert parsed.microsecond == millis % 1000 * 1000


@pytest.mark.parametrize(
    "text",
    [
        # not a time at all
        "",
        "   ",
        "yesterday",
        "now",
        "2026-11-20 02:00:00 UTC",
        "1e12",
        "1669449696964.5",
        "-1",
        "0x10",
        "²",
        # a time that does not exist
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-20T25:00:00Z",
        "2026-11-20T02:00:00+25:00",
        # before the epoch
        "1969-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        # past the year 9999
        "9999-12-31T23:59:59-01:00",
        "253402300800000",
        "999999999999999",
        "1000000000000000",
        "99999999999999999999999999999999",
    ],
)
def test_it_raises_bad_instant_for_garbage_and_out_of_range_times(text: str) -> None:
    with pytest.raises(BadInstant):
        parse_instant(text)


def test_bad_instant_is_a_value_error_with_a_message_for_the_reader() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("yesterday")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 11, 20, 2, 0, 0), "2026-11-20T02:00:00Z"),
        (datetime(2026, 11, 20, 10, 0, 0, tzinfo=CST), "2026-11-20T02:00:00Z"),
        (datetime(2026, 11, 19, 21, 0, 0, tzinfo=EST), "2026-11-20T02:00:00Z"),
        (utc(2022, 11, 26, 8, 1, 36, 964000), "2022-11-26T08:01:36.964Z"),
        (utc(2026, 11, 20, 2, 0, 0, 1000), "2026-11-20T02:00:00.001Z"),
        # Below a millisecond is more than a URL carries
        (utc(2026, 11, 20, 2, 0, 0, 123456), "2026-11-20T02:00:00.123Z"),
        (utc(2026, 11, 20, 2, 0, 0, 500), "2026-11-20T02:00:00Z"),
        (utc(1970, 1, 1, 0, 0, 0), "1970-01-01T00:00:00Z"),
    ],
)
def test_it_writes_an_instant_in_utc_with_z_and_milliseconds_only_when_present(
    moment: datetime, expected: str
) -> None:
    assert format_instant(moment) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T10:00:00+08:00",
        "2026-11-20T02:00:00",
        "1669449696964",
        "2026-11-20T02:00:00.123456Z",
        "2026-11-20T02:00:00.0005Z",
    ],
)
def test_the_written_form_reads_back_as_itself(text: str) -> None:
    written = format_instant(parse_instant(text))

    assert format_instant(parse_instant(written)) == written


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (None, ""),
        (utc(2026, 11, 20, 2, 0, 0), "2026-11-20T02:00:00"),
        (datetime(2026, 11, 20, 10, 0, 0, tzinfo=CST), "2026-11-20T02:00:00"),
        (datetime(2026, 11, 19, 21, 30, 15, tzinfo=EST), "2026-11-20T02:30:15"),
        # A datetime-local input with step=1 shows whole seconds
        (utc(2022, 11, 26, 8, 1, 36, 964000), "2022-11-26T08:01:36"),
    ],
)
def test_the_picker_shows_utc_wall_time_without_a_zone(
    moment: datetime | None, expected: str
) -> None:
    assert format_picker_value(moment) == expected
