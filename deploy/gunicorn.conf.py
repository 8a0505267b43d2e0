"""gunicorn's settings for every production start: make serve-production, the image, the tests.

Threaded workers (gthread), not sync ones. gunicorn's own design notes say
sync workers assume "applications that do not perform long blocking calls",
and that anything streaming or long-polling needs an async or threaded worker
class: a sync worker is busy for the whole length of one request, so two long
exports held both workers and /healthz waited behind them. A gthread worker
runs each request in one of `threads` threads, and its main loop keeps
answering gunicorn's heartbeat whatever the threads are doing, so `timeout`
only catches a wedged process, never a long download (gunicorn's docs: for
non-sync workers the timeout "is not tied to the length of time required to
handle a single request"). Everything eventsui waits on is network I/O
(ModelArts, Redis, the database), which releases the GIL, so threads serve
concurrent readers well.

Each value comes from the environment, so the container and the cluster test
size it without another file (README, "Running in production").
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Enough threads that exports (at most 2 per user) and live-tail polls leave
# room for everyone else; each idle thread costs little memory.
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# A worker whose main loop is silent this long is wedged and restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart or scale-down, requests in progress get this long to finish;
# an export still running then ends with its incomplete marker (it checks a
# shutdown flag between pages), never mid-row.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
accesslog = "-"
# Behind nginx or a Kubernetes Service: the proxy's address only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests that hold nothing after the worker forked: the app loads per worker.
preload_app = False


def post_worker_init(worker: object) -> None:
    """On SIGTERM, tell long responses first (eventsui/core/shutdown.py), then stop as usual."""
    import signal

    from eventsui.core import shutdown

    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        shutdown.stopping.set()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)


def child_exit(server: object, worker: object) -> None:
    """Drop a dead worker's live gauges from the shared metrics (prometheus-client multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
