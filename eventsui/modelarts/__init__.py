"""The service layer: everything eventsui knows about the ModelArts API.

Views call get_client() and get typed results or a ModelArtsError; nothing
else in the project imports requests or sees upstream JSON.
"""

from __future__ import annotations

import threading

from django.conf import settings

from .auth import build_auth
from .cache import CachedModelArtsClient
from .client import ClientConfig, new_session
from .errors import JobNotFound, ModelArtsError
from .projects import Project, single_project
from .types import Event, EventPage, EventQuery, Job, JobPage

SANDBOX_ENDPOINT = "http://modelarts.sandbox.invalid"

_clients: dict[tuple[object, ...], CachedModelArtsClient] = {}
_clients_lock = threading.Lock()


def configured_projects() -> tuple[Project, ...]:
    """The allowlist: EVENTSUI_PROJECTS, else the single-project settings."""
    if settings.EVENTSUI_PROJECTS:
        return tuple(settings.EVENTSUI_PROJECTS)
    from eventsui.sandbox.data import DEFAULT_PROJECT_ID

    project = single_project(
        settings.MODELARTS_ENDPOINT,
        settings.MODELARTS_PROJECT_ID,
        settings.MODELARTS_AUTH_TOKEN,
        DEFAULT_PROJECT_ID,
    )
    return (project,) if project else ()


def find_project(project_id: str) -> Project | None:
    return next((p for p in configured_projects() if p.project_id == project_id), None)


def default_project() -> Project | None:
    projects = configured_projects()
    return projects[0] if projects else None


def default_project_id() -> str:
    project = default_project()
    return project.project_id if project else ""


def uses_sandbox() -> bool:
    project = default_project()
    return project.sandbox if project else not settings.MODELARTS_ENDPOINT


def get_client(project: Project | None = None) -> CachedModelArtsClient:
    """The process's client for a project's endpoint and credentials, cached.

    One client (one requests.Session, so pooled connections) per endpoint and
    set of credentials; projects that share both share it.
    """
    if project is None:
        project = default_project() or Project(
            project_id="", name="", endpoint=settings.MODELARTS_ENDPOINT
        )
    endpoint = project.endpoint or SANDBOX_ENDPOINT
    config = ClientConfig(
        endpoint=endpoint,
        connect_timeout=settings.MODELARTS_CONNECT_TIMEOUT,
        read_timeout=settings.MODELARTS_READ_TIMEOUT,
        events_offset=settings.MODELARTS_EVENTS_OFFSET,
    )
    key = (config, project.credentials.identity, settings.SANDBOX_APPLIES_SOURCE)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            session = new_session()
            if endpoint == SANDBOX_ENDPOINT:
                from eventsui.sandbox.adapter import SandboxAdapter
                from eventsui.sandbox.api import SandboxOptions

                options = SandboxOptions(
                    events_offset=settings.MODELARTS_EVENTS_OFFSET,
                    applies_source=settings.SANDBOX_APPLIES_SOURCE,
                )
                session.mount(SANDBOX_ENDPOINT, SandboxAdapter(options))
            client = CachedModelArtsClient(
                config,
                identity=project.credentials.identity,
                auth=build_auth(project, session),
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
    "Project",
    "configured_projects",
    "default_project",
    "default_project_id",
    "find_project",
    "get_client",
    "uses_sandbox",
]
