"""Every page works while the cache fails: Redis unreachable, stopped, frozen or flapping.

The cache is optional (eventsui/modelarts/cache.py): a page goes on without
it, the outage is logged at most once per 30 s per process, and /readyz says
the cache is degraded while staying ready. Run against a real redis-server,
started per test here (not the session's shared one) since the tests stop,
freeze and restart it.
"""

from __future__ import annotations

import ast
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from django.urls import reverse

from eventsui.modelarts import tolerant_cache as cache_module
from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LIVE_JOB_ID

pytestmark = pytest.mark.django_db(transaction=True)

TIMELINE = reverse("events", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID])
# Every page that reads through the cache, and the failure link into the timeline.
PAGES = [
    TIMELINE,
    reverse("job_failure", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]),
    reverse("jobs", args=[DEFAULT_PROJECT_ID]),
    reverse("events_histogram", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]),
    reverse("events_export", args=[DEFAULT_PROJECT_ID, FAILED_JOB_ID]) + "?format=csv",
    reverse("events", args=[DEFAULT_PROJECT_ID, LIVE_JOB_ID]) + "?live=1",
    reverse("events_live", args=[DEFAULT_PROJECT_ID, LIVE_JOB_ID]),
]
# As settings.py adds them for a Redis CACHE_URL.
REDIS_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


class RedisServer:
    """A redis-server on a unix socket that a test can stop, freeze and start again."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="eventsui-redis-outage-"))
        self.socket = str(self.folder / "redis.sock")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", "0", "--unixsocket", self.socket),
                *("--unixsocketperm", "700", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        connection = redis.Redis(unix_socket_path=self.socket)
        deadline = time.monotonic() + 10
        while True:
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        connection.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # in case it is frozen
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        """Stop the process without closing anything: every call hangs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stored_keys(self) -> list[bytes]:
        connection = redis.Redis(unix_socket_path=self.socket)
        try:
            return list(connection.scan_iter("*"))
        finally:
            connection.close()


@pytest.fixture(autouse=True)
def fresh_outage_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no outage logged or paused in this process."""
    monkeypatch.setattr(cache_module, "_outage", cache_module._Outage())


@pytest.fixture
def redis_server(settings: Any) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    server = RedisServer(binary)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{server.socket}",
            "OPTIONS": REDIS_OPTIONS,
        }
    }
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def outage_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """The cache's outage warnings, as they are logged."""
    # "eventsui" does not propagate to the root, where caplog listens.
    logger = logging.getLogger("eventsui")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.WARNING, logger="eventsui")
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "eventsui.modelarts.cache" and record.levelno >= logging.WARNING:
                records.append(record)

    collect = Collect()
    logger.addHandler(collect)
    try:
        yield records
    finally:
        logger.removeHandler(collect)
        logger.removeHandler(caplog.handler)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _statuses(client: Client) -> dict[str, int]:
    answers = {page: client.get(page).status_code for page in PAGES}
    answers["timeline (htmx)"] = client.get(TIMELINE, headers={"HX-Request": "true"}).status_code
    return answers


def test_every_page_answers_with_a_cache_url_on_a_closed_port(
    settings: Any, outage_warnings: list[logging.LogRecord]
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": REDIS_OPTIONS,
        }
    }
    client = Client()

    answers = _statuses(client)
    followed = client.get(PAGES[1], follow=True)
    ready = client.get("/readyz")

    assert all(status < 500 for status in answers.values()), answers
    assert answers[TIMELINE] == 200
    assert followed.status_code == 200
    assert (ready.status_code, ready.content) == (
        200,
        b"ready\ncache: degraded (ConnectionError)\n",
    )
    assert len(outage_warnings) == 1
    assert "going without: ConnectionError" in outage_warnings[0].getMessage()


def test_readyz_says_nothing_of_a_cache_that_answers(redis_server: RedisServer) -> None:
    assert Client().get("/readyz").content == b"ready\n"


def test_a_frozen_redis_delays_a_page_by_a_socket_timeout_or_so(
    redis_server: RedisServer, outage_warnings: list[logging.LogRecord]
) -> None:
    client = Client()
    assert client.get(TIMELINE).status_code == 200
    redis_server.freeze()
    try:
        started = time.monotonic()
        frozen = client.get(TIMELINE + "?level=Error")
        elapsed = time.monotonic() - started
        ready = client.get("/readyz")
    finally:
        redis_server.thaw()

    assert frozen.status_code == 200
    # One socket timeout, then the cache is skipped for a second, not one per cache call.
    assert elapsed < 1.5
    assert (ready.status_code, ready.content) == (200, b"ready\ncache: degraded (TimeoutError)\n")
    assert len(outage_warnings) == 1


def test_pages_answer_while_redis_stops_freezes_and_restarts_under_load(
    redis_server: RedisServer, outage_warnings: list[logging.LogRecord]
) -> None:
    failures: list[tuple[str, int]] = []
    answered = 0
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        nonlocal answered
        client = Client()
        while not stop.is_set():
            for page in PAGES:
                status = client.get(page).status_code
                with lock:
                    answered += 1
                    if status >= 500:
                        failures.append((page, status))

    threads = [threading.Thread(target=load, name=f"load-{n}") for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        redis_server.stop()  # down
        time.sleep(1.0)
        redis_server.start()  # back
        time.sleep(0.7)
        redis_server.freeze()  # hanging
        time.sleep(1.0)
        redis_server.thaw()
        time.sleep(0.3)
        redis_server.stop()  # flapping
        time.sleep(0.3)
        redis_server.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert failures == []
    assert answered > 4 * len(PAGES)
    # Well within one 30-second window: one warning for all of it.
    assert len(outage_warnings) == 1
    # The cache is used again once Redis is back.
    Client().get(TIMELINE)
    assert any(b"modelarts" in key for key in redis_server.stored_keys())
    assert Client().get("/readyz").content == b"ready\n"


def test_the_outage_is_logged_again_after_thirty_seconds(
    monkeypatch: pytest.MonkeyPatch, outage_warnings: list[logging.LogRecord]
) -> None:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    failure = ConnectionError("Error 111 connecting to 127.0.0.1:6399.")

    for _ in range(500):
        cache_module._log_cache_failure("get", failure)
    now[0] += 29.9
    cache_module._log_cache_failure("set", failure)
    now[0] += 0.2
    cache_module._log_cache_failure("add", failure)

    assert len(outage_warnings) == 2
    assert "cache add failed" in outage_warnings[1].getMessage()
    assert "(500 more failures since the last warning" in outage_warnings[1].getMessage()


@pytest.mark.parametrize(
    ("cache_url", "options"),
    [
        ("redis://127.0.0.1:6399/0", REDIS_OPTIONS),
        ("rediscache:///tmp/redis.sock", REDIS_OPTIONS),
        ("redis://127.0.0.1:6399/0?socket_timeout=2", {**REDIS_OPTIONS, "socket_timeout": 2}),
        ("locmemcache://", None),
    ],
)
def test_a_redis_cache_url_gets_short_socket_timeouts(
    cache_url: str, options: dict[str, Any] | None
) -> None:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eventsui.settings",
        "DJANGO_DEBUG": "1",
        "CACHE_URL": cache_url,
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.CACHES['default'].get('OPTIONS'))",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ast.literal_eval(shown.stdout.strip()) == options
