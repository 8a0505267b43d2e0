"""How eventsui proves itself to ModelArts."""

from __future__ import annotations

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests import PreparedRequest
from requests.auth import AuthBase

from .iam import PasswordAuth
from .projects import Project
from .signing import INSTALL_HINT, AkSkAuth


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
    """The requests auth for a project's credentials (None: send none).

    Every auth has `secrets`, which the client redacts from upstream text,
    and a repr without them. IAM is asked through the client's session,
    with the same timeouts as ModelArts.
    """
    credentials = project.credentials
    if credentials.kind == "token":
        return TokenAuth(credentials.token)
    if credentials.kind == "password":
        return PasswordAuth(
            credentials,
            project.project_id,
            session,
            timeout=(settings.MODELARTS_CONNECT_TIMEOUT, settings.MODELARTS_READ_TIMEOUT),
        )
    if credentials.kind == "aksk":
        try:
            return AkSkAuth(
                credentials.access_key, credentials.secret_key, credentials.security_token
            )
        except ImportError:
            raise ImproperlyConfigured(
                f"project {project.project_id} signs with an access key: {INSTALL_HINT}"
            ) from None
    if credentials.kind == "none":
        return None
    raise ImproperlyConfigured(f"unknown credentials kind {credentials.kind!r}")
