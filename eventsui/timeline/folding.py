"""Fold repeats (fold=1): rows of the shown page that say the same thing, as one row.

The choices made here:

- Same thing: the same level and the same message once a leading
  "[worker-N] " is removed, so one line printed by many workers folds into
  one. Nothing else is normalised: digits are kept, as "Exit code 1" and
  "Exit code 137" (or "step 100" and "step 200") are different news, and a
  Kubernetes line's "[Pod: ...]" prefix is kept, as it names the pod.
- Within the page only. Folding is a display choice: the counts, the pages
  and their links are those of the unfolded timeline, and a message repeated
  on the next page is folded there separately.
- Repeats need not be adjacent: every row of the page with the same text
  joins the first one, which keeps its place in the page's order. A repeat
  far apart is still the same noise, and the span says how far apart.
- A fold shows the count, the workers (in number order) and sources
  involved, and the time span, earliest to latest. It is a <details>; open,
  it lists the rows themselves with their anchors and permalinks, and it is
  open from the start when it holds the row the URL marks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from eventsui.modelarts import Event

Row = tuple[Event, str, str]  # the event, its anchor, its permalink

WORKER_PREFIX = re.compile(r"\[(worker-(\d+))\]\s*")


def worker_of(message: str) -> str | None:
    """The worker named by the message's leading "[worker-N] ", if any."""
    match = WORKER_PREFIX.match(message)
    return match.group(1) if match else None


def normalise(message: str) -> str:
    """The message as folding compares it: without its leading worker prefix."""
    match = WORKER_PREFIX.match(message)
    return message[match.end() :] if match else message


@dataclass
class Fold:
    """One row of a folded page: a message and every row of the page that says it."""

    level: str
    text: str
    rows: list[Row] = field(default_factory=list)
    open: bool = False

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def first_row(self) -> Row:
        return self.rows[0]

    @property
    def workers(self) -> list[str]:
        named = {worker for e, _, _ in self.rows if (worker := worker_of(e.message))}
        return sorted(named, key=lambda name: int(name.rpartition("-")[2]))

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(e.source for e, _, _ in self.rows))

    @property
    def first(self) -> datetime | None:
        return min((e.time for e, _, _ in self.rows if e.time is not None), default=None)

    @property
    def last(self) -> datetime | None:
        return max((e.time for e, _, _ in self.rows if e.time is not None), default=None)


def fold_rows(rows: Sequence[Row], mark: str = "") -> list[Fold]:
    """The page's rows folded by level and normalised message, in the page's order."""
    folds: dict[tuple[str, str], Fold] = {}
    for row in rows:
        event, anchor, _ = row
        text = normalise(event.message)
        fold = folds.setdefault((event.level, text), Fold(level=event.level, text=text))
        fold.rows.append(row)
        fold.open = fold.open or (bool(mark) and anchor == mark)
    return list(folds.values())
