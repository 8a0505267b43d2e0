"""Reading and writing the instants a timeline URL carries."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django.utils.translation import gettext as _


class BadInstant(ValueError):
    pass


def parse_instant(text: str, zone: tzinfo = UTC) -> datetime:
    """An aware datetime from ISO 8601 (offset or Z) or epoch milliseconds.

    An ISO time without an offset is read in `zone`, the viewer's zone that
    the From/To pickers print beside them (a datetime-local input sends no
    zone; UTC when the viewer's zone is unknown). A wall time that a DST
    change repeats or skips is read with fold=0: the earlier of the two, or,
    in a gap, with the offset in force before it (zones.py).
    """
    text = text.strip()
    if not text:
        raise BadInstant(_("Enter a time."))
    # Checked before the try below, which would replace its message.
    if text.isdigit() and len(text) > 15:
        raise BadInstant(_("That epoch-milliseconds value is out of range."))
    try:
        if text.isdigit():
            millis = int(text)
            # Integer arithmetic: a float division can land a microsecond off.
            moment = datetime.fromtimestamp(millis // 1000, tz=UTC).replace(
                microsecond=millis % 1000 * 1000
            )
        else:
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise BadInstant(
            _("Enter a time as ISO 8601 (2026-11-20T02:00:00Z) or epoch milliseconds.")
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone, fold=0)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59-01:00 parses, but is past the last UTC datetime.
        raise BadInstant(_("That time is out of range.")) from None
    if not 1970 <= moment.year <= 9999:
        raise BadInstant(_("That time is out of range."))
    return moment


def format_instant(moment: datetime) -> str:
    """The canonical URL form: UTC with Z, milliseconds only when present."""
    moment = moment.astimezone(UTC)
    # Below a millisecond is dropped: .000Z would not read back as itself.
    if moment.microsecond // 1000:
        text = moment.isoformat(timespec="milliseconds")
    else:
        text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def format_picker_value(moment: datetime | None, zone: tzinfo = UTC) -> str:
    """The value a datetime-local input shows: wall time in `zone`, no zone."""
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
