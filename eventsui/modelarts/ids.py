"""The identifiers that go into upstream paths, and the rules they must meet."""

from __future__ import annotations

import re

# Huawei's newer docs: 1-64 letters, digits and hyphens.
PROJECT_ID_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
# Job ids are UUIDs in every example; letters, digits, '-' and '_' cover them
# and anything similar, and leave nothing ('/', '?', '#', '..', controls) that
# could change the upstream path or query.
JOB_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# Task ids come from the job's status.tasks ("worker-0", "launcher"); a dot is
# allowed, but never first, so no id is "." or ".." and none holds a '/'.
TASK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_project_id(value: str) -> bool:
    return PROJECT_ID_RE.fullmatch(value) is not None


def is_job_id(value: str) -> bool:
    return JOB_ID_RE.fullmatch(value) is not None


def is_task_id(value: str) -> bool:
    return TASK_ID_RE.fullmatch(value) is not None


_API_PATH_RE = re.compile(r"/v[0-9]+/([A-Za-z0-9-]{1,64})(?:/|$)")


def project_in_path(path: str) -> str | None:
    """The project id in a ModelArts API path (/v2/{project_id}/...), if there is one."""
    match = _API_PATH_RE.match(path)
    return match.group(1) if match else None
