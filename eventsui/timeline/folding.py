"""Fold repeats (fold=1): rows of the shown page that say the same thing, as one row.

The choices made here:

- Same thing: the same level and the same message template once a leading
  "[worker-N] " is removed, the template being the message with its
  variable parts masked (masking.py, the same masking as the patterns
  page): "rank 0", "rank 1" and "rank 2", or step counters, fold into one
  row, and so do "Exit code 1" and "Exit code 137" (the row then says which
  codes). Exact repeats fold as before and show their text; a fold whose
  rows differ shows the template, with its placeholders, and the values
  that varied, each named by the word before it ("rank 0-2", "code 1,
  137"): a run of whole numbers as its first and last, other numbers as a
  list or, past MAX_VALUES of them, their range, anything else as its first
  MAX_VALUES distinct values and how many more. A Kubernetes line's
  "[Pod: ...]" prefix is part of the message, so pods whose names differ
  only in a number fold too.
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

from .masking import Masked, mask

Row = tuple[Event, str, str]  # the event, its anchor, its permalink

WORKER_PREFIX = re.compile(r"\[(worker-(\d+))\]\s*")
# How many distinct values of a slot a fold lists before it says "and N more".
MAX_VALUES = 5
_LABEL = re.compile(r"([^\W\d_][\w-]*)[^\w]*$")


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
    masked: Masked
    rows: list[Row] = field(default_factory=list)
    texts: list[Masked] = field(default_factory=list)
    open: bool = False

    @property
    def exact(self) -> bool:
        """Whether every row says exactly the same (workers aside)."""
        return all(m.values == self.texts[0].values for m in self.texts)

    @property
    def text(self) -> str:
        """The message, or its template when the rows differ in masked values."""
        if not self.exact:
            return self.masked.template
        first = self.texts[0]
        return "".join(p + v for p, v in zip(first.parts, (*first.values, ""), strict=True))

    @property
    def varied(self) -> list[str]:
        """Each slot whose value differs between the rows, named and summed up."""
        found = []
        for slot, kind in enumerate(self.masked.kinds):
            values = list(dict.fromkeys(m.values[slot] for m in self.texts))
            if len(values) > 1:
                label = _LABEL.search(self.masked.parts[slot])
                name = label.group(1).rstrip("-") if label else f"<{kind}>"
                found.append(f"{name} {summarise(values)}")
        return found

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


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def summarise(values: list[str]) -> str:
    """Distinct values of one slot, in words (see the module docstring)."""
    numbers = {value: _number(value) for value in values}
    if all(n is not None for n in numbers.values()):
        ordered = sorted(values, key=lambda value: numbers[value] or 0.0)
        low, high = numbers[ordered[0]] or 0.0, numbers[ordered[-1]] or 0.0
        whole = all(value.isdigit() for value in values)
        run = whole and len(values) >= 3 and high - low == len(values) - 1
        if run or len(values) > MAX_VALUES:
            return f"{ordered[0]}–{ordered[-1]}"
        return ", ".join(ordered)
    shown = ", ".join(values[:MAX_VALUES])
    more = len(values) - MAX_VALUES
    return f"{shown} and {more} more" if more > 0 else shown


def fold_rows(rows: Sequence[Row], mark: str = "") -> list[Fold]:
    """The page's rows folded by level and message template, in the page's order."""
    folds: dict[tuple[str, object], Fold] = {}
    for row in rows:
        event, anchor, _ = row
        masked = mask(normalise(event.message))
        fold = folds.setdefault((event.level, masked.key), Fold(level=event.level, masked=masked))
        fold.rows.append(row)
        fold.texts.append(masked)
        fold.open = fold.open or (bool(mark) and anchor == mark)
    return list(folds.values())
