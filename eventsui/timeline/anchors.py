"""Stable ids for event rows, so that a row can be linked to and marked.

The upstream gives events no id, so one is derived from what an event says:
"ev-" and the first 12 hex digits of the SHA-256 of "<time>|<source>|<message>",
the time in the canonical URL form (UTC, Z; as ModelArts sent it when it could
not be read). The API records times to the second, so identical events do
happen: they are told apart by their rank in time order, the first keeping the
bare id and the next ones taking "-2", "-3" and so on. The rank is counted
within the rows shown, oldest first whichever order the page is in, so an id
is the same in either order and at any page size, as long as every copy of the
event is on the page.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

from eventsui.modelarts import Event
from eventsui.modelarts.types import Order

from .times import format_instant

ANCHOR_RE = re.compile(r"^ev-[0-9a-f]{12}(-[0-9]+)?$")


def event_key(event: Event) -> str:
    """The id of an event that has no identical twin before it."""
    when = format_instant(event.time) if event.time is not None else event.time_text
    material = f"{when}|{event.source}|{event.message}"
    return "ev-" + hashlib.sha256(material.encode()).hexdigest()[:12]


def anchors(events: Sequence[Event], order: Order) -> list[str]:
    """The id of each event, in the order given; order says which way time runs."""
    ids = [""] * len(events)
    seen: Counter[str] = Counter()
    indexes = range(len(events)) if order == "asc" else reversed(range(len(events)))
    for index in indexes:
        key = event_key(events[index])
        seen[key] += 1
        ids[index] = key if seen[key] == 1 else f"{key}-{seen[key]}"
    return ids
