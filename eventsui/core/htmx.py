"""How a view tells an htmx swap from a page load."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


def wants_fragment(request: HttpRequest) -> bool:
    """Whether to answer with the swappable region only.

    A history-restore request (Back after htmx's cache missed) carries
    HX-Request too, but replaces the whole page, so it gets the page.
    """
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request
