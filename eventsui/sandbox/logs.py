"""The sandbox's task logs: what ShowTrainingJobLogsPreview answers for its jobs.

A task's log is written from the job's own events, so the two never disagree:
ModelArts' service lines first, then each `[worker-N]` Task event of that task
as the line the process printed, a Python traceback before an exception's
line, and `[Modelarts Service Log]Training end with return code: N` once the
task ended. So the failed job's worker-3 log ends with its CUDA out-of-memory
traceback and return code 137, a running job's log grows with its events, and
the hostile event texts (HTML, ANSI colours, bidi overrides) are in the logs
too.

What each job answers:
- a job that never started: 204 (ModelArts.2776 NotReadyToFetchLog) while it
  may still start (Pending, Creating), ModelArts.2818 LogFileNotGenerated once
  it ended (Abnormal);
- a task the job does not have: ModelArts.2818;
- otherwise 200 with the last PREVIEW_BYTES of the log. ModelArts cuts at
  5 MB; the sandbox cuts at 128 KiB so that its long job's logs (a week of
  steps) are cut, current_size < full_size, without holding megabytes each.
  Jobs that send their counts as strings answer as servers before 2022-03
  did: the text as `context`, the sizes as strings.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from . import data

PREVIEW_BYTES = 128 * 1024
_FINISHED = ("Failed", "Completed", "Terminated", "Abnormal")
_PREFIX = re.compile(r"\[(?P<task>[A-Za-z0-9_.-]+)\] ")
# A Python exception's line, as a worker's last words: "RuntimeError: ...".
_EXCEPTION = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.]*)?(?:Error|Exception|Interrupt): ")
_EXIT = re.compile(r"Training finished\. Exit code (-?\d+)\.")


@dataclass(frozen=True)
class LogAnswer:
    """200 with a preview, or 204 (text None) for a log not ready yet."""

    text: str | None
    current_size: int = 0
    full_size: int = 0


class LogNotGenerated(Exception):
    """ModelArts.2818: there is no log, and there will be none."""


def _tasks(job: data.SandboxJob) -> list[str]:
    return [f"worker-{i}" for i in range(job.node_count)]


def _clock(at: int) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _traceback(task: str, exception: str) -> list[str]:
    rank = task.rsplit("-", 1)[-1]
    return [
        "Traceback (most recent call last):",
        '  File "/home/ma-user/modelarts/user-job-dir/code/train.py", line 212, in <module>',
        "    main()",
        '  File "/home/ma-user/modelarts/user-job-dir/code/train.py", line 187, in main',
        "    loss = train_one_epoch(model, loader, optimizer, rank=" + rank + ")",
        '  File "/home/ma-user/modelarts/user-job-dir/code/engine.py", line 64, in train_one_epoch',
        "    loss.backward()",
        exception,
    ]


def _write(job: data.SandboxJob, task: str, now: float | None) -> str:
    """The whole log of one task, from the job's events up to now."""
    events = job.events(now)
    lines = [
        "[Modelarts Service Log]user: uid=1000(ma-user) gid=100(ma-group) groups=100(ma-group)",
        "[Modelarts Service Log]pwd: /home/ma-user",
        "[Modelarts Service Log]app_url: /home/ma-user/modelarts/user-job-dir/code/",
        "[Modelarts Service Log]boot_file: /home/ma-user/modelarts/user-job-dir/code/train.py",
        f"[Modelarts Service Log]log_url: /home/ma-user/modelarts/log/{task}.log",
        f"[Modelarts Service Log]local_rank: {task.rsplit('-', 1)[-1]}",
        f"[Modelarts Service Log]Training start at {_clock(job.started or job.created)}",
    ]
    exit_code: int | None = None
    for event in events:
        match = _PREFIX.match(event.message)
        if event.source.upper() != "TASK" or match is None or match["task"] != task:
            continue
        said = event.message[match.end() :]
        if ended := _EXIT.fullmatch(said):
            exit_code = int(ended.group(1))
            continue
        if _EXCEPTION.match(said):
            lines.extend(_traceback(task, said))
            continue
        lines.append(f"{_clock(event.at)} {said}")
    codes = {name: code for name, code, _ in job.task_statuses}
    exit_code = codes.get(task, exit_code)
    if job.phase in _FINISHED:
        if exit_code is None:
            # A stopped job's processes get SIGTERM (128 + 15).
            exit_code = {"Completed": 0, "Terminated": 143}.get(job.phase, 1)
        end = job.ended or (events[-1].at if events else job.created)
        lines.append(f"[Modelarts Service Log]Training end at {_clock(end)}")
        # The last line, as the docs show a task log ending.
        lines.append(f"[Modelarts Service Log]Training end with return code: {exit_code}")
    return "\n".join(lines) + "\n"


_written: dict[tuple[str, str], str] = {}
_written_lock = threading.Lock()


def _log(job: data.SandboxJob, task: str, now: float | None) -> str:
    if job.live:
        return _write(job, task, now)  # it grows: written afresh each time
    with _written_lock:
        text = _written.get((job.id, task))
        if text is None:
            text = _written[(job.id, task)] = _write(job, task, now)
    return text


def preview(job: data.SandboxJob, task: str, now: float | None = None) -> LogAnswer:
    """What ShowTrainingJobLogsPreview answers for one task of job."""
    if task not in _tasks(job):
        raise LogNotGenerated(task)
    if not job.started and not job.live:
        if job.phase in _FINISHED:
            raise LogNotGenerated(task)
        return LogAnswer(text=None)
    raw = _log(job, task, now).encode()
    shown = raw[-PREVIEW_BYTES:]
    if len(shown) < len(raw):
        # Cut at a line start, as a reader of a log would want it.
        shown = shown[shown.find(b"\n") + 1 :]
    return LogAnswer(
        text=shown.decode("utf-8", "replace"), current_size=len(shown), full_size=len(raw)
    )
