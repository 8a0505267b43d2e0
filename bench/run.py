"""The benchmark behind the README's Performance section: `make bench`.

One run starts, all on 127.0.0.1 and all stopped at the end (failure, Ctrl-C and
the --max-seconds watchdog included):

- the sandbox as a real HTTP stub (eventsui.sandbox.server) that waits
  --latency-ms before every answer (changed at run time for the stall runs),
  with synthetic jobs (eventsui.sandbox.data.add_synthetic_job): --events and
  --big-events events, a finished one of --view-events, a finished and a
  running one of --stall-events;
- a redis-server on a free port, the shared cache and call budget;
- eventsui with the production command (scripts/serve-production: gunicorn
  gthread) pointed at the stub, several times with different budgets, and the
  old sync command (SYNC_COMMAND) for the stall runs' "before".

and measures, in order:

1. all --events events fetched by a sequential page loop (limit=100, offset
   stepping, one call after another, straight to the stub, as a script with
   requests would) against the export endpoint (format=ndjson), under a budget
   that does not bind (--free-rate, --free-burst);
2. upstream calls of a first full view (page plus its lazy histogram) of the
   finished and the running job, and of a revisit after the short TTL;
3. the same export under the default budget (it binds), then the workers' peak
   RSS during an export of --big-events events;
4. the timeline's server time above the upstream's for a 100-row page, cold
   (Redis flushed before every request) and cached; wrk against it, cached;
5. the busiest second of upstream calls while --histograms histogram requests
   with different patterns arrive at two instances sharing the budget;
6. /healthz and the cached page's latency while 4 exports and 20 live tails
   run, at each of --stall-latencies, production command;
7. an export under a binding budget (--bound-rate, --bound-burst): its call
   rate at the stub;
8. wrk against the timeline uncached (dummy cache, budget off);
9. the stall runs of 6 again with the old sync command.
10. the patterns page's computation (eventsui/timeline/patterns.py) over a
   finished job of --pattern-events events behind the stub, with a free
   budget and the default one: first view's time, its upstream calls, the
   computation's peak Python memory, and a revisit. `--only patterns` runs
   this section alone (about 20 s, no wrk or Redis needed).

Then it prints markdown tables, the machine and the command. Not a test: it
never runs under `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import redis
import requests

from eventsui.sandbox import data
from eventsui.sandbox.api import Sandbox, SandboxResponse
from eventsui.sandbox.server import StubServer, running_stub_server

ROOT = Path(__file__).resolve().parent.parent
PROJECT = data.DEFAULT_PROJECT_ID
PAGE = 100
TTL_ACTIVE = 5  # MODELARTS_CACHE_TTL_ACTIVE of every gunicorn run

# The targets the README states, and how each is read.
TARGET_SPEEDUP = 5.0
TARGET_CACHED_MS = 5.0
TARGET_RSS_MB = 150.0
TARGET_STALL_MS = 100.0  # p99 of /healthz and a cached page while exports run
TARGET_FINISHED_VIEW = 6  # upstream calls, page plus histogram
TARGET_RUNNING_VIEW = 40
TARGET_REVISIT = 8
# The patterns page over a finished job of --pattern-events events (section 10).
TARGET_PATTERNS_SECONDS = 5.0  # first view, budget not binding, --latency-ms per call
TARGET_PATTERNS_MB = 64.0  # peak Python memory of the computation (tracemalloc)
TARGET_PATTERNS_REVISIT_CALLS = 0  # events calls of a revisit: the result is kept
# The budget's defaults (eventsui/settings.py), which the bench leaves alone.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 100


class BenchTimeout(Exception):
    """The whole run went past --max-seconds."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- arguments and the machine ---------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added upstream latency")
    parser.add_argument("--events", type=int, default=20_000, help="events of the export race")
    parser.add_argument("--big-events", type=int, default=100_000, help="events of the RSS run")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both commands)")
    parser.add_argument("--wrk-timeout", type=int, default=10, help="seconds before wrk gives up")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the loop and the export")
    parser.add_argument("--cold", type=int, default=30, help="cold timeline requests")
    parser.add_argument("--cached", type=int, default=200, help="cached timeline requests")
    parser.add_argument(
        "--gunicorn-threads", type=int, default=16, help="GUNICORN_THREADS of the production runs"
    )
    parser.add_argument(
        "--free-rate", type=float, default=2000.0, help="budget rate of the speed-up race"
    )
    parser.add_argument(
        "--free-burst", type=int, default=2000, help="budget burst of the speed-up race"
    )
    parser.add_argument("--bound-rate", type=float, default=20.0, help="a budget that binds")
    parser.add_argument("--bound-burst", type=int, default=5, help="its burst")
    parser.add_argument("--view-events", type=int, default=257, help="the finished job's events")
    parser.add_argument(
        "--stall-events", type=int, default=24_000, help="events of the running job and exports"
    )
    parser.add_argument(
        "--stall-latencies", default="20,150", help="upstream latencies (ms) of the stall runs"
    )
    parser.add_argument("--stall-seconds", type=float, default=10.0, help="seconds of probing")
    parser.add_argument("--stall-exports", type=int, default=4, help="concurrent exports")
    parser.add_argument("--tails", type=int, default=20, help="concurrent live tails")
    parser.add_argument("--tail-interval", type=float, default=2.0, help="seconds between polls")
    parser.add_argument("--histograms", type=int, default=100, help="histograms, each a pattern")
    parser.add_argument("--histogram-threads", type=int, default=20, help="sent at once")
    parser.add_argument("--max-seconds", type=int, default=900, help="watchdog for the whole run")
    parser.add_argument(
        "--pattern-events", type=int, default=30_000, help="the patterns page's finished job"
    )
    parser.add_argument(
        "--only",
        choices=["patterns"],
        help="run one section alone (patterns: the patterns page's computation, a minute)",
    )
    return parser.parse_args(argv)


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    gunicorn = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True, timeout=30
    )
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "gunicorn": (gunicorn.stdout or gunicorn.stderr).strip(),
        # "wrk debian/4.1.0-3+b2 [epoll] Copyright ...": the name and version.
        "wrk": " ".join((wrk.stdout or wrk.stderr).split()[:2]),
    }


# -- processes -------------------------------------------------------------------------


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the figures."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], name: str) -> None:
    """TERM, then KILL the process group (its own session: only what it started)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop in 15 s; killing its process group")
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def started(
    name: str, cmd: list[str], logfile: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with logfile.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc, name)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError, redis.RedisError):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within 30 s")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name is in parentheses and may hold spaces.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


@dataclass
class Gunicorn:
    proc: subprocess.Popen[bytes]
    port: int
    logfile: Path

    @property
    def workers(self) -> list[int]:
        return children(self.proc.pid)


def django_env(workdir: Path, stub: StubServer, cache_url: str) -> dict[str, str]:
    """Production settings, whatever the caller's environment or .env says."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MODELARTS_ENDPOINT": stub.url,
        "MODELARTS_PROJECT_ID": PROJECT,
        "MODELARTS_AUTH_TOKEN": "",
        "MODELARTS_AUTH_TOKEN_FILE": "",
        "MODELARTS_EVENTS_OFFSET": "records",
        "MODELARTS_CACHE_TTL_ACTIVE": str(TTL_ACTIVE),
        "MODELARTS_CACHE_TTL_FINISHED": "3600",
        "CACHE_URL": cache_url,
        "LOG_LEVEL": "INFO",
    }


# The production command before issue 9 (the old `make serve-production`).
SYNC_COMMAND = "gunicorn eventsui.wsgi:application --workers 2 --timeout 120"


@contextlib.contextmanager
def gunicorn(
    name: str,
    workdir: Path,
    stub: StubServer,
    cache_url: str,
    workers: int,
    *,
    model: str = "production",
    threads: int = 16,
    env: dict[str, str] | None = None,
) -> Iterator[Gunicorn]:
    """eventsui on a free port: `scripts/serve-production`, or the old sync command.

    model="production" runs the production script as the image does (gthread
    workers, deploy/gunicorn.conf.py) with WEB_CONCURRENCY=workers and
    GUNICORN_THREADS=threads; model="sync" runs SYNC_COMMAND with --workers
    set to `workers`. `env` adds to the settings (budget variables).
    """
    port = free_port()
    environ = {**django_env(workdir, stub, cache_url), **(env or {})}
    if model == "production":
        metrics_dir = workdir / f"metrics-{name}"
        metrics_dir.mkdir(exist_ok=True)
        environ |= {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            # Applied once before any server starts (run()).
            "EVENTSUI_MIGRATE": "0",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        cmd = [str(ROOT / "scripts" / "serve-production")]
    elif model == "sync":
        cmd = [sys.executable, "-m", *SYNC_COMMAND.split(), "--bind", f"127.0.0.1:{port}"]
        cmd[cmd.index("--workers") + 1] = str(workers)
    else:
        raise ValueError(model)
    logfile = workdir / f"gunicorn-{name}.log"
    with started(f"gunicorn ({name})", cmd, logfile, environ) as proc:
        server = Gunicorn(proc, port, logfile)

        def answers() -> bool:
            return get(port, "/healthz")[0] == 200 and len(server.workers) == workers

        try:
            wait_until(f"gunicorn ({name})", answers, proc)
        except RuntimeError:
            log(tail(logfile))
            raise
        yield server


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[redis.Redis]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    cmd = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    cmd += ["--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"]
    with started("redis-server", cmd, workdir / "redis.log") as proc:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        wait_until("redis-server", lambda: bool(client.ping()), proc)
        yield client
        client.close()


# -- HTTP --------------------------------------------------------------------------


class TimedSandbox(Sandbox):
    """The sandbox, keeping when each call it answered began and ended.

    A call begins when the stub starts its added wait (`latency` seconds
    before the sandbox is asked) and ends when the sandbox has answered.
    """

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency
        self.lock = threading.Lock()
        self.intervals: list[tuple[float, float]] = []

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
        language: str | None = None,
    ) -> SandboxResponse:
        began = time.perf_counter()
        try:
            return super().handle(method, path, query, body, language)
        finally:
            with self.lock:
                self.intervals.append((began - self.latency, time.perf_counter()))

    @property
    def calls(self) -> int:
        with self.lock:
            return len(self.intervals)

    def since(self, mark: int) -> list[tuple[float, float]]:
        with self.lock:
            return self.intervals[mark:]


def covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of the intervals was open."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def get(
    port: int,
    path: str,
    timeout: float = 30,
    source: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, float, bytes]:
    """Status, seconds from sending to the last byte, body; from `source` when given."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        began = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, time.perf_counter() - began, body
    finally:
        conn.close()


def events_path(job_id: str) -> str:
    return f"/v2/{PROJECT}/training-jobs/{job_id}/events"


def sequential_loop(stub: StubServer, job_id: str) -> tuple[float, int]:
    """Every event, one page of 100 after another, as a script with requests would."""
    session = requests.Session()
    rows, offset = 0, 0
    began = time.perf_counter()
    while True:
        response = session.get(
            stub.url + events_path(job_id),
            params={"limit": PAGE, "offset": offset},
            timeout=(3, 10),
        )
        response.raise_for_status()
        body = response.json()
        rows += len(body["events"])
        offset += PAGE
        if not body["events"] or offset >= int(body["total"]):
            break
    elapsed = time.perf_counter() - began
    session.close()
    return elapsed, rows


@dataclass
class Export:
    seconds: float
    rows: int
    complete: bool
    status: int


def export(port: int, job_id: str, source: str | None = None, timeout: float = 120) -> Export:
    """The export endpoint as NDJSON, read to the end; rows counted by lines."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        began = time.perf_counter()
        conn.request("GET", f"/projects/{PROJECT}/jobs/{job_id}/events/export/?format=ndjson")
        response = conn.getresponse()
        lines, last = 0, b""
        pending = b""
        while chunk := response.read(64 * 1024):
            lines += chunk.count(b"\n")
            pending = (pending + chunk)[-4096:]
        seconds = time.perf_counter() - began
        last = pending.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    finally:
        conn.close()
    incomplete = last.startswith(b'{"error"')
    return Export(seconds, lines - incomplete, not incomplete, response.status)


def export_or_failure(port: int, job_id: str, source: str | None = None) -> Export:
    """export(), with a connection cut or timed out as an incomplete export (status 0)."""
    began = time.perf_counter()
    try:
        return export(port, job_id, source)
    except (OSError, http.client.HTTPException) as error:
        log(f"  export from {source} failed after {time.perf_counter() - began:.1f} s: {error!r}")
        return Export(time.perf_counter() - began, 0, False, 0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    min_ms: float
    total_median_ms: float
    upstream_calls: float  # per request, on average
    upstream_ms: float  # per request, on average
    samples: int


def timeline_timing(
    server: Gunicorn,
    sandbox: TimedSandbox,
    path: str,
    count: int,
    before_each: Callable[[], object] | None = None,
) -> Timing:
    """Each request's time minus the time it spent waiting on the upstream.

    Requests go one at a time, so the calls the stub answers between sending
    a request and its last byte are that request's. The time subtracted is
    how long at least one of them was in progress (the timeline asks for the
    job and the events at once), each lasting the stub's added wait plus the
    sandbox's own handling, timed inside the stub.
    """
    above, totals, upstream_total, calls = [], [], 0.0, 0
    for _ in range(count):
        if before_each is not None:
            before_each()
        mark = sandbox.calls
        status, seconds, _ = get(server.port, path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        handled = sandbox.since(mark)
        upstream = covered(handled)
        upstream_total += upstream
        calls += len(handled)
        totals.append(seconds * 1000)
        above.append((seconds - upstream) * 1000)
    return Timing(
        median_ms=statistics.median(above),
        p95_ms=percentile(above, 0.95),
        min_ms=min(above),
        total_median_ms=statistics.median(totals),
        upstream_calls=calls / count,
        upstream_ms=upstream_total * 1000 / count,
        samples=count,
    )


# -- wrk and memory ----------------------------------------------------------------


@dataclass
class Load:
    rps: float
    requests: int
    errors: int
    error_detail: str
    p50: str
    p99: str
    upstream_calls: int


def wrk(args: argparse.Namespace, server: Gunicorn, stub: StubServer, path: str) -> Load:
    stub.faults.reset_counts()
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    cmd += ["-d", f"{args.duration}s", "--timeout", f"{args.wrk_timeout}s", "--latency"]
    cmd.append(f"http://127.0.0.1:{server.port}{path}")
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60)
    out = run.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if run.returncode != 0 or rps is None:
        raise RuntimeError(f"wrk failed ({run.returncode}): {out}{run.stderr}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    parts = [int(n) for n in socket_errors.groups()] if socket_errors else [0, 0, 0, 0]
    bad = int(non_2xx.group(1)) if non_2xx else 0
    detail = "connect {}, read {}, write {}, timeout {}".format(*parts) + f"; non-2xx/3xx {bad}"

    def latency(q: str) -> str:
        found = re.search(rf"^\s+{q}%\s+(\S+)", out, re.MULTILINE)
        return found.group(1) if found else "?"

    requests_done = re.search(r"(\d+) requests in", out)
    return Load(
        rps=float(rps.group(1)),
        requests=int(requests_done.group(1)) if requests_done else 0,
        errors=sum(parts) + bad,
        error_detail=detail,
        p50=latency("50"),
        p99=latency("99"),
        upstream_calls=stub.faults.requests,
    )


@dataclass
class Memory:
    idle_kb: int
    peak_kb: int
    sampled_kb: int
    export: Export


def export_memory(server: Gunicorn, job_id: str) -> Memory:
    """The workers' peak RSS (VmHWM) after an export, and the most seen by sampling."""
    workers = server.workers
    idle = max(status_kb(pid, "VmRSS") for pid in workers)
    sampled = idle
    done = threading.Event()

    def sample() -> None:
        nonlocal sampled
        while not done.wait(0.01):
            for pid in workers:
                with contextlib.suppress(OSError, KeyError):
                    sampled = max(sampled, status_kb(pid, "VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = export(server.port, job_id)
    finally:
        done.set()
        sampler.join()
    peak = max(status_kb(pid, "VmHWM") for pid in workers)
    return Memory(idle, peak, sampled, result)


# -- the serving model, upstream calls and the budget (issue 9) -------------------------


def set_latency(stub: StubServer, sandbox: TimedSandbox, ms: float) -> None:
    """The stub's added wait, and what timeline_timing subtracts for it."""
    stub.faults.latency(ms)
    sandbox.latency = ms / 1000


def hx_get(body: bytes, marker: str) -> str:
    """The hx-get URL of the first tag holding `marker` (an id or a class), unescaped."""
    text = body.decode("utf-8", errors="replace")
    tag = re.search(rf"<[^>]*{re.escape(marker)}[^>]*>", text)
    url = re.search(r'hx-get="([^"]+)"', tag.group(0)) if tag else None
    if url is None:
        raise RuntimeError(f"no hx-get on a tag with {marker!r}")
    return html.unescape(url.group(1))


def busiest_second(times: list[float]) -> int:
    """The most of these instants (seconds) in any 1-second sliding window."""
    ordered, best, first = sorted(times), 0, 0
    for i, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        best = max(best, i - first + 1)
    return best


def timeline_path(job_id: str, query: str = "") -> str:
    return f"/projects/{PROJECT}/jobs/{job_id}/events/" + (f"?{query}" if query else "")


HTMX = {"HX-Request": "true"}


@dataclass
class Stall:
    model: str
    latency_ms: float
    healthz_s: list[float]
    page_s: list[float]
    probe_failures: int  # answers other than 200, or no answer
    exports: list[Export]
    polls: int
    poll_failures: int  # answers other than 200, 204 and 286, or no answer


def probe(port: int, path: str, until: float, out: list[float], failures: list[int]) -> None:
    """Sequential GETs, each on a new connection, until `until` (time.monotonic())."""
    while time.monotonic() < until:
        try:
            status, seconds, _ = get(port, path, timeout=180)
        except OSError:
            failures.append(0)
            continue
        out.append(seconds)
        if status != 200:
            failures.append(status)


def live_tail(
    port: int, page: str, interval: float, stop_at: threading.Event, polls: list[int]
) -> None:
    """One reader's live tail: the page's poller URL every `interval` s, following its cursor."""
    url = ""
    while not stop_at.is_set():
        try:
            if not url:
                url = hx_get(get(port, page, timeout=180)[2], 'id="live-tail-poll"')
            status, _, body = get(port, url, timeout=180, headers=HTMX)
        except (OSError, RuntimeError):
            polls.append(0)
            url = ""
            stop_at.wait(interval)
            continue
        polls.append(status)
        if status == 200 and b"hx-get=" in body:
            url = hx_get(body, 'id="live-tail-poll"')
        elif status != 204:
            url = ""  # stopped (286) or failed: start again from the page
        stop_at.wait(interval)


def stall(
    args: argparse.Namespace,
    model: str,
    latency_ms: float,
    server: Gunicorn,
    cache: redis.Redis,
    page: str,
    export_job: str,
) -> Stall:
    """/healthz and a cached page, probed while 4 exports and live tails run."""
    cache.flushdb()  # a full budget and no export slots held from an earlier run
    for _ in range(3):
        get(server.port, page, timeout=180)
    live_page = timeline_path(data.LIVE_JOB_ID, "live=1")
    get(server.port, live_page, timeout=180)
    stop_tails = threading.Event()
    polls: list[int] = []
    tails = [
        threading.Thread(
            target=live_tail,
            args=(server.port, live_page, args.tail_interval, stop_tails, polls),
            daemon=True,
        )
        for _ in range(args.tails)
    ]
    exports: list[Export] = []
    # Two exports per client address: the third from one reader would be refused.
    sources = [f"127.0.0.{2 + i // 2}" for i in range(args.stall_exports)]
    exporters = [
        threading.Thread(
            target=lambda s=source: exports.append(export_or_failure(server.port, export_job, s)),
            daemon=True,
        )
        for source in sources
    ]
    for thread in tails + exporters:
        thread.start()
    time.sleep(1)  # the exports past their first page
    until = time.monotonic() + args.stall_seconds
    healthz: list[float] = []
    pages: list[float] = []
    failures: list[int] = []
    probes = [
        threading.Thread(target=probe, args=(server.port, "/healthz", until, healthz, failures)),
        threading.Thread(target=probe, args=(server.port, page, until, pages, failures)),
    ]
    for thread in probes:
        thread.start()
    for thread in probes:
        thread.join()
    for thread in exporters:
        thread.join(300)
    stop_tails.set()
    for thread in tails:
        thread.join(200)
    result = Stall(
        model=model,
        latency_ms=latency_ms,
        healthz_s=healthz,
        page_s=pages,
        probe_failures=len(failures),
        exports=sorted(exports, key=lambda e: e.seconds),
        polls=len(polls),
        poll_failures=sum(status not in (200, 204, 286) for status in polls),
    )
    log(
        f"  {model}, {latency_ms:g} ms: /healthz max {max(healthz) * 1000:.0f} ms, page max "
        f"{max(pages) * 1000:.0f} ms, exports "
        + ", ".join(f"{e.seconds:.1f} s/{e.rows} rows/{e.status}" for e in result.exports)
        + f", {result.polls} polls ({result.poll_failures} failed)"
    )
    return result


@dataclass
class ViewCalls:
    what: str
    calls: int
    statuses: tuple[int, int]  # the page's, the histogram's
    target: int


def full_view(stub: StubServer, server: Gunicorn, job_id: str, what: str, target: int) -> ViewCalls:
    """Upstream calls of the timeline page plus its lazy histogram, as a browser loads them."""
    stub.faults.reset_counts()
    status, _, body = get(server.port, timeline_path(job_id), timeout=60)
    histogram_status, _, _ = get(
        server.port, hx_get(body, "histogram-loading"), timeout=60, headers=HTMX
    )
    calls = ViewCalls(what, stub.faults.requests, (status, histogram_status), target)
    log(f"  {what}: {calls.calls} upstream calls (answers {status}, {histogram_status})")
    return calls


@dataclass
class BudgetLoad:
    requests: int
    instances: int
    statuses: dict[int, int]
    calls: int
    seconds: float
    busiest: int  # most upstream calls in any 1-second window
    limit: int  # rate + burst


def budget_load(
    args: argparse.Namespace,
    stub: StubServer,
    servers: list[Gunicorn],
    cache: redis.Redis,
    job_id: str,
) -> BudgetLoad:
    """Histogram requests with different patterns, all at once, spread over the instances."""
    cache.flushdb()
    # The page itself first, as a reader would have opened it (not counted).
    get(servers[0].port, timeline_path(job_id), timeout=60)
    paths = [
        f"/projects/{PROJECT}/jobs/{job_id}/events/histogram/?pattern=step+{i + 1}"
        for i in range(args.histograms)
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            status = get(servers[i % len(servers)].port, paths[i], timeout=120, headers=HTMX)[0]
        except OSError:
            status = 0
        with lock:
            statuses.append(status)

    stub.faults.reset_counts()
    began = time.perf_counter()
    with ThreadPoolExecutor(args.histogram_threads) as pool:
        list(pool.map(one, range(len(paths))))
    seconds = time.perf_counter() - began
    arrivals = [r.at for r in stub.faults.received]
    counted = {status: statuses.count(status) for status in sorted(set(statuses))}
    result = BudgetLoad(
        requests=len(paths),
        instances=len(servers),
        statuses=counted,
        calls=len(arrivals),
        seconds=seconds,
        busiest=busiest_second(arrivals),
        limit=int(DEFAULT_RATE + DEFAULT_BURST),
    )
    log(
        f"  {result.calls} upstream calls in {seconds:.1f} s, busiest second {result.busiest}, "
        f"answers {counted}"
    )
    return result


@dataclass
class PacedExport:
    rate: float
    burst: int
    export: Export
    calls: int
    busiest: int


def paced_export(
    stub: StubServer, server: Gunicorn, cache: redis.Redis, job_id: str, rate: float, burst: int
) -> PacedExport:
    """One export under a budget, its calls as the stub saw them arrive."""
    cache.flushdb()
    time.sleep(0.5)
    stub.faults.reset_counts()
    done = export(server.port, job_id)
    arrivals = [r.at for r in stub.faults.received]
    paced = PacedExport(rate, burst, done, len(arrivals), busiest_second(arrivals))
    log(
        f"  export under {rate:g}/s, burst {burst}: {done.rows} rows in {done.seconds:.1f} s, "
        f"{paced.calls} calls, busiest second {paced.busiest}"
    )
    return paced


# -- the run ----------------------------------------------------------------------


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    loop_s: float = 0.0
    loop_rows: int = 0
    export_s: float = 0.0
    export_rows: int = 0
    export_complete: bool = False
    export_calls: int = 0
    export_worker_cpu: float = 0.0
    export_stub_cpu: float = 0.0
    load_before: str = ""
    load_after: str = ""
    healthz: Timing | None = None
    cold: Timing | None = None
    cached: Timing | None = None
    memory: Memory | None = None
    load_cached: Load | None = None
    load_uncached: Load | None = None
    default_export: PacedExport | None = None
    paced: PacedExport | None = None
    views: list[ViewCalls] = field(default_factory=list)
    budget: BudgetLoad | None = None
    stalls: list[Stall] = field(default_factory=list)


def export_race(args: argparse.Namespace, r: Results, stub: StubServer, server: Gunicorn) -> None:
    """The sequential loop against the export, --repeat times each; medians into `r`."""
    small_id = data.synthetic_job_id(args.events)
    loops, exports, worker_cpu, bench_cpu = [], [], [], []
    for i in range(args.repeat):
        seconds, rows = sequential_loop(stub, small_id)
        loops.append(seconds)
        r.loop_rows = rows
        log(f"sequential loop {i + 1}/{args.repeat}: {rows} rows in {seconds:.2f} s")
        # CPU used by the workers and by this process (the stub) during the export.
        workers_before = sum(cpu_seconds(pid) for pid in server.workers)
        bench_before = time.process_time()
        stub.faults.reset_counts()
        done = export(server.port, small_id)
        r.export_calls = max(r.export_calls, stub.faults.requests)
        bench_cpu.append(time.process_time() - bench_before)
        worker_cpu.append(sum(cpu_seconds(pid) for pid in server.workers) - workers_before)
        exports.append(done.seconds)
        r.export_rows, r.export_complete = done.rows, done.complete
        log(f"export {i + 1}/{args.repeat}: {done.rows} rows in {done.seconds:.2f} s")
        if done.status != 200 or not done.complete:
            raise RuntimeError(f"export answered {done.status}, complete={done.complete}")
    r.loop_s = statistics.median(loops)
    r.export_s = statistics.median(exports)
    r.export_worker_cpu = statistics.median(worker_cpu)
    r.export_stub_cpu = statistics.median(bench_cpu)


def budget_env(rate: float, burst: int) -> dict[str, str]:
    return {"EVENTSUI_UPSTREAM_RATE": f"{rate:g}", "EVENTSUI_UPSTREAM_BURST": str(burst)}


def run(args: argparse.Namespace, stack: contextlib.ExitStack, workdir: Path) -> Results:
    results = Results(machine=machine(), load_before=loadavg())
    small = data.add_synthetic_job(args.events)
    big = data.add_synthetic_job(args.big_events)
    finished = data.add_synthetic_job(args.view_events)
    exported = data.add_synthetic_job(args.stall_events, seed=1)
    log(
        f"generating {args.events} + {args.big_events} + {args.view_events} + "
        f"2 x {args.stall_events} synthetic events"
    )
    for job in (small, big, finished, exported):
        job.events()

    sandbox = TimedSandbox(args.latency_ms / 1000)
    stub = stack.enter_context(running_stub_server(sandbox))
    set_latency(stub, sandbox, args.latency_ms)
    log(f"stub upstream at {stub.url}, {args.latency_ms:g} ms added to every answer")
    cache = stack.enter_context(redis_server(workdir))
    port = cache.connection_pool.connection_kwargs["port"]
    redis_url = f"redis://127.0.0.1:{port}/0"
    log(f"redis-server on 127.0.0.1:{port}")

    env = django_env(workdir, stub, redis_url) | {"DJANGO_SECRET_KEY": "setup-only"}
    log("collectstatic (the manifest the production storage needs) and migrate")
    for command in (["collectstatic", "--noinput", "-v", "0"], ["migrate", "--noinput", "-v", "0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=120
        )
    common = {"workers": args.workers, "threads": args.gunicorn_threads}

    # 1. The loop against the export, under a budget that does not bind.
    free = budget_env(args.free_rate, args.free_burst)
    with gunicorn("free", workdir, stub, redis_url, **common, env=free) as server:
        log(f"production command, budget {args.free_rate:g}/s burst {args.free_burst}")
        export_race(args, results, stub, server)

    # Running, its last event a few seconds before the views below.
    running = data.add_synthetic_job(args.stall_events, running=True)
    running.events()
    with gunicorn("redis", workdir, stub, redis_url, **common) as server:
        log(f"production command, default budget, Redis cache, on 127.0.0.1:{server.port}")
        # 2. Upstream calls per first view, then a revisit after the short TTL.
        cache.flushdb()
        views = results.views
        views.append(full_view(stub, server, finished.id, "finished", TARGET_FINISHED_VIEW))
        views.append(full_view(stub, server, running.id, "running", TARGET_RUNNING_VIEW))
        time.sleep(TTL_ACTIVE + 1)
        views.append(full_view(stub, server, running.id, "revisit", TARGET_REVISIT))

        # 3. The same export as the race, under the default budget.
        results.default_export = paced_export(
            stub, server, cache, small.id, DEFAULT_RATE, DEFAULT_BURST
        )

        # 4. Peak RSS during the big export, before any load raises it.
        log(f"export of {args.big_events} events, sampling the workers' RSS")
        results.memory = export_memory(server, big.id)
        log(
            f"  {results.memory.export.rows} rows in {results.memory.export.seconds:.1f} s, "
            f"peak RSS {results.memory.peak_kb / 1024:.0f} MB"
        )

        # 5. Server time above the upstream's for a 100-row page.
        path = f"/projects/{PROJECT}/jobs/{small.id}/events/?limit={PAGE}"
        results.healthz = timeline_timing(server, sandbox, "/healthz", 50)
        results.cold = timeline_timing(server, sandbox, path, args.cold, before_each=cache.flushdb)
        log(f"cold: median {results.cold.median_ms:.1f} ms above upstream")
        for _ in range(10):
            get(server.port, path)
        results.cached = timeline_timing(server, sandbox, path, args.cached)
        log(f"cached: median {results.cached.median_ms:.1f} ms")

        # 6. Load, cached.
        log(f"wrk, cached, {args.connections} connections for {args.duration} s")
        results.load_cached = wrk(args, server, stub, path)
        log(f"  {results.load_cached.rps:.0f} req/s, {results.load_cached.errors} errors")

        # 7. The budget across two instances, under 100 histograms at once.
        with gunicorn("redis-2", workdir, stub, redis_url, **common) as second:
            log(f"{args.histograms} histograms on two instances, {args.histogram_threads} at once")
            results.budget = budget_load(args, stub, [server, second], cache, running.id)

        # 8. No stall, the production command.
        for ms in latencies(args):
            set_latency(stub, sandbox, ms)
            log(f"stall run, production command, {ms:g} ms upstream latency")
            results.stalls.append(stall(args, "production", ms, server, cache, path, exported.id))
        set_latency(stub, sandbox, args.latency_ms)

    # 9. An export under a budget that binds.
    bound = budget_env(args.bound_rate, args.bound_burst)
    with gunicorn("bound", workdir, stub, redis_url, **common, env=bound) as server:
        log(f"production command, budget {args.bound_rate:g}/s burst {args.bound_burst}")
        results.paced = paced_export(
            stub, server, cache, small.id, args.bound_rate, args.bound_burst
        )

    # 10. Load, uncached, with the budget off: eventsui's own throughput.
    off = budget_env(0, 1)
    with gunicorn("dummy", workdir, stub, "dummycache://", **common, env=off) as server:
        log(f"production command, no cache, no budget, on 127.0.0.1:{server.port}")
        get(server.port, path)
        log(f"wrk, uncached, {args.connections} connections for {args.duration} s")
        results.load_uncached = wrk(args, server, stub, path)
        log(f"  {results.load_uncached.rps:.0f} req/s, {results.load_uncached.errors} errors")

    # 11. The stall runs again with the old sync command.
    with gunicorn("sync", workdir, stub, redis_url, args.workers, model="sync") as server:
        log(f"the old command: {SYNC_COMMAND}")
        for ms in latencies(args):
            set_latency(stub, sandbox, ms)
            log(f"stall run, sync command, {ms:g} ms upstream latency")
            results.stalls.append(stall(args, "sync", ms, server, cache, path, exported.id))
        set_latency(stub, sandbox, args.latency_ms)
    results.load_after = loadavg()
    return results


# -- 10. the patterns page ---------------------------------------------------------

# Run in a child process with production settings pointed at the stub: the
# computation the patterns view does (eventsui/timeline/patterns.py), first
# view then revisit, its peak Python memory taken by tracemalloc.
_PATTERNS_PROBE = """
import json, sys, time, tracemalloc
import django
django.setup()
from django.utils import timezone
from eventsui.modelarts import EventQuery, get_client
from eventsui.timeline.patterns import find_patterns
from django.core.cache import cache
from eventsui.modelarts.client import ModelArtsClient
calls = []
original_call = ModelArtsClient._call
def counted(self, *args, **kwargs):
    calls.append(args)
    return original_call(self, *args, **kwargs)
ModelArtsClient._call = counted
job_id = sys.argv[1]
began = time.perf_counter()
_, found = find_patterns(get_client(), "{project}", job_id, EventQuery(), timezone.now())
first = time.perf_counter() - began
calls_first = len(calls)
# Cold again, for its peak memory alone: tracemalloc slows the reading down.
cache.clear()
tracemalloc.start()
find_patterns(get_client(), "{project}", job_id, EventQuery(), timezone.now())
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
before_again = len(calls)
began = time.perf_counter()
find_patterns(get_client(), "{project}", job_id, EventQuery(), timezone.now())
again = time.perf_counter() - began
calls_again = len(calls) - before_again
print(json.dumps({{"first": first, "again": again, "calls_first": calls_first,
    "calls_again": calls_again, "peak_mb": peak / 2**20,
    "covered": found.covered, "total": found.total, "templates": len(found.patterns),
    "cut_short": found.cut_short}}))
"""


@dataclass
class PatternsRun:
    budget: str
    first: float
    again: float
    peak_mb: float
    covered: int
    total: int
    templates: int
    calls_first: int
    calls_again: int
    cut_short: bool


def patterns_runs(args: argparse.Namespace, workdir: Path) -> list[PatternsRun]:
    """The patterns computation over a finished job, budget free and at its default."""
    job = data.add_synthetic_job(args.pattern_events, seed=2)
    job.events()
    sandbox = TimedSandbox(args.latency_ms / 1000)
    runs = []
    with running_stub_server(sandbox) as stub:
        set_latency(stub, sandbox, args.latency_ms)
        for name, rate, burst in (
            ("free", "0", DEFAULT_BURST),
            (
                f"default ({DEFAULT_RATE:g}/s, burst {DEFAULT_BURST})",
                str(DEFAULT_RATE),
                DEFAULT_BURST,
            ),
        ):
            env = django_env(workdir, stub, "locmemcache://") | {
                "DJANGO_SETTINGS_MODULE": "eventsui.settings",
                "EVENTSUI_UPSTREAM_RATE": rate,
                "EVENTSUI_UPSTREAM_BURST": str(burst),
                "LOG_LEVEL": "WARNING",
            }
            log(f"patterns over {args.pattern_events} events, budget {name}")
            probe = subprocess.run(
                [sys.executable, "-c", _PATTERNS_PROBE.format(project=PROJECT), job.id],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=120,
                capture_output=True,
                text=True,
            )
            figures = json.loads(probe.stdout.strip().splitlines()[-1])
            runs.append(
                PatternsRun(
                    budget=name,
                    first=figures["first"],
                    again=figures["again"],
                    peak_mb=figures["peak_mb"],
                    covered=figures["covered"],
                    total=figures["total"],
                    templates=figures["templates"],
                    calls_first=figures["calls_first"],
                    calls_again=figures["calls_again"],
                    cut_short=figures["cut_short"],
                )
            )
    return runs


def patterns_report(args: argparse.Namespace, runs: list[PatternsRun]) -> str:
    lines = [
        f"### Patterns page: a finished job of {args.pattern_events:,} events",
        "",
        f"Upstream latency {args.latency_ms:g} ms a call. Targets: first view at most "
        f"{TARGET_PATTERNS_SECONDS:g} s with a budget that does not bind, peak memory of the "
        f"computation at most {TARGET_PATTERNS_MB:g} MB, a revisit "
        f"{TARGET_PATTERNS_REVISIT_CALLS} events calls.",
        "",
        "| budget | events covered | templates | first view | upstream calls | peak memory "
        "| revisit | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        ok = r.peak_mb <= TARGET_PATTERNS_MB and not r.cut_short and r.covered == r.total
        ok = ok and r.calls_again <= TARGET_PATTERNS_REVISIT_CALLS
        if r.budget == "free":
            ok = ok and r.first <= TARGET_PATTERNS_SECONDS
        lines.append(
            f"| {r.budget} | {r.covered:,} of {r.total:,} | {r.templates} | {r.first:.2f} s "
            f"| {r.calls_first} | {r.peak_mb:.1f} MB | {r.again * 1000:.1f} ms, "
            f"{r.calls_again} calls | {verdict(ok)} |"
        )
    return "\n".join(lines)


def latencies(args: argparse.Namespace) -> list[float]:
    return [float(ms) for ms in args.stall_latencies.split(",") if ms.strip()]


# -- the report ---------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(args: argparse.Namespace, r: Results, command: str) -> str:
    assert r.cold and r.cached and r.memory and r.load_cached and r.load_uncached and r.healthz
    assert r.default_export and r.paced and r.budget
    speedup = r.loop_s / r.export_s
    rows_match = r.loop_rows == r.export_rows == args.events and r.export_complete
    lat = f"{args.latency_ms:g} ms"
    load = (
        f"wrk {args.connections} connections, {args.duration} s, production command "
        f"({args.workers} workers x {args.gunicorn_threads} threads)"
    )
    free = f"budget {args.free_rate:g} calls/s, burst {args.free_burst}"
    default = r.default_export
    default_floor = max(0.0, (default.calls - DEFAULT_BURST) / DEFAULT_RATE)
    paced = r.paced
    paced_mean = paced.calls / paced.export.seconds
    paced_mean_limit = paced.rate + paced.burst / paced.export.seconds
    paced_ok = (
        paced.export.complete
        and paced.export.rows == args.events
        and paced.busiest <= paced.rate + paced.burst
        and paced_mean <= paced_mean_limit
    )
    b = r.budget
    server_errors = sum(n for status, n in b.statuses.items() if status >= 500 or status == 0)
    answers = ", ".join(f"{n} x {status or 'no answer'}" for status, n in b.statuses.items())
    mem = r.memory

    def per_request(run: Load) -> str:
        return f"{run.upstream_calls / run.requests:.1f}" if run.requests else "?"

    lines = [
        "| measure | result | target | verdict |",
        "|---|---|---|---|",
        f"| all {args.events:,} events, sequential page loop (requests, limit=100, offset "
        f"stepping, straight to the upstream) | {r.loop_s:.2f} s, {r.loop_rows:,} rows | | |",
        f"| the same events, export `?format=ndjson` through gunicorn | {r.export_s:.2f} s, "
        f"{r.export_rows:,} rows ({'counts match' if rows_match else 'COUNTS DIFFER'}) | | |",
        f"| export speed-up over the loop, {lat} upstream latency, {free} (does not bind: "
        f"each export makes {r.export_calls} calls, and the runs one after another stay far "
        f"below the rate; at 200/s with burst 200 the second run would already wait for "
        f"refills) | **{speedup:.1f}x** | "
        f">= {TARGET_SPEEDUP:g}x | {verdict(speedup >= TARGET_SPEEDUP and rows_match)} |",
        f"| the same export under the default budget ({DEFAULT_RATE:g} calls/s, burst "
        f"{DEFAULT_BURST}): {default.calls} calls, so at least {default_floor:.1f} s of budget "
        f"| {default.export.seconds:.2f} s, {default.export.rows:,} rows, "
        f"{r.loop_s / default.export.seconds:.1f}x the loop | (the budget "
        f"{'binds' if default.calls > DEFAULT_BURST else 'does not bind'}) | |",
        f"| export of {args.events:,} events under a binding budget ({paced.rate:g} calls/s, "
        f"burst {paced.burst}): {paced.calls} calls in {paced.export.seconds:.1f} s "
        f"({paced.export.rows:,} rows) | mean **{paced_mean:.1f} calls/s**, busiest second "
        f"**{paced.busiest}** | mean <= rate + burst / duration ({paced_mean_limit:.1f}), "
        f"busiest second <= rate + burst ({paced.rate + paced.burst:g}) | "
        f"{verdict(paced_ok)} |",
        f"| timeline, 100-row page, cold (cache flushed; {r.cold.upstream_calls:.0f} upstream "
        f"calls): server time above upstream, median / p95 (min) | {r.cold.median_ms:.1f} / "
        f"{r.cold.p95_ms:.1f} ms ({r.cold.min_ms:.1f}) | | |",
        f"| timeline, 100-row page, cached (Redis; {r.cached.upstream_calls:.0f} upstream "
        f"calls): server time above upstream, median / p95 (min) | "
        f"**{r.cached.median_ms:.1f}** / {r.cached.p95_ms:.1f} ms ({r.cached.min_ms:.1f}) | "
        f"< {TARGET_CACHED_MS:g} ms median | "
        f"{verdict(r.cached.median_ms < TARGET_CACHED_MS)} |",
        f"| timeline under load, cached (Redis), {load} | **{r.load_cached.rps:.0f} req/s**, "
        f"**{r.load_cached.errors} errors**, latency p50 {r.load_cached.p50}, p99 "
        f"{r.load_cached.p99}; {per_request(r.load_cached)} upstream calls per request | "
        f"0 errors | {verdict(r.load_cached.errors == 0)} |",
        f"| timeline under load, uncached (dummy cache), {load} | "
        f"**{r.load_uncached.rps:.0f} req/s**, **{r.load_uncached.errors} errors**, latency "
        f"p50 {r.load_uncached.p50}, p99 {r.load_uncached.p99}; "
        f"{per_request(r.load_uncached)} upstream calls per request | 0 errors | "
        f"{verdict(r.load_uncached.errors == 0)} |",
        f"| peak RSS of the gunicorn worker, export of {args.big_events:,} events "
        f"({mem.export.rows:,} rows in {mem.export.seconds:.1f} s) | "
        f"**{mem.peak_kb / 1024:.0f} MB** (idle worker: {mem.idle_kb / 1024:.0f} MB) | "
        f"< {TARGET_RSS_MB:g} MB | "
        f"{verdict(mem.peak_kb / 1024 < TARGET_RSS_MB and mem.export.complete)} |",
    ]
    names = {
        "finished": f"first full view (page + histogram) of a finished {args.view_events:,}-event "
        "job",
        "running": f"first full view of a running {args.stall_events:,}-event job",
        "revisit": f"revisit of that running job after the short TTL ({TTL_ACTIVE} s + 1 s)",
    }
    for view in r.views:
        ok = view.calls <= view.target and view.statuses == (200, 200)
        lines.append(
            f"| upstream calls, {names[view.what]} (answers {view.statuses[0]}, "
            f"{view.statuses[1]}) | **{view.calls}** | <= {view.target} | {verdict(ok)} |"
        )
    lines.append(
        f"| {b.requests} histograms of the running job, each with its own pattern, "
        f"{args.histogram_threads} at a time over {b.instances} instances (default budget, "
        f"Redis): {b.calls} upstream calls in {b.seconds:.1f} s; answers {answers} | "
        f"busiest second **{b.busiest} calls**, **{server_errors} 5xx** | <= rate + burst "
        f"({b.limit}), no 5xx | {verdict(b.busiest <= b.limit and server_errors == 0)} |"
    )
    lines += [
        "",
        f"While {args.stall_exports} exports of {args.stall_events:,} events (NDJSON, read "
        f"fully, two per client address) and {args.tails} live tails (a poll every "
        f"{args.tail_interval:g} s each) run, /healthz and the cached 100-row timeline page, "
        f"each requested one after another on new connections for {args.stall_seconds:g} s:",
        "",
        "| command | upstream latency | /healthz max / p99 | cached page max / p99 | "
        f"{args.stall_exports} exports: seconds (rows) | live polls (failed) | target | "
        "verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for st in r.stalls:
        expected = [e for e in st.exports if e.status == 200 and e.complete]
        whole = len(expected) == args.stall_exports and all(
            e.rows == args.stall_events for e in expected
        )
        hz_max, hz_p99 = max(st.healthz_s) * 1000, percentile(st.healthz_s, 0.99) * 1000
        pg_max, pg_p99 = max(st.page_s) * 1000, percentile(st.page_s, 0.99) * 1000
        exports = ", ".join(
            f"{e.seconds:.1f} ({e.rows:,}{'' if e.status == 200 else f', status {e.status}'})"
            for e in st.exports
        )
        served_by = "production (gthread)" if st.model == "production" else "old (sync)"
        if st.model == "production":
            ok = hz_p99 < TARGET_STALL_MS and pg_p99 < TARGET_STALL_MS and whole
            ok = ok and st.probe_failures == 0 and st.poll_failures == 0
            target = f"p99 < {TARGET_STALL_MS:g} ms, every export whole"
            judged = verdict(ok)
        else:
            target, judged = "(before)", ""
        lines.append(
            f"| {served_by} | {st.latency_ms:g} ms | {hz_max:.0f} / {hz_p99:.0f} ms | "
            f"{pg_max:.0f} / {pg_p99:.0f} ms | {exports} | {st.polls} ({st.poll_failures}) | "
            f"{target} | {judged} |"
        )
    m = r.machine
    notes = [
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['os']}, Python {m['python']}, "
        f"{m['gunicorn']}, {m['wrk']}. The stub, redis-server, gunicorn and wrk all run on "
        f"it, on 127.0.0.1. Load average before / after: {r.load_before} / {r.load_after}.",
        f"Command: `make bench` (`{command}`).",
        "",
        "How it is measured:",
        f"- Loop and export: the median of {args.repeat} runs each, wall time to the last "
        "byte. The loop keeps one requests.Session (keep-alive) open; the export's rows are "
        "its NDJSON lines, and an export that ends with an error line fails the run. CPU "
        f"used during an export (median): gunicorn workers {r.export_worker_cpu:.2f} s, the "
        f"stub and this script's reading {r.export_stub_cpu:.2f} s.",
        "- Server time above upstream: requests go to gunicorn one at a time, each timed from "
        "sending to the last byte on a new connection. The upstream "
        "calls the stub answers meanwhile are that request's, each lasting the stub's added "
        f"{lat} wait plus the sandbox's own handling (timed inside the stub). Subtracted is "
        "the time during which at least one of them was in progress, since the timeline asks "
        f"for the job and the events at once ({r.cold.upstream_ms:.1f} ms per cold request "
        "on average). What "
        "remains is eventsui's: gunicorn, middleware, the cache, its HTTP client and "
        f"parsing, rendering. Cold: Redis flushed before each of {r.cold.samples} requests "
        f"(whole request {r.cold.total_median_ms:.1f} ms median); cached: {r.cached.samples} "
        "requests after a warm-up. For scale, /healthz (no view work) takes "
        f"{r.healthz.median_ms:.1f} ms median the same way.",
        f"- Load: wrk {args.threads} threads with a {args.wrk_timeout} s timeout against the "
        "same page; errors are socket errors (connect, read, write, timeout) plus non-2xx/3xx "
        f"answers. Cached: {r.load_cached.error_detail}. Uncached: "
        f"{r.load_uncached.error_detail}.",
        "- Servers: every row above runs `scripts/serve-production` (gthread, "
        f"WEB_CONCURRENCY={args.workers}, GUNICORN_THREADS={args.gunicorn_threads}, Redis "
        "cache), with the default budget unless its row names another; the uncached load "
        "test turns the budget off (EVENTSUI_UPSTREAM_RATE=0) to measure eventsui itself. "
        f"The stall table's old command is `{SYNC_COMMAND}`.",
        "- Upstream calls: counted at the stub, cache flushed first; a full view is the "
        "timeline page, then the histogram URL its placeholder's hx-get names, with "
        "HX-Request as htmx sends it. The running job's last event is a few seconds old.",
        "- Budget: the stub records when each call arrives; the busiest second is the most "
        "calls in any 1-second sliding window. Histograms use pattern=step 1, step 2, ...",
        "- Stall: live tails follow the live job's poller (hx-get of #live-tail-poll, then "
        "the cursor each answer carries); exports come from 127.0.0.2 and 127.0.0.3, two "
        "each, since a reader may run two at once. Failed polls are answers other than "
        "200, 204 and 286.",
        "- RSS: the highest VmHWM of the gunicorn workers (/proc/<pid>/status) after the "
        "export, before any load test; sampling VmRSS every 10 ms during the export saw at "
        f"most {mem.sampled_kb / 1024:.0f} MB.",
    ]
    return "\n".join(lines + notes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("wrk", "redis-server") if args.only is None else ():
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: run `make bench`, which installs it.", file=sys.stderr)
            return 2

    def timed_out(signum: int, frame: FrameType | None) -> Any:
        raise BenchTimeout(f"the benchmark ran past --max-seconds={args.max_seconds}")

    def terminated(signum: int, frame: FrameType | None) -> Any:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, timed_out)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(args.max_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="eventsui-bench-"))
    began = time.monotonic()
    if args.only == "patterns":
        try:
            section = patterns_report(args, patterns_runs(args, workdir))
        finally:
            signal.alarm(0)
            shutil.rmtree(workdir, ignore_errors=True)
        print(section)
        return 0
    try:
        with contextlib.ExitStack() as stack:
            results = run(args, stack, workdir)
    except BaseException:
        for logfile in sorted(workdir.glob("*.log")):
            log(f"--- {logfile.name} (last lines) ---\n{tail(logfile)}")
        raise
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {time.monotonic() - began:.0f} s; every server stopped")
    command = " ".join(["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)])
    print(report(args, results, command))
    workdir = Path(tempfile.mkdtemp(prefix="eventsui-bench-"))
    try:
        print("\n" + patterns_report(args, patterns_runs(args, workdir)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
