from __future__ import annotations

from django.http import HttpRequest

from eventsui.modelarts import uses_sandbox


def upstream(request: HttpRequest) -> dict[str, object]:
    """Whether pages show sandbox data, which every page must say."""
    return {"sandbox": uses_sandbox()}
