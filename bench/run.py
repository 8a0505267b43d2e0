"""The benchmark behind the README's Performance section: `make bench`.

One run starts, all on 127.0.0.1 and all stopped at the end (failure, Ctrl-C and
the --max-seconds watchdog included):

- the sandbox as a real HTTP stub (eventsui.sandbox.server) that waits
  --latency-ms before every answer, with two synthetic jobs of --events and
  --big-events events (eventsui.sandbox.data.add_synthetic_job);
- a redis-server on a free port, the shared cache of the gunicorn workers;
- gunicorn serving eventsui with --workers sync workers and MODELARTS_ENDPOINT
  pointed at the stub: once with CACHE_URL=redis://..., once with
  CACHE_URL=dummycache:// (a cache that stores nothing).

and measures, in order:

1. all --events events fetched by a sequential page loop (limit=100, offset
   stepping, one call after another, straight to the stub, as a script with
   requests would) against the export endpoint (format=ndjson) through gunicorn;
2. the gunicorn worker's peak RSS during an export of --big-events events;
3. the timeline's server time above the upstream's for a 100-row page, cold
   (Redis flushed before every request) and cached;
4. wrk against the timeline, cached (Redis) and uncached (dummy cache).

Then it prints a markdown table, the machine and the command. Not a test: it
never runs under `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
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

# The targets the README states, and how each is read.
TARGET_SPEEDUP = 5.0
TARGET_CACHED_MS = 5.0
TARGET_RSS_MB = 150.0


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
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--wrk-timeout", type=int, default=10, help="seconds before wrk gives up")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the loop and the export")
    parser.add_argument("--cold", type=int, default=30, help="cold timeline requests")
    parser.add_argument("--cached", type=int, default=200, help="cached timeline requests")
    parser.add_argument("--max-seconds", type=int, default=900, help="watchdog for the whole run")
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


@contextlib.contextmanager
def gunicorn(
    name: str, workdir: Path, stub: StubServer, cache_url: str, workers: int
) -> Iterator[Gunicorn]:
    port = free_port()
    env = {
        **os.environ,
        # Production settings, whatever the caller's environment or .env says.
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
        "MODELARTS_CACHE_TTL_ACTIVE": "5",
        "MODELARTS_CACHE_TTL_FINISHED": "3600",
        "CACHE_URL": cache_url,
        "LOG_LEVEL": "INFO",
    }
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "eventsui.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
    ]
    logfile = workdir / f"gunicorn-{name}.log"
    with started(f"gunicorn ({name})", cmd, logfile, env) as proc:
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
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> SandboxResponse:
        began = time.perf_counter()
        try:
            return super().handle(method, path, query, body)
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


def get(port: int, path: str, timeout: float = 30) -> tuple[int, float, bytes]:
    """Status, seconds from sending to the last byte, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        began = time.perf_counter()
        conn.request("GET", path)
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


def export(port: int, job_id: str) -> Export:
    """The export endpoint as NDJSON, read to the end; rows counted by lines."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
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


# -- the run ----------------------------------------------------------------------


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    loop_s: float = 0.0
    loop_rows: int = 0
    export_s: float = 0.0
    export_rows: int = 0
    export_complete: bool = False
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


def run(args: argparse.Namespace, stack: contextlib.ExitStack, workdir: Path) -> Results:
    results = Results(machine=machine(), load_before=loadavg())
    small = data.add_synthetic_job(args.events)
    big = data.add_synthetic_job(args.big_events)
    log(f"generating {args.events} + {args.big_events} synthetic events")
    small.events()
    big.events()

    sandbox = TimedSandbox(args.latency_ms / 1000)
    stub = stack.enter_context(running_stub_server(sandbox))
    stub.faults.latency(args.latency_ms)
    log(f"stub upstream at {stub.url}, {args.latency_ms:g} ms added to every answer")
    cache = stack.enter_context(redis_server(workdir))
    port = cache.connection_pool.connection_kwargs["port"]
    log(f"redis-server on 127.0.0.1:{port}")

    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "collectstatic-only"}
    log("collectstatic (the manifest the production storage needs)")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )

    with gunicorn("redis", workdir, stub, f"redis://127.0.0.1:{port}/0", args.workers) as server:
        log(f"gunicorn, {args.workers} sync workers, Redis cache, on 127.0.0.1:{server.port}")
        # 1. The sequential loop against the export.
        loops, exports, worker_cpu, bench_cpu = [], [], [], []
        for i in range(args.repeat):
            seconds, rows = sequential_loop(stub, small.id)
            loops.append(seconds)
            results.loop_rows = rows
            log(f"sequential loop {i + 1}/{args.repeat}: {rows} rows in {seconds:.2f} s")
            # CPU used by the workers and by this process (the stub) during the export.
            workers_before = sum(cpu_seconds(pid) for pid in server.workers)
            bench_before = time.process_time()
            done = export(server.port, small.id)
            bench_cpu.append(time.process_time() - bench_before)
            worker_cpu.append(sum(cpu_seconds(pid) for pid in server.workers) - workers_before)
            exports.append(done.seconds)
            results.export_rows, results.export_complete = done.rows, done.complete
            log(f"export {i + 1}/{args.repeat}: {done.rows} rows in {done.seconds:.2f} s")
            if done.status != 200 or not done.complete:
                raise RuntimeError(f"export answered {done.status}, complete={done.complete}")
        results.loop_s = statistics.median(loops)
        results.export_s = statistics.median(exports)
        results.export_worker_cpu = statistics.median(worker_cpu)
        results.export_stub_cpu = statistics.median(bench_cpu)

        # 2. Peak RSS during the big export, before any load raises it.
        log(f"export of {args.big_events} events, sampling the workers' RSS")
        results.memory = export_memory(server, big.id)
        log(
            f"  {results.memory.export.rows} rows in {results.memory.export.seconds:.1f} s, "
            f"peak RSS {results.memory.peak_kb / 1024:.0f} MB"
        )

        # 3. Server time above the upstream's for a 100-row page.
        path = f"/projects/{PROJECT}/jobs/{small.id}/events/?limit={PAGE}"
        results.healthz = timeline_timing(server, sandbox, "/healthz", 50)
        results.cold = timeline_timing(server, sandbox, path, args.cold, before_each=cache.flushdb)
        log(f"cold: median {results.cold.median_ms:.1f} ms above upstream")
        for _ in range(10):
            get(server.port, path)
        results.cached = timeline_timing(server, sandbox, path, args.cached)
        log(f"cached: median {results.cached.median_ms:.1f} ms")

        # 4. Load, cached.
        log(f"wrk, cached, {args.connections} connections for {args.duration} s")
        results.load_cached = wrk(args, server, stub, path)
        log(f"  {results.load_cached.rps:.0f} req/s, {results.load_cached.errors} errors")

    with gunicorn("dummy", workdir, stub, "dummycache://", args.workers) as server:
        log(f"gunicorn, {args.workers} sync workers, no cache, on 127.0.0.1:{server.port}")
        get(server.port, path)
        log(f"wrk, uncached, {args.connections} connections for {args.duration} s")
        results.load_uncached = wrk(args, server, stub, path)
        log(f"  {results.load_uncached.rps:.0f} req/s, {results.load_uncached.errors} errors")
    results.load_after = loadavg()
    return results


# -- the report ---------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(args: argparse.Namespace, r: Results, command: str) -> str:
    assert r.cold and r.cached and r.memory and r.load_cached and r.load_uncached and r.healthz
    speedup = r.loop_s / r.export_s
    rows_match = r.loop_rows == r.export_rows == args.events and r.export_complete
    lat = f"{args.latency_ms:g} ms"
    load = f"wrk {args.connections} connections, {args.duration} s, {args.workers} sync workers"
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
        f"| export speed-up over the loop, {lat} upstream latency | **{speedup:.1f}x** | "
        f">= {TARGET_SPEEDUP:g}x | {verdict(speedup >= TARGET_SPEEDUP and rows_match)} |",
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
        "sending to the last byte on a new connection (sync workers close it). The upstream "
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
        "- RSS: the highest VmHWM of the gunicorn workers (/proc/<pid>/status) after the "
        "export, before any load test; sampling VmRSS every 10 ms during the export saw at "
        f"most {mem.sampled_kb / 1024:.0f} MB.",
    ]
    return "\n".join(lines + notes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("wrk", "redis-server"):
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
