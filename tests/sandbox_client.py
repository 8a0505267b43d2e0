"""A real ModelArts client talking to the in-process sandbox, recording what it sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from eventsui.modelarts import SANDBOX_ENDPOINT
from eventsui.modelarts.auth import TokenAuth
from eventsui.modelarts.client import ClientConfig, ModelArtsClient, new_session
from eventsui.sandbox.adapter import SandboxAdapter
from eventsui.sandbox.api import SandboxOptions


class RecordingAdapter(SandboxAdapter):
    """The sandbox's adapter, noting the query of every request it answers."""

    def __init__(self, options: SandboxOptions) -> None:
        super().__init__(options)
        self.queries: list[dict[str, list[str]]] = []

    def send(self, request, **kwargs):
        self.queries.append(parse_qs(urlsplit(request.url).query))
        return super().send(request, **kwargs)


def sandbox_client(
    mode: str = "records",
    *,
    applies_source: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> ModelArtsClient:
    """A client over a RecordingAdapter; mode is the sandbox's events_offset."""
    session = new_session()
    adapter = RecordingAdapter(SandboxOptions(events_offset=mode, applies_source=applies_source))
    session.mount(SANDBOX_ENDPOINT, adapter)
    return ModelArtsClient(
        ClientConfig(endpoint=SANDBOX_ENDPOINT, events_offset=mode),
        auth=TokenAuth("sandbox-token"),
        session=session,
        sleep=sleep,
    )


def sent_queries(client: ModelArtsClient) -> list[dict[str, list[str]]]:
    """The query of every request a sandbox_client has sent, in order."""
    adapter = client.session.get_adapter(SANDBOX_ENDPOINT + "/")
    assert isinstance(adapter, RecordingAdapter)
    return adapter.queries
