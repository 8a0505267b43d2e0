"""The service layer: everything eventsui knows about the ModelArts API.

Views call get_client() and get typed results or a ModelArtsError; nothing
else in the project imports requests or sees upstream JSON.
"""

from __future__ import annotations

import threading

from django.conf import settings

from .auth import TokenAuth
from .cache import CachedModelArtsClient, auth_identity
from .client import ClientConfig, new_session
from .errors import JobNotFound, ModelArtsError
from .types import Event, EventPage, EventQuery, Job, JobPage

SANDBOX_ENDPOINT = "http://modelarts.sandbox.invalid"

_clients: dict[tuple[object, ...], CachedModelArtsClient] = {}
_clients_lock = threading.Lock()


def uses_sandbox() -> bool:
    return not settings.MODELARTS_ENDPOINT


def default_project_id() -> str:
    if settings.MODELARTS_PROJECT_ID:
        return str(settings.MODELARTS_PROJECT_ID)
    if uses_sandbox():
        from eventsui.sandbox.data import DEFAULT_PROJECT_ID

        return DEFAULT_PROJECT_ID
    return ""


def get_client() -> CachedModelArtsClient:
    """The process's client for the configured endpoint (one Session each), cached."""
    endpoint = settings.MODELARTS_ENDPOINT or SANDBOX_ENDPOINT
    config = ClientConfig(
        endpoint=endpoint,
        connect_timeout=settings.MODELARTS_CONNECT_TIMEOUT,
        read_timeout=settings.MODELARTS_READ_TIMEOUT,
        events_offset=settings.MODELARTS_EVENTS_OFFSET,
    )
    token = settings.MODELARTS_AUTH_TOKEN
    key = (config, token)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            session = new_session()
            if endpoint == SANDBOX_ENDPOINT:
                from eventsui.sandbox.adapter import SandboxAdapter

                session.mount(SANDBOX_ENDPOINT, SandboxAdapter())
            client = CachedModelArtsClient(
                config,
                identity=auth_identity(token),
                auth=TokenAuth(token) if token else None,
                session=session,
            )
            _clients[key] = client
        return client


__all__ = [
    "SANDBOX_ENDPOINT",
    "Event",
    "EventPage",
    "EventQuery",
    "Job",
    "JobNotFound",
    "JobPage",
    "ModelArtsError",
    "default_project_id",
    "get_client",
    "uses_sandbox",
]
