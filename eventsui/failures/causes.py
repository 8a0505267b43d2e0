"""Why a job failed, classified from its evidence by a table of rules.

RULES below is the table: one row per cause, with what it means, what to try,
the docs' own wording as its example, and its matchers:
- `text`: regular expressions (case-insensitive) searched in every event's
  message (whatever its level or source: ModelArts words these reliably), in
  every task's message (`status.task_statuses[].message`) and, when given, in
  each line of the failing task's log tail;
- `exit_codes`: task exit codes that decide it (137 and 247: the kernel's OOM
  killer), or `any_nonzero_exit` for the fallback of user code.

Precedence, when several rules match (a worker's death shows up as many
symptoms):
1. Root causes (the rows marked "root": max-duration, preempted, image-pull,
   data-download, pre-check, out-of-memory, hang) beat everything else. Among
   them the earliest evidence in time wins: an event's time; exit codes, task
   messages and log lines carry none and count as at the job's end, after
   every event. Ties go to the row higher in the table.
2. Symptoms ("symptom": communication, scheduling) apply only when no root
   cause matched: an NCCL abort is what the other workers see when one dies
   of out-of-memory, whichever is logged first, and a job that waited for
   nodes and then failed to pull its image failed on the image. Among them,
   again the earliest evidence wins.
3. `user-code` (a non-zero exit, nothing more specific), then `unknown`.

A diagnosis names its evidence: every item that matched the winning rule, in
time order (events first, by time; then exit codes, task messages and log
lines), at most MAX_EVIDENCE. Event evidence carries its Event, so a caller
can link the row on the timeline (eventsui.timeline.anchors.event_key).

Nothing here talks to ModelArts: callers pass the job, the events they have
(the first Error event is enough for most causes) and the log tail if read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from eventsui.modelarts import Event, Job

MAX_EVIDENCE = 8
# Log lines can be long; the evidence shows the start of one.
MAX_LINE = 300

Tier = Literal["root", "symptom", "fallback"]


@dataclass(frozen=True)
class Cause:
    """A cause as the reader sees it: title, explanation and advice in their language."""

    slug: str
    title: StrOrPromise
    explanation: StrOrPromise
    what_to_try: StrOrPromise


@dataclass(frozen=True)
class Evidence:
    kind: Literal["event", "exit_code", "task_message", "log"]
    text: str
    event: Event | None = None
    task: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    cause: Cause
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Rule:
    cause: Cause
    tier: Tier
    # The wording the docs quote (upstream-api.md sections 7 and 8); tested.
    example: str
    text: tuple[str, ...] = ()
    exit_codes: frozenset[int] = field(default_factory=frozenset)
    any_nonzero_exit: bool = False

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in _compiled(self))


# fmt: off
RULES: tuple[Rule, ...] = (
    Rule(
        Cause("max-duration", _("Stopped at its maximum running duration"),
              _("ModelArts stopped the job because it ran for the longest time it was allowed."),
              _("Raise the job's maximum running duration, or checkpoint and resume from the "
              "last checkpoint.")),
        "root", "Training job is stopped because it reached the maximum running duration.",
        text=(r"\bmaximum (running )?(duration|time)\b", r"\bmax[_ ]running[_ ](duration|time)\b"),
    ),
    Rule(
        Cause("preempted", _("Preempted"),
              _("The job's resources were taken by a job of higher priority."),
              _("Resubmit it, raise its priority, or run it on a dedicated pool.")),
        "root", "Training job is preempted.",
        text=(r"\bpreempt(ed|ion|ing)?\b",),
    ),
    Rule(
        Cause("image-pull", _("The image could not be pulled"),
              _("A node could not pull the job's container image: a wrong name or tag, a "
              "private image without access, or the registry unreachable."),
              _("Check the image URL and tag in SWR, that it is shared with this account, "
              "and that the pool's network reaches the registry.")),
        "root", '[Pod: modelarts-job-worker-0] Failed to pull image "swr.example/x:1": '
        "ErrImagePull",
        text=(r"\bErrImagePull\b", r"\bImagePullBackOff\b", r"\bFailed to pull image\b",
              r"\bBack-off pulling image\b"),
    ),
    Rule(
        Cause("data-download", _("The code or input could not be downloaded"),
              _("A worker failed to download the training code or input from OBS: a "
              "missing object, no permission (403) or OBS throttling."),
              _("Check that the OBS paths exist, that the job's agency may read them, and "
              "retry later if OBS was throttling.")),
        "root", "[worker-0] Failed to download the training input (parameter: data_url). "
        "Failure cause: OBS 403 Forbidden",
        text=(r"\bFailed to download\b", r"\bOBS\b.{0,120}\b(403|Forbidden|AccessDenied|"
              r"throttl\w*|SlowDown|too many requests)\b", r"\bNoSuch(Key|Bucket)\b"),
    ),
    Rule(
        Cause("pre-check", _("The pre-check failed"),
              _("ModelArts checks each node before training starts, and a check failed."),
              _("Read the check's error in the event; resubmit, since a faulty node is "
              "usually taken out of the pool.")),
        "root", "[worker-0] Pre-check failed. Error: the GPU driver is not ready",
        text=(r"\bPre-?check failed\b",),
    ),
    Rule(
        Cause("out-of-memory", _("Out of memory"),
              _("A worker ran out of memory (host memory: the kernel killed it with exit "
              "code 137; or GPU/NPU memory)."),
              _("Lower the batch size, use gradient accumulation or mixed precision, or "
              "pick a flavour with more memory.")),
        "root", "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
        text=(r"\bOOMKilled\b", r"\bout of memory\b", r"\bDst tensor is not initialized\b",
              r"\breturn code:? ?(137|247)\b", r"\bexit code:? ?(137|247)\b"),
        exit_codes=frozenset({137, 247}),
    ),
    Rule(
        Cause("hang", _("The job hung"),
              _("ModelArts' hang detection saw no process output for the detection time "
              "(MA_HANG_DETECT_TIME, 30 minutes by default)."),
              _("Look for a deadlock or a stuck collective at the end of the log; print "
              "progress, or raise MA_HANG_DETECT_TIME for long silent steps.")),
        "root", "Training job may be suspended: no output for 30 minutes.",
        text=(r"\bmay be (suspended|hung|hanging)\b", r"\bhang detect", r"\bpossibly hung\b",
              r"\bsuspected (of )?hang"),
    ),
    Rule(
        Cause("communication", _("Communication between workers failed"),
              _("NCCL or HCCL collective communication failed: often the consequence of "
              "another worker dying, otherwise the network between nodes."),
              _("Look for the first worker that failed; if none did first, check the "
              "network, NCCL_SOCKET_IFNAME and that port 29500 is free.")),
        "symptom", "RuntimeError: NCCL communicator was aborted on rank 1.",
        text=(r"\bcommunicator was aborted\b", r"\b[NH]CCL\b.{0,120}\b(error|abort\w*|fail\w*|"
              r"timeout|timed out)\b", r"\bunhandled system error\b",
              r"\bport 29500\b.{0,40}\bin use\b"),
    ),
    Rule(
        Cause("scheduling", _("No resources to run it"),
              _("The job could not be scheduled: no node had the resources it asked for, "
              "the flavour is sold out, or the quota is used up."),
              _("Pick another flavour or pool, fewer nodes, or wait; ask for more quota "
              "(ModelArts.0118).")),
        "symptom", "0/12 nodes are available: 12 Insufficient nvidia.com/gpu.",
        text=(r"\bFailedScheduling\b", r"\b0/\d+ nodes are available\b", r"\bsold out\b",
              r"\bModelArts\.0118\b", r"\bQuotaInsufficient\b", r"\bFailed to be queued\b"),
    ),
    Rule(
        Cause("user-code", _("The training code exited with an error"),
              _("A worker's process exited with a non-zero code and nothing more specific "
              "was found."),
              _("Read the failing worker's log: the traceback before the exit is the reason.")),
        "fallback", "[worker-0] Training finished. Exit code 1.",
        text=(r"\b(exit|return) code:? ?[1-9][0-9]*\b",),
        any_nonzero_exit=True,
    ),
    Rule(
        Cause("unknown", _("Unknown"),
              _("Nothing in the events or the task statuses says why."),
              _("Read the job's events and its workers' logs.")),
        "fallback", "Training job failed.",
    ),
)
# fmt: on

CAUSES: tuple[Cause, ...] = tuple(rule.cause for rule in RULES)
_BY_SLUG = {c.slug: c for c in CAUSES}
_UNKNOWN = _BY_SLUG["unknown"]
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    rule.cause.slug: tuple(re.compile(p, re.IGNORECASE) for p in rule.text) for rule in RULES
}
# Evidence without a time counts as after every event.
_LATE = datetime.max.replace(tzinfo=UTC)


def _compiled(rule: Rule) -> tuple[re.Pattern[str], ...]:
    return _PATTERNS.get(rule.cause.slug) or tuple(re.compile(p, re.I) for p in rule.text)


def cause(slug: str) -> Cause:
    """The cause of that slug; KeyError for an unknown one."""
    return _BY_SLUG[slug]


def _evidence(
    rule: Rule, job: Job, events: Sequence[Event], log_lines: Sequence[str]
) -> list[tuple[datetime, Evidence]]:
    """Every item that matches rule, each with its time (_LATE when it has none)."""
    found = [
        (event.time or _LATE, Evidence("event", event.message, event=event))
        for event in events
        if rule.matches(event.message)
    ]
    found.sort(key=lambda item: item[0])
    for status in job.task_statuses:
        code = status.exit_code
        if code and (code in rule.exit_codes or rule.any_nonzero_exit):
            text = f"{status.task} exited with code {code}"
            found.append((_LATE, Evidence("exit_code", text, task=status.task)))
    for status in job.task_statuses:
        if status.message and rule.matches(status.message):
            found.append((_LATE, Evidence("task_message", status.message, task=status.task)))
    for line in log_lines:
        if rule.matches(line):
            found.append((_LATE, Evidence("log", line.strip()[:MAX_LINE])))
    return found


def diagnose(job: Job, events: Sequence[Event], log_tail: str = "") -> Diagnosis:
    """The cause of a job's failure by the table's precedence, with its evidence."""
    log_lines = log_tail.splitlines()
    matched: dict[Tier, list[tuple[datetime, int, Rule, list[Evidence]]]] = {
        "root": [],
        "symptom": [],
        "fallback": [],
    }
    for index, rule in enumerate(RULES):
        found = _evidence(rule, job, events, log_lines)
        if found:
            earliest = min(when for when, _ in found)
            matched[rule.tier].append((earliest, index, rule, [e for _, e in found]))
    for tier in ("root", "symptom", "fallback"):
        if matched[tier]:
            _, _, rule, evidence = min(matched[tier], key=lambda m: (m[0], m[1]))
            return Diagnosis(rule.cause, tuple(evidence[:MAX_EVIDENCE]))
    return Diagnosis(_UNKNOWN, ())
