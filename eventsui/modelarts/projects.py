"""The projects eventsui may read, each with its region endpoint and credentials.

This list is the allowlist that keeps the portal from being an open proxy: a
project id that is not here is never sent upstream. It comes from
EVENTSUI_PROJECTS (JSON, or a JSON file named by EVENTSUI_PROJECTS_FILE), or,
when that is unset, from the single-project variables MODELARTS_ENDPOINT,
MODELARTS_PROJECT_ID and MODELARTS_AUTH_TOKEN; with nothing set, the sandbox.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .ids import is_project_id

AuthKind = Literal["none", "token", "password", "aksk"]
SECRET_FIELDS = ("token", "password", "secret_key", "security_token")


class ProjectsConfigError(ValueError):
    """EVENTSUI_PROJECTS cannot be used; the message names the entry and field."""


@dataclass(frozen=True)
class Credentials:
    """How eventsui signs in to one project. repr() never shows a secret."""

    kind: AuthKind = "none"
    token: str = field(default="", repr=False)
    # IAM password authentication (POST {iam_endpoint}/v3/auth/tokens).
    iam_endpoint: str = ""
    username: str = ""
    domain: str = ""
    password: str = field(default="", repr=False)
    # AK/SK request signing (SDK-HMAC-SHA256), optionally temporary.
    access_key: str = ""
    secret_key: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every value that must never appear in a page or a log line."""
        return tuple(s for s in (getattr(self, name) for name in SECRET_FIELDS) if s)

    @property
    def identity(self) -> str:
        """Who the calls run as, for cache keys: a digest, never the secrets."""
        if self.kind == "none":
            return "anonymous"
        material = json.dumps([(f.name, getattr(self, f.name)) for f in fields(self)])
        return hashlib.sha256(b"eventsui.credentials\0" + material.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    # "" means the embedded sandbox.
    endpoint: str = ""
    region: str = ""
    credentials: Credentials = field(default_factory=Credentials)

    @property
    def sandbox(self) -> bool:
        return not self.endpoint


def _secret(entry: dict[str, Any], name: str, where: str) -> str:
    """A secret given inline, in a file (<name>_file) or an env variable (<name>_env)."""
    given = [k for k in (name, f"{name}_file", f"{name}_env") if entry.get(k)]
    if len(given) > 1:
        raise ProjectsConfigError(f"{where}: give only one of {', '.join(given)}")
    if not given:
        return ""
    key = given[0]
    value = entry[key]
    if not isinstance(value, str):
        raise ProjectsConfigError(f"{where}: {key} must be a string")
    if key.endswith("_file"):
        try:
            return Path(value).read_text().strip()
        except OSError as exc:
            raise ProjectsConfigError(f"{where}: {key} cannot be read ({exc.strerror})") from None
    if key.endswith("_env"):
        secret = os.environ.get(value, "")
        if not secret:
            raise ProjectsConfigError(f"{where}: the variable named by {key} is not set")
        return secret
    return value


def _text(entry: dict[str, Any], name: str, where: str, *, required: bool = False) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        raise ProjectsConfigError(f"{where}: {name} must be a string")
    if required and not value:
        raise ProjectsConfigError(f"{where}: {name} is required")
    return value.strip()


def _credentials(entry: dict[str, Any], where: str) -> Credentials:
    kind = entry.get(
        "auth",
        "token" if any(entry.get(k) for k in ("token", "token_file", "token_env")) else "none",
    )
    if kind == "none":
        return Credentials()
    if kind == "token":
        token = _secret(entry, "token", where)
        if not token:
            raise ProjectsConfigError(f"{where}: auth token needs token, token_file or token_env")
        return Credentials(kind="token", token=token)
    if kind == "password":
        password = _secret(entry, "password", where)
        if not password:
            raise ProjectsConfigError(f"{where}: auth password needs password(_file/_env)")
        iam_endpoint = _text(entry, "iam_endpoint", where, required=True).rstrip("/")
        if not iam_endpoint.startswith(("https://", "http://")):
            raise ProjectsConfigError(f"{where}: iam_endpoint must be an http(s) URL")
        return Credentials(
            kind="password",
            iam_endpoint=iam_endpoint,
            username=_text(entry, "username", where, required=True),
            domain=_text(entry, "domain", where, required=True),
            password=password,
        )
    if kind == "aksk":
        secret_key = _secret(entry, "secret_key", where)
        if not secret_key:
            raise ProjectsConfigError(f"{where}: auth aksk needs secret_key(_file/_env)")
        return Credentials(
            kind="aksk",
            access_key=_secret(entry, "access_key", where)
            or _text(entry, "access_key", where, required=True),
            secret_key=secret_key,
            security_token=_secret(entry, "security_token", where),
        )
    raise ProjectsConfigError(f"{where}: auth must be none, token, password or aksk")


def parse_projects(text: str) -> tuple[Project, ...]:
    """Projects from EVENTSUI_PROJECTS' JSON: a list of objects (see the README)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectsConfigError(f"EVENTSUI_PROJECTS is not valid JSON ({exc.msg})") from None
    if not isinstance(raw, list) or not raw:
        raise ProjectsConfigError("EVENTSUI_PROJECTS must be a non-empty JSON list of objects")
    projects: list[Project] = []
    for index, entry in enumerate(raw):
        where = f"EVENTSUI_PROJECTS[{index}]"
        if not isinstance(entry, dict):
            raise ProjectsConfigError(f"{where} is not an object")
        project_id = _text(entry, "project_id", where, required=True)
        if not is_project_id(project_id):
            raise ProjectsConfigError(f"{where}: project_id must be 1-64 letters, digits or '-'")
        if any(p.project_id == project_id for p in projects):
            raise ProjectsConfigError(f"{where}: project_id {project_id} is listed twice")
        endpoint = _text(entry, "endpoint", where).rstrip("/")
        if not endpoint and entry.get("sandbox") is not True:
            # An entry that forgot its endpoint must not quietly show fake data.
            raise ProjectsConfigError(f'{where}: endpoint is required (or "sandbox": true)')
        if endpoint and not endpoint.startswith(("https://", "http://")):
            raise ProjectsConfigError(f"{where}: endpoint must be an http(s) URL")
        projects.append(
            Project(
                project_id=project_id,
                name=_text(entry, "name", where) or project_id,
                endpoint=endpoint,
                region=_text(entry, "region", where),
                credentials=_credentials(entry, where),
            )
        )
    return tuple(projects)


def single_project(endpoint: str, project_id: str, token: str, default_id: str) -> Project | None:
    """The project the single-project variables describe, if any."""
    if endpoint and not project_id:
        return None
    project_id = project_id or default_id
    credentials = Credentials(kind="token", token=token) if token else Credentials()
    name = "Sandbox project" if not endpoint else project_id
    return Project(project_id=project_id, name=name, endpoint=endpoint, credentials=credentials)
