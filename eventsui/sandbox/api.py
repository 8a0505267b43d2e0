"""The sandbox's HTTP contract: the ModelArts calls eventsui makes, as ModelArts answers them.

It validates as the documentation says the service does and answers in the
service's error shape, so the client meets the same refusals here as there.
Where the real behaviour is unconfirmed, it takes the less convenient reading
or makes it a switch (SandboxOptions) so the tests cover both.
"""

from __future__ import annotations

import json
import re
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from . import data, logs

UPSTREAM_ZONE = timezone(timedelta(hours=8))
_PROJECT_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
_LOG_PATH = re.compile(
    r"/v2/(?P<project>[^/]+)/training-jobs/(?P<job>[^/]+)/tasks/(?P<task>[^/]+)/logs/preview"
)
_EVENTS_PATH = re.compile(r"/v2/(?P<project>[^/]+)/training-jobs/(?P<job>[^/]+)/events")
_JOB_PATH = re.compile(r"/v2/(?P<project>[^/]+)/training-jobs/(?P<job>[^/]+)")
_SEARCH_PATH = re.compile(r"/v2/(?P<project>[^/]+)/training-job-searches")


@dataclass(frozen=True)
class SandboxOptions:
    # The docs read `offset` as a record offset, the SDKs as a page index.
    events_offset: Literal["records", "pages"] = "records"
    # `source` is in the docs but not in the SDKs: the server may ignore it.
    applies_source: bool = True


@dataclass(frozen=True)
class SandboxResponse:
    status: int
    body: bytes
    headers: dict[str, str]


def _json(status: int, payload: Any) -> SandboxResponse:
    return SandboxResponse(
        status=status,
        body=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-Request-Id": uuid.uuid4().hex},
    )


def _error(status: int, code: str, message: str) -> SandboxResponse:
    return _json(status, {"error_code": code, "error_msg": message})


def _bad_request() -> SandboxResponse:
    # The documented example of a refused events query, word for word: the
    # service does not say which parameter it disliked.
    return _error(400, "ModelArts.50004000", "Bad request.")


def _job_not_found(job_id: str) -> SandboxResponse:
    return _error(400, "ModelArts.2775", f"Training job {job_id[:64]} not found.")


def upstream_time(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UPSTREAM_ZONE).isoformat(timespec="seconds")


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
        language: str | None = None,
    ) -> SandboxResponse:
        """One call; `language` is its X-Language (zh-cn: Chinese where the sandbox has it)."""
        path = path.rstrip("/") or "/"
        if match := _LOG_PATH.fullmatch(path):
            if method != "GET":
                return _error(405, "APIGW.0101", "Method not allowed.")
            return self.log_preview(match["project"], match["job"], match["task"])
        if match := _EVENTS_PATH.fullmatch(path):
            if method != "GET":
                return _error(405, "APIGW.0101", "Method not allowed.")
            return self.list_events(match["project"], match["job"], query, language or "en-us")
        if match := _SEARCH_PATH.fullmatch(path):
            if method != "POST":
                return _error(405, "APIGW.0101", "Method not allowed.")
            return self.search_jobs(match["project"], body)
        if match := _JOB_PATH.fullmatch(path):
            if method != "GET":
                return _error(405, "APIGW.0101", "Method not allowed.")
            return self.show_job(match["project"], match["job"])
        return _error(
            404, "APIGW.0101", "The API does not exist or has not been published in the environment"
        )

    # -- ListTrainingJobEvents ----------------------------------------------------

    def list_events(
        self, project_id: str, job_id: str, query: dict[str, list[str]], language: str = "en-us"
    ) -> SandboxResponse:
        if not _PROJECT_RE.fullmatch(project_id):
            return _error(400, "ModelArts.0101", "Invalid project id.")
        params: dict[str, str] = {}
        for key, values in query.items():
            if len(values) != 1:
                return _bad_request()
            params[key] = values[0]
        try:
            offset = _int_param(params, "offset", 0, minimum=0)
            limit = _int_param(params, "limit", 50, minimum=1, maximum=100)
        except ValueError:
            return _bad_request()
        order = params.get("order", "desc")
        level = params.get("level")
        source = params.get("source")
        pattern = params.get("pattern")
        start_text, end_text = params.get("start_time"), params.get("end_time")
        if order not in ("asc", "desc"):
            return _bad_request()
        if level is not None and level not in ("Info", "Warning", "Error"):
            return _bad_request()
        if source is not None and source not in ("K8S", "Job", "Task"):
            return _bad_request()
        if pattern is not None and len(pattern) > 256:
            return _bad_request()
        if (start_text is None) != (end_text is None):
            return _bad_request()
        start_ms = end_ms = None
        if start_text is not None and end_text is not None:
            if not (start_text.isdigit() and end_text.isdigit()):
                return _bad_request()
            start_ms, end_ms = int(start_text), int(end_text)
            if start_ms > end_ms:
                return _bad_request()

        job = data.find_job(job_id)
        if job is None:
            return _job_not_found(job_id)

        events = job.events()
        if start_ms is not None and end_ms is not None:
            # Events come oldest first: a window is two bisections, not a scan,
            # so a job of 100,000 events still answers a page in a few ms.
            first_in = bisect_left(events, start_ms, key=lambda e: e.at * 1000)
            events = events[first_in : bisect_right(events, end_ms, key=lambda e: e.at * 1000)]
        if level:
            events = [e for e in events if e.level == level]
        if source and self.options.applies_source:
            events = [e for e in events if e.source.upper() == source.upper()]
        if pattern:
            # Either language's text: a shared link finds the same rows for every reader.
            events = [
                e
                for e in events
                if pattern in e.message or pattern in data.message_in(e.message, language)
            ]
        if order == "desc":
            events = events[::-1]
        first = offset if self.options.events_offset == "records" else offset * limit
        window = events[first : first + limit]

        def count(value: int) -> int | str:
            return str(value) if job.counts_as_strings else value

        payload: dict[str, Any] = {
            "total": count(len(events)),
            "limit": count(limit),
            "offset": count(offset),
            "order": order,
        }
        if start_ms is not None and end_ms is not None:
            # Echoed as the service does: ISO 8601 in its own zone, to the second.
            payload["start_time"] = upstream_time(start_ms // 1000)
            payload["end_time"] = upstream_time(end_ms // 1000)
        payload["events"] = [
            {
                "time": upstream_time(e.at),
                "level": e.level,
                "message": data.message_in(e.message, language),
                "source": e.source,
            }
            for e in window
        ]
        return _json(200, payload)

    # -- ShowTrainingJobDetails ----------------------------------------------------

    def show_job(self, project_id: str, job_id: str) -> SandboxResponse:
        if not _PROJECT_RE.fullmatch(project_id):
            return _error(400, "ModelArts.0101", "Invalid project id.")
        job = data.find_job(job_id)
        if job is None:
            return _job_not_found(job_id)
        return _json(200, job_json(job))

    # -- ShowTrainingJobLogsPreview -------------------------------------------------

    def log_preview(self, project_id: str, job_id: str, task: str) -> SandboxResponse:
        if not _PROJECT_RE.fullmatch(project_id):
            return _error(400, "ModelArts.0101", "Invalid project id.")
        job = data.find_job(job_id)
        if job is None:
            return _job_not_found(job_id)
        try:
            answer = logs.preview(job, task)
        except logs.LogNotGenerated:
            return _error(400, "ModelArts.2818", "The log file is not generated.")
        if answer.text is None:
            # ModelArts.2776 NotReadyToFetchLog, answered as the docs say: 204, no body.
            return SandboxResponse(status=204, body=b"", headers={"X-Request-Id": uuid.uuid4().hex})
        if job.counts_as_strings:
            # As servers before 2022-03 answered: `context`, and sizes as strings.
            return _json(
                200,
                {
                    "context": answer.text,
                    "current_size": str(answer.current_size),
                    "full_size": str(answer.full_size),
                },
            )
        return _json(
            200,
            {
                "content": answer.text,
                "current_size": answer.current_size,
                "full_size": answer.full_size,
            },
        )

    # -- ListTrainingJobs -----------------------------------------------------------

    def search_jobs(self, project_id: str, body: bytes) -> SandboxResponse:
        if not _PROJECT_RE.fullmatch(project_id):
            return _error(400, "ModelArts.0101", "Invalid project id.")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "ModelArts.2788", "Invalid request body.")
        if not isinstance(request, dict):
            return _error(400, "ModelArts.2788", "Invalid request body.")
        page, limit = request.get("offset", 0), request.get("limit", 10)
        if not isinstance(page, int) or page < 0:
            return _error(400, "ModelArts.2788", "Invalid offset.")
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            return _error(400, "ModelArts.2788", "Invalid limit.")
        if request.get("sort_by", "create_time") != "create_time":
            return _error(400, "ModelArts.2790", "Unsupported sort_by.")
        order = request.get("order", "desc")
        selected = data.jobs()
        for item in request.get("filters") or []:
            if not isinstance(item, dict):
                return _error(400, "ModelArts.2788", "Invalid filter.")
            key, operator, values = item.get("key"), item.get("operator"), item.get("value")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return _error(400, "ModelArts.2809", "Invalid filter value.")
            if key == "name" and operator == "like":
                selected = [j for j in selected if any(v in j.name for v in values)]
            elif key == "phase" and operator == "in":
                selected = [j for j in selected if j.phase in values]
            elif key == "create_time" and operator == "between":
                window_ms = _between_ms(values)
                if window_ms is None:
                    return _error(400, "ModelArts.2809", "Invalid filter value.")
                low, high = window_ms
                selected = [j for j in selected if low <= j.created * 1000 <= high]
            elif key in ("name", "phase", "create_time"):
                return _error(400, "ModelArts.2808", "Unsupported filter operator.")
            else:
                return _error(400, "ModelArts.2807", "Unsupported filter key.")
        if order == "asc":
            selected = selected[::-1]
        window = selected[page * limit : page * limit + limit]
        return _json(
            200,
            {
                "total": len(data.jobs()),
                "count": len(selected),
                "limit": limit,
                "offset": page,
                "sort_by": "create_time",
                "order": order,
                "group_by": "",
                "workspace_id": "0",
                "ai_project": "default-ai-project",
                "items": [job_json(j) for j in window],
            },
        )


def _between_ms(values: list[str]) -> tuple[int, int] | None:
    """Two epoch-millisecond strings, low first (our reading of the docs), or None."""
    if len(values) != 2 or not all(v.isascii() and v.isdigit() for v in values):
        return None
    low, high = int(values[0]), int(values[1])
    return (low, high) if low <= high else None


def _int_param(
    params: dict[str, str], name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise ValueError(name)
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(name)
    return value


def job_json(job: data.SandboxJob) -> dict[str, Any]:
    return {
        "kind": "job",
        "metadata": {
            "id": job.id,
            "name": job.name,
            "description": job.description,
            "create_time": job.created * 1000,
            "workspace_id": "0",
            "user_name": job.user_name,
            "annotations": {"job_template": "Template DL"},
        },
        "status": {
            "phase": job.phase,
            "secondary_phase": job.secondary_phase,
            "duration": job.duration_ms(),
            "start_time": job.started * 1000 if job.started else 0,
            "node_count_metrics": [],
            "tasks": [f"worker-{i}" for i in range(job.node_count)],
            "task_statuses": [
                {"task": task, "exit_code": code, "message": message}
                for task, code, message in job.task_statuses
            ],
        },
        "algorithm": {
            "engine": {
                "engine_name": job.engine[0],
                "engine_version": job.engine[1],
                "image_url": data.IMAGE,
            }
        },
        "spec": {
            "resource": {
                "flavor_id": job.flavor_id,
                "flavor_name": job.flavor_name,
                "node_count": job.node_count,
                "flavor_detail": {"flavor_type": job.flavor_type},
            }
        },
        "endpoints": {},
    }
