"""The First/Previous/Next/Last links every paged list shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str | None  # None: shown, but not a link (already there)
