"""The causes table: each rule matches the docs' wording, and the precedence holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventsui.failures import causes
from eventsui.failures.causes import CAUSES, RULES, Evidence, cause, diagnose
from eventsui.modelarts import Event, Job
from eventsui.modelarts.types import TaskStatus

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def event(message: str, level: str = "Error", source: str = "Task", at: int = 0) -> Event:
    when = T0 + timedelta(seconds=at)
    return Event(when, when.isoformat(), level, source, message)


def job(*statuses: tuple[str, int, str], phase: str = "Failed") -> Job:
    return Job(
        id="3faf5c03-aaa1-4cbe-879d-24b05d997347",
        name="a-job",
        phase=phase,
        task_statuses=tuple(TaskStatus(t, code, message) for t, code, message in statuses),
    )


def slug_of(*events: Event, statuses: tuple[tuple[str, int, str], ...] = (), log: str = "") -> str:
    return diagnose(job(*statuses), events, log).cause.slug


REQUIRED = (
    "out-of-memory", "communication", "image-pull", "scheduling", "data-download",
    "pre-check", "hang", "preempted", "max-duration", "user-code", "unknown",
)  # fmt: skip


def test_the_table_has_every_required_cause_once() -> None:
    slugs = [c.slug for c in CAUSES]
    assert sorted(slugs) == sorted(REQUIRED)
    assert all(c.title and c.explanation and c.what_to_try for c in CAUSES)


def test_cause_finds_a_slug_and_refuses_an_unknown_one() -> None:
    assert cause("hang").title == "The job hung"
    with pytest.raises(KeyError):
        cause("gremlins")


@pytest.mark.parametrize("rule", [r for r in RULES if r.cause.slug != "unknown"], ids=str)
def test_every_rule_matches_its_own_example_as_an_error_event(rule: causes.Rule) -> None:
    assert slug_of(event(rule.example)) == rule.cause.slug


# The docs' wording (upstream-api.md sections 7 and 8), as events, task messages or logs.
@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("[Pod: modelarts-job-3faf-worker-3] Container modelarts-training was OOMKilled.",
         "out-of-memory"),
        ("[worker-3] RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
         "out-of-memory"),
        ("[worker-0] InternalError: Dst tensor is not initialized.", "out-of-memory"),
        ("[worker-0] [Modelarts Service Log]Training end with return code: 137",
         "out-of-memory"),
        ("[worker-1] RuntimeError: NCCL communicator was aborted on rank 1.", "communication"),
        ("[worker-0] NCCL error in: ProcessGroupNCCL.cpp:825, unhandled system error",
         "communication"),
        ("[worker-2] HCCL error: hcclCommInitRootInfo failed", "communication"),
        ("[worker-0] RuntimeError: Address already in use: port 29500 is already in use",
         "communication"),
        ('[Pod: modelarts-job-0-worker-0] Failed to pull image "swr.example/x:1"', "image-pull"),
        ("[Pod: modelarts-job-0-worker-0] Error: ImagePullBackOff", "image-pull"),
        ("[Pod: modelarts-job-0-worker-0] Error: ErrImagePull", "image-pull"),
        ("[Job: modelarts-job-vit] 0/12 nodes are available: 12 Insufficient "
         "huawei.com/ascend-1980.", "scheduling"),
        ("[Pod: modelarts-job-0-worker-0] FailedScheduling: no nodes available", "scheduling"),
        ("Failed to create the training job: the flavor modelarts.p3.8xlarge.public is sold "
         "out in this region.", "scheduling"),
        ("ModelArts.0118: QuotaInsufficient", "scheduling"),
        ("Training job failed to be queued.", "scheduling"),
        ("[worker-0] Failed to download the training code (parameter: code_dir). Failure "
         "cause: NoSuchKey", "data-download"),
        ("[worker-0] Failed to download the training input (parameter: data_url). Failure "
         "cause: OBS 403 Forbidden", "data-download"),
        ("[worker-0] system container exited: OBS request throttled (503 SlowDown)",
         "data-download"),
        ("[worker-0] Pre-check failed. Error: the GPU driver is not ready", "pre-check"),
        ("The training job may be suspended: no output for 30 minutes.", "hang"),
        ("Hang detection: the training job is possibly hung.", "hang"),
        ("Training job is preempted.", "preempted"),
        ("Training job is stopped because it reached the maximum running duration.",
         "max-duration"),
        ("[worker-0] Training finished. Exit code 1.", "user-code"),
        ("Training job failed.", "unknown"),
    ],
)  # fmt: skip
def test_the_docs_wording_is_classified(message: str, slug: str) -> None:
    assert slug_of(event(message)) == slug


def test_a_message_that_only_looks_alike_is_not_a_cause() -> None:
    assert slug_of(event("[worker-0] Pre-check passed.", level="Info")) == "unknown"
    assert slug_of(event("[worker-0] NCCL INFO Bootstrap : Using eth0", level="Info")) == "unknown"
    assert slug_of(event("[worker-0] Training finished. Exit code 0.", level="Info")) == "unknown"


@pytest.mark.parametrize("code", [137, 247])
def test_exit_code_137_or_247_alone_is_out_of_memory(code: int) -> None:
    diagnosis = diagnose(job(("worker-2", code, "")), ())
    assert diagnosis.cause.slug == "out-of-memory"
    assert diagnosis.evidence == (
        Evidence("exit_code", f"worker-2 exited with code {code}", task="worker-2"),
    )


def test_a_task_message_is_evidence_with_its_task() -> None:
    diagnosis = diagnose(job(("worker-3", 9, "OOMKilled")), ())
    assert diagnosis.cause.slug == "out-of-memory"
    assert Evidence("task_message", "OOMKilled", task="worker-3") in diagnosis.evidence


def test_a_non_zero_exit_with_nothing_more_specific_is_user_code() -> None:
    diagnosis = diagnose(job(("worker-0", 0, ""), ("worker-1", 2, "")), ())
    assert diagnosis.cause.slug == "user-code"
    assert [e.task for e in diagnosis.evidence] == ["worker-1"]


def test_the_log_tail_can_decide_and_is_named_as_evidence() -> None:
    log = "epoch 1\nTraceback (most recent call last):\nRuntimeError: CUDA out of memory.\n"
    diagnosis = diagnose(job(("worker-0", 1, "")), (), log)
    assert diagnosis.cause.slug == "out-of-memory"
    assert diagnosis.evidence == (Evidence("log", "RuntimeError: CUDA out of memory."),)


def test_nothing_at_all_is_unknown_with_no_evidence() -> None:
    assert diagnose(job(phase="Abnormal"), ()) == causes.Diagnosis(cause("unknown"), ())


def test_out_of_memory_beats_the_communication_errors_it_caused_even_when_logged_later() -> None:
    aborted = event("[worker-0] RuntimeError: NCCL communicator was aborted on rank 0.", at=0)
    killed = event("[Pod: p-worker-3] Container was OOMKilled (exit code 137).", at=30)
    diagnosis = diagnose(job(("worker-0", 1, ""), ("worker-3", 137, "")), (aborted, killed))
    assert diagnosis.cause.slug == "out-of-memory"
    assert diagnosis.evidence[0].event == killed


def test_among_root_causes_the_earliest_evidence_wins() -> None:
    hung = event("Training job may be suspended: no output for 30 minutes.", at=0)
    oom = event("[worker-0] RuntimeError: CUDA out of memory.", at=60)
    assert slug_of(hung, oom) == "hang"
    assert slug_of(event("Training job may be suspended.", at=90), oom) == "out-of-memory"


def test_a_timed_event_beats_evidence_without_a_time() -> None:
    stopped = event("Training job is stopped: it reached the maximum running duration.")
    assert slug_of(stopped, statuses=(("worker-0", 137, "killed"),)) == "max-duration"


def test_waiting_for_nodes_then_failing_to_pull_the_image_is_image_pull() -> None:
    waiting = event("0/4 nodes are available: 4 Insufficient nvidia.com/gpu.", "Warning", at=0)
    pull = event('[Pod: p-worker-0] Failed to pull image "swr.example/x:1"', at=600)
    assert slug_of(waiting, pull) == "image-pull"


def test_evidence_is_in_time_order_and_bounded() -> None:
    many = [event(f"[worker-{i}] NCCL error: timeout", at=100 - i) for i in range(20)]
    diagnosis = diagnose(job(), many)
    assert diagnosis.cause.slug == "communication"
    assert len(diagnosis.evidence) == causes.MAX_EVIDENCE
    times = [e.event.time for e in diagnosis.evidence if e.event and e.event.time]
    assert times == sorted(times)


def test_the_sandbox_failed_job_is_out_of_memory_first_seen_as_the_cuda_error() -> None:
    from eventsui.sandbox import data

    sandbox_job = data.find_job(data.FAILED_JOB_ID)
    assert sandbox_job is not None
    events = [
        event(e.message, e.level, e.source, at=e.at - sandbox_job.created)
        for e in sandbox_job.events()
    ]
    statuses = tuple((t, code, m) for t, code, m in sandbox_job.task_statuses)
    diagnosis = diagnose(job(*statuses), events)
    assert diagnosis.cause.slug == "out-of-memory"
    assert "CUDA out of memory" in diagnosis.evidence[0].text
