"""How eventsui proves itself to ModelArts."""

from __future__ import annotations

import requests
from requests import PreparedRequest
from requests.auth import AuthBase

from .projects import Project


class TokenAuth(AuthBase):
    """A static IAM token sent as X-Auth-Token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["X-Auth-Token"] = self._token
        return request

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a page or a log line."""
        return (self._token,)

    def __repr__(self) -> str:
        # Never the token itself, should this object end up in a log.
        return "TokenAuth(<redacted>)"


def build_auth(project: Project, session: requests.Session) -> AuthBase | None:
    """The requests auth for a project's credentials (None: send none)."""
    credentials = project.credentials
    if credentials.kind == "token":
        return TokenAuth(credentials.token)
    if credentials.kind == "none":
        return None
    raise NotImplementedError(f"{credentials.kind} authentication is not available yet")
