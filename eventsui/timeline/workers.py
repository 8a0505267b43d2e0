"""Which events are one worker's: the rule behind the timeline's `worker=` filter.

A job's task ids come from its `status.tasks` ("worker-0", "worker-1", ...).
ModelArts writes a task's own lines with the task id in brackets at the start
(`[worker-1] Training started.`), and the Kubernetes events of the task's pod
name the pod, whose name is the job's, then the task id, then at most one
generated suffix (`[Pod: modelarts-job-3faf5c03-worker-1] Started container`,
`[Pod: resnet-worker-1-5xk2p] ...`; the job-level `[Job: ...] Created pod:
...-worker-1` too). So an event is worker T's when

| the message                          | example (T = worker-1)                          |
|--------------------------------------|-------------------------------------------------|
| starts with "[T]"                    | `[worker-1] Pre-check passed.`                  |
| names a pod ending in "-T"           | `[Pod: modelarts-job-3faf5c03-worker-1] Pulling` |
| names a pod ending in "-T-<suffix>"  | `[Pod: resnet-worker-1-5xk2p] Started container` |
| names such a pod as a job event's    | `[Job: ...] Created pod: resnet-worker-1`        |

and never when the id is only a prefix of another: `worker-1` does not match
`[worker-10]` or `...-worker-10`. ModelArts' own `pattern=worker-1` (a
case-sensitive substring) matches every such event and more, so the upstream
is narrowed with it and the rule decides here.
"""

from __future__ import annotations

import re

# Where a Kubernetes event names a pod: its prefix, or a job event's object.
_POD_NAME = re.compile(r"^\[Pod: ([^\]\s]+)\]|\b(?:Created|Deleted) pod: ([^\s\]]+)")


def pod_of_task(pod: str, task: str) -> bool:
    """Whether a pod name is task's: "-<task>" at its end, or before one last suffix."""
    return re.search(rf"-{re.escape(task)}(?:-[a-z0-9]+)?$", pod) is not None


def is_workers(message: str, task: str) -> bool:
    """Whether an event message is task's own line or about its pod (see the module docstring)."""
    if message.startswith(f"[{task}]"):
        return True
    for match in _POD_NAME.finditer(message):
        pod = match.group(1) or match.group(2)
        if pod and pod_of_task(pod, task):
            return True
    return False
