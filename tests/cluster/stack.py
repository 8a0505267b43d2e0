"""PostgreSQL, Redis, two production instances and nginx on 127.0.0.1, for the cluster tests.

Every server is a child process in its own session, with its output in a log
file under one temporary folder, stopped (TERM, then KILL of its process
group) by Stack.close() whatever happened. The choices:

- The instances run scripts/serve-production, the image's entrypoint, with
  the environment a deployment gives it; nothing leaks from the test
  process's own settings (eventsui.settings_test rewrites os.environ).
- PostgreSQL refuses to run as root: as root, initdb and postgres run as the
  `postgres` user (runuser) on a data folder it owns. Durability is off
  (fsync, synchronous_commit): a test database, rebuilt every run.
- nginx retries a request the other instance can answer (connection refused,
  timeout, 502, 503) and does not buffer, so an export streams through it.
- Stack.instances(**env) (re)starts only the instances whose environment
  differs, so each test states what it needs and pays for restarts only then.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
import requests

from eventsui.sandbox.data import DEFAULT_PROJECT_ID
from eventsui.sandbox.server import StubServer

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PROJECT = DEFAULT_PROJECT_ID
# Two users: each may run at most 2 exports at once, and one test runs 4.
USERNAMES = ("ops", "ops2")
PASSWORD = "cluster-test-password"
READY_SECONDS = 40.0
# A budget that never binds, for every test but the budget's own.
LOOSE_BUDGET = {"EVENTSUI_UPSTREAM_RATE": "10000", "EVENTSUI_UPSTREAM_BURST": "10000"}


class StackError(RuntimeError):
    """A server did not start, or a setup command failed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    """Poll `ready` until it is true; fail when the process exits or time runs out."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(
            OSError, requests.RequestException, redis.RedisError, psycopg.Error
        ):
            if ready():
                return
        time.sleep(0.1)
    raise StackError(f"{what} was not ready within {READY_SECONDS:.0f} s")


def postgres_bin(name: str) -> str:
    """A PostgreSQL program from the newest Debian install (not a PATH shim)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise StackError("PostgreSQL is not installed: run scripts/ensure-system-packages")
    return found[-1]


def nginx_bin() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise StackError("nginx is not installed: run scripts/ensure-system-packages")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.getuid() != 0:
        return cmd
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *cmd]


@dataclass
class Instance:
    name: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Stack:
    """The servers of one cluster test session; use as a context manager."""

    def __init__(self) -> None:
        # Not pytest's tmp_path: its parents are 0700 and the postgres user
        # must reach its data folder.
        self.tmp = Path(tempfile.mkdtemp(prefix="eventsui-cluster-"))
        self.tmp.chmod(0o755)
        self.stub = StubServer()
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.nginx_port = free_port()
        self.a = Instance("a", free_port())
        self.b = Instance("b", free_port())
        self._procs: list[tuple[str, subprocess.Popen[bytes], signal.Signals]] = []
        self._pg_data = self.tmp / "pgdata"

    # -- the whole stack ----------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.stub.start()
            self._start_postgres()
            self._start_redis()
            self._manage("collectstatic", "--noinput", "-v", "0")
            self.instances()
            for username in USERNAMES:
                self._manage("createsuperuser", "--noinput", "--username", username, "--email", "")
                self._manage("grant_project", "--project", PROJECT, "--user", username)
            self._start_nginx()
        except BaseException:
            print(self.logs())
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for name, proc, stop_signal in reversed(self._procs):
            if name == "postgres":
                _signal_postmaster(self._pg_data)
            _stop(proc, name, stop_signal)
        self._procs.clear()
        with contextlib.suppress(RuntimeError):  # never started
            self.stub.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def url(self) -> str:
        """nginx, in front of both instances."""
        return f"http://127.0.0.1:{self.nginx_port}"

    def logs(self) -> str:
        """The tail of every server's log, for a failing test's report."""
        parts = []
        for log in sorted(self.tmp.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-40:]
            parts.append(f"----- {log.name} (last {len(lines)} lines) -----\n" + "\n".join(lines))
        return "\n".join(parts)

    # -- the instances -------------------------------------------------------------

    def instances(self, **env: str) -> None:
        """Have both instances running with this extra environment, restarting only as needed.

        A runs the migrations (EVENTSUI_MIGRATE=1) and is up before B starts
        without them, as in a rollout with a migration job.
        """
        for instance, migrate in ((self.a, "1"), (self.b, "0")):
            wanted = self._instance_env(instance, migrate, env)
            if instance.running and instance.env == wanted:
                continue
            self.stop_instance(instance)
            instance.env = wanted
            instance.proc = self._spawn(
                f"instance-{instance.name}", [str(ROOT / "scripts" / "serve-production")], wanted
            )
            wait_until(
                f"instance {instance.name}", _answers(f"{instance.url}/healthz"), instance.proc
            )

    def stop_instance(self, instance: Instance, timeout: float = 35.0) -> None:
        """SIGTERM: gunicorn's graceful stop (requests in progress finish)."""
        if instance.proc is None:
            return
        if instance.proc.poll() is None:
            instance.proc.send_signal(signal.SIGTERM)
            try:
                instance.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _stop(instance.proc, f"instance {instance.name}", signal.SIGKILL)
        instance.proc = None

    def _instance_env(
        self, instance: Instance, migrate: str, extra: dict[str, str]
    ) -> dict[str, str]:
        return {
            **self._base_env(),
            "HOST": "127.0.0.1",
            "PORT": str(instance.port),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "16",
            "EVENTSUI_MIGRATE": migrate,
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"metrics-{instance.name}"),
            **extra,
        }

    def _base_env(self) -> dict[str, str]:
        """What a deployment sets; nothing from this process's test settings."""
        return {
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.tmp),
            "DJANGO_SETTINGS_MODULE": "eventsui.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "cluster-test-secret-key-not-for-production",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "MODELARTS_ENDPOINT": self.stub.url,
            "MODELARTS_PROJECT_ID": PROJECT,
            "MODELARTS_AUTH_TOKEN": "x",
            # Set, though empty, so a developer's .env cannot configure other projects.
            "EVENTSUI_PROJECTS": "",
            "EVENTSUI_PROJECTS_FILE": "",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DATABASE_URL": f"postgres://eventsui@127.0.0.1:{self.pg_port}/eventsui",
            "EVENTSUI_AUTH": "login",
            **LOOSE_BUDGET,
        }

    def _manage(self, *args: str) -> None:
        done = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self._base_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def flush_cache(self) -> None:
        """Empty Redis: the next views are first views again."""
        redis.Redis(port=self.redis_port).flushdb()

    # -- the other servers -----------------------------------------------------------

    def _spawn(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> subprocess.Popen[bytes]:
        with (self.tmp / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env if env is not None else self._base_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._procs.append((name, proc, stop_signal))
        return proc

    def _start_postgres(self) -> None:
        data = self._pg_data
        data.mkdir()
        if os.getuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        initdb = [postgres_bin("initdb"), "-D", str(data), "-U", "eventsui", "--auth=trust"]
        done = subprocess.run(
            _as_postgres([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise StackError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        server = [postgres_bin("postgres"), "-D", str(data), "-p", str(self.pg_port)]
        settings = ["listen_addresses=127.0.0.1", "unix_socket_directories=", "fsync=off"]
        settings += ["synchronous_commit=off", "full_page_writes=off", "max_connections=200"]
        proc = self._spawn(
            "postgres",
            _as_postgres([*server, *(f"-c{s}" for s in settings)]),
            env={"LANG": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        dsn = f"postgresql://eventsui@127.0.0.1:{self.pg_port}/postgres"
        wait_until("postgres", lambda: _accepts_connections(dsn), proc)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE eventsui")

    def _start_redis(self) -> None:
        cmd = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        proc = self._spawn("redis", cmd)
        wait_until("redis", lambda: bool(redis.Redis(port=self.redis_port).ping()), proc)

    def _start_nginx(self) -> None:
        prefix = self.tmp / "nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "temp" / sub).mkdir(parents=True)
            (prefix / "temp" / sub).chmod(0o777)
        conf = prefix / "nginx.conf"
        conf.write_text(_nginx_conf(self, prefix))
        cmd = [
            nginx_bin(),
            "-c",
            str(conf),
            "-p",
            str(prefix),
            "-e",
            str(self.tmp / "nginx-error.log"),
        ]
        proc = self._spawn("nginx", [*cmd, "-g", "daemon off;"])
        wait_until("nginx", _answers(f"{self.url}/healthz"), proc)


def _answers(url: str) -> Callable[[], bool]:
    return lambda: requests.get(url, timeout=2).status_code == 200


def _accepts_connections(dsn: str) -> bool:
    with psycopg.connect(dsn, connect_timeout=2):
        return True


def _nginx_conf(stack: Stack, prefix: Path) -> str:
    temp = prefix / "temp"
    user = "user www-data www-data;" if os.getuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
pid {stack.tmp}/nginx.pid;
error_log {stack.tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    # Which instance answered, and each one nginx tried ("502, 200": a retry).
    log_format upstreams '$request $status upstream=$upstream_addr $upstream_status';
    access_log {stack.tmp}/nginx-access.log upstreams;
    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream eventsui {{
        server 127.0.0.1:{stack.a.port} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:{stack.b.port} max_fails=1 fail_timeout=2s;
    }}
    server {{
        listen 127.0.0.1:{stack.nginx_port};
        location / {{
            proxy_pass http://eventsui;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Idempotent requests go to the other instance when one is stopping.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 1s;
            proxy_read_timeout 120s;
            # Exports and live tails stream through, not into a temp file.
            proxy_buffering off;
        }}
    }}
}}
"""


def _signal_postmaster(data: Path) -> None:
    """PostgreSQL's fast shutdown (SIGINT), sent to the postmaster itself.

    runuser, its parent when the tests run as root, does not pass SIGINT on,
    and the SIGTERM it does pass on would wait for every client to leave.
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)


def _stop(
    proc: subprocess.Popen[bytes], name: str, stop_signal: signal.Signals = signal.SIGTERM
) -> None:
    """The server's stop signal, then KILL of its process group (its own session)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(stop_signal)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in 15 s; killing its process group")
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
