"""The sandbox behind a real HTTP server on 127.0.0.1, with faults on demand.

The fault-injection tests and the benchmark point MODELARTS_ENDPOINT here, so
the client's sockets, timeouts and body reading meet a real peer: one that can
be slow, hang, cut an answer short, throttle, fail in bursts or send garbage.

    with running_stub_server() as server:
        server.faults.burst(2, statuses=(503,))
        ...  # call server.url
        assert server.requests == 3
"""

from __future__ import annotations

import io
import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote_to_bytes, urlsplit

from eventsui.modelarts.client import ClientConfig

from .api import Sandbox
from .wsgi import make_app

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FaultKind = Literal[
    "hang",
    "drop_mid_body",
    "stall_mid_body",
    "trickle",
    "status",
    "invalid_json",
    "wrong_shape",
    "huge_body",
]

# Just past the client's own limit, so the client, not the socket, stops it.
DEFAULT_HUGE_BODY = ClientConfig(endpoint="").max_body_bytes + 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One request as the server saw it (the token only as present or not)."""

    method: str
    path: str
    has_token: bool
    # time.monotonic() on arrival, for rates over a sliding window.
    at: float = 0.0


@dataclass
class _Fault:
    kind: FaultKind
    remaining: int | None  # None: until recover()
    path: str | None  # None: every request
    statuses: tuple[int, ...] = ()
    retry_after: str | None = None
    size: int = 0
    bytes_per_second: float = 0.0
    served: int = 0


@dataclass(frozen=True)
class _Plan:
    """What one request gets: decided at once, under the lock."""

    latency: float
    fault: _Fault | None
    index: int  # how many times this fault was served before
    wake: threading.Event


@dataclass
class Faults:
    """What the server does to the next requests; safe to change from any thread.

    One fault is active at a time (setting another replaces it); the added
    latency applies on top of any of them. `times=None` keeps a fault until
    recover(). `path`, when given, limits a fault (or the latency) to requests
    whose path ends with it, e.g. "/events", since one page makes several calls.
    """

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _latency: float = 0.0
    _latency_path: str | None = None
    _fault: _Fault | None = None
    # Set to release every hanging or sleeping handler; replaced after each
    # release so later hangs block again.
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _closed: bool = False
    _received: list[Received] = field(default_factory=list)
    _closed_by_client: int = 0

    # -- setting faults ------------------------------------------------------

    def latency(self, ms: float, path: str | None = None) -> None:
        """Wait this long before answering each request."""
        with self._lock:
            self._latency = max(0.0, ms) / 1000
            self._latency_path = path

    def hang(self, times: int | None = None, path: str | None = None) -> None:
        """Read the request, then never answer (until recover() or shutdown)."""
        self._set(_Fault("hang", times, path))

    def drop_mid_body(self, times: int | None = None, path: str | None = None) -> None:
        """Send the headers with the full Content-Length, half the body, then close."""
        self._set(_Fault("drop_mid_body", times, path))

    def stall_mid_body(self, times: int | None = None, path: str | None = None) -> None:
        """Send the headers and half the body, then go silent with the socket open."""
        self._set(_Fault("stall_mid_body", times, path))

    def trickle(
        self,
        bytes_per_second: float = 1.0,
        content_length: int = 100_000,
        times: int | None = None,
        path: str | None = None,
    ) -> None:
        """Send 200 with this Content-Length, then the body a byte at a time at this rate.

        Each byte arrives well within any read timeout, so only a deadline for
        the whole body stops the client. Ends when the client closes the
        connection (counted in closed_by_client), or at recover() or shutdown.
        """
        self._set(
            _Fault("trickle", times, path, size=content_length, bytes_per_second=bytes_per_second)
        )

    def throttle(
        self, *, retry_after: str | None = None, times: int | None = None, path: str | None = None
    ) -> None:
        """Answer 429 with the API gateway's APIGW.0308 body."""
        self._set(_Fault("status", times, path, statuses=(429,), retry_after=retry_after))

    def burst(
        self, count: int, statuses: Sequence[int] = (502, 503, 500), path: str | None = None
    ) -> None:
        """Answer the next `count` requests with these statuses in turn, then recover."""
        self._set(_Fault("status", count, path, statuses=tuple(statuses)))

    def invalid_json(self, times: int | None = None, path: str | None = None) -> None:
        """Answer 200 with a body that is not JSON."""
        self._set(_Fault("invalid_json", times, path))

    def wrong_shape(self, times: int | None = None, path: str | None = None) -> None:
        """Answer the real data with its lists turned into strings."""
        self._set(_Fault("wrong_shape", times, path))

    def huge_body(
        self, size: int = DEFAULT_HUGE_BODY, times: int | None = None, path: str | None = None
    ) -> None:
        """Answer 200 with `size` bytes, by default more than the client accepts."""
        self._set(_Fault("huge_body", times, path, size=size))

    def recover(self) -> None:
        """Clear every fault and the latency; release whatever is hanging."""
        with self._lock:
            self._latency = 0.0
            self._latency_path = None
            self._fault = None
            self._release()

    # -- what the tests read ----------------------------------------------------

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self._received)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def requests_to(self, path: str) -> int:
        """Requests received whose path ends with `path`."""
        with self._lock:
            return sum(r.path.endswith(path) for r in self._received)

    @property
    def closed_by_client(self) -> int:
        """Answers the client hung up on before their end (so far: trickles)."""
        with self._lock:
            return self._closed_by_client

    def reset_counts(self) -> None:
        with self._lock:
            self._received.clear()
            self._closed_by_client = 0

    # -- used by the server -------------------------------------------------------

    def _set(self, fault: _Fault) -> None:
        with self._lock:
            self._fault = fault
            self._release()

    def _release(self) -> None:
        # Caller holds the lock.
        self._wake.set()
        if not self._closed:
            self._wake = threading.Event()

    def _client_closed(self) -> None:
        with self._lock:
            self._closed_by_client += 1

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            self._release()

    def _plan(self, received: Received) -> _Plan:
        with self._lock:
            self._received.append(received)
            fault = self._fault
            if (
                fault is not None
                and fault.path is not None
                and not received.path.endswith(fault.path)
            ):
                fault = None  # not this request's fault, and not used up by it
            index = 0
            if fault is not None:
                index = fault.served
                fault.served += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._fault = None
                fault = replace(fault)  # a snapshot: later changes do not reach it
            latency = self._latency
            if self._latency_path is not None and not received.path.endswith(self._latency_path):
                latency = 0.0
            return _Plan(latency, fault, index, self._wake)


class _Server(ThreadingHTTPServer):
    # Daemon threads, so a server someone forgot to close never keeps the
    # process alive; block_on_close still joins them in server_close().
    daemon_threads = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], app: WsgiApp, faults: Faults) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.faults = faults
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Wake handlers blocked reading a kept-alive connection, so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as the client's connection pool expects; faults that break
    # an answer close the connection themselves.
    protocol_version = "HTTP/1.1"
    # An idle kept-alive connection ends after this, whatever the client does.
    timeout = 30
    # Headers and body go out in separate writes: without TCP_NODELAY the
    # body waits for the client's delayed ACK, ~40 ms on every kept-alive call.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests assert on the client's log lines, not the server's

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        faults = self.server.faults
        plan = faults._plan(
            Received(
                self.command,
                urlsplit(self.path).path,
                bool(self.headers.get("X-Auth-Token")),
                time.monotonic(),
            )
        )
        try:
            if plan.latency:
                # Cut short by recover() or shutdown, then answered as planned.
                plan.wake.wait(plan.latency)
            self._answer(plan, body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (a timeout, a body too large): expected.
            self.close_connection = True

    def _answer(self, plan: _Plan, body: bytes) -> None:
        fault = plan.fault
        if fault is None:
            self._send(*self._run_app(body))
            return
        if fault.kind == "hang":
            plan.wake.wait()
            self.close_connection = True
            return
        if fault.kind == "status":
            status = fault.statuses[plan.index % len(fault.statuses)]
            self._send(*_error_answer(status, fault.retry_after))
            return
        if fault.kind == "invalid_json":
            self._send(200, [("Content-Type", "application/json")], b'{"total": 27, "events": [')
            return
        if fault.kind == "huge_body":
            self._send_huge(fault.size)
            return
        if fault.kind == "trickle":
            self._send_trickle(fault, plan.wake)
            return
        status, headers, payload = self._run_app(body)
        if fault.kind == "wrong_shape":
            self._send(status, headers, _misshape(payload))
            return
        # drop_mid_body / stall_mid_body: the promised length, half the bytes.
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        if fault.kind == "stall_mid_body":
            plan.wake.wait()
        self.close_connection = True

    def _run_app(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """Call the WSGI app with the little of an environ that it reads."""
        parts = urlsplit(self.path)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            # WSGI's PATH_INFO: the decoded bytes, carried as latin-1 text.
            "PATH_INFO": unquote_to_bytes(parts.path).decode("latin-1"),
            "QUERY_STRING": parts.query,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            started.extend((status, headers))

        payload = b"".join(self.server.app(environ, start_response))
        status_line, headers = started
        return int(status_line.split()[0]), headers, payload

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_huge(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        # Written in chunks, so the server never holds the whole body.
        chunk = b" " * (64 * 1024)
        left = size
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            self.wfile.write(piece)
            left -= len(piece)
        self.close_connection = True

    def _send_trickle(self, fault: _Fault, wake: threading.Event) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(fault.size))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        interval = 1 / fault.bytes_per_second
        for _ in range(fault.size):
            if self._client_hung_up():
                self.server.faults._client_closed()
                return
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.server.faults._client_closed()
                return
            if wake.wait(interval):
                return  # recover() or shutdown

    def _client_hung_up(self) -> bool:
        """Whether the client closed its end (readable, with nothing to read)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _error_answer(status: int, retry_after: str | None) -> tuple[int, list[tuple[str, str]], bytes]:
    request_id = uuid.uuid4().hex
    headers = [("X-Request-Id", request_id)]
    if retry_after is not None:
        headers.append(("Retry-After", retry_after))
    if status == 429:
        payload: Any = {
            "error_code": "APIGW.0308",
            "error_msg": "The throttling threshold has been reached: policy user over ratelimit,"
            " limit:100, time:1 minute",
            "request_id": request_id,
        }
    elif status == 500:
        payload = {"error_code": "ModelArts.0010", "error_msg": "Internal error."}
    else:
        # A proxy in front of the service answers 502/503 in plain text.
        text = f"{status} {'Bad Gateway' if status == 502 else 'Service Unavailable'}"
        return status, [*headers, ("Content-Type", "text/plain")], text.encode()
    return status, [*headers, ("Content-Type", "application/json")], json.dumps(payload).encode()


def _misshape(payload: bytes) -> bytes:
    """The same answer with its lists and objects turned into strings."""
    try:
        data = json.loads(payload)
    except ValueError:
        return payload
    if isinstance(data, dict):
        for key in ("events", "items", "metadata", "status"):
            if key in data:
                data[key] = f"not a {type(data[key]).__name__}"
    return json.dumps(data).encode()


class StubServer:
    """The sandbox on 127.0.0.1 with an ephemeral port, in a background thread."""

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1") -> None:
        self.faults = Faults()
        self._httpd = _Server((host, 0), make_app(sandbox), self.faults)
        port = self._httpd.server_address[1]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"stub-server-{port}",
            daemon=True,
        )

    @property
    def requests(self) -> int:
        """Requests received since start (or faults.reset_counts())."""
        return self.faults.requests

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        # Order matters: release hangs, stop accepting, unblock kept-alive
        # reads, then join every handler thread.
        self.faults._close()
        self._httpd.shutdown()
        self._httpd.cut_connections()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def running_stub_server(
    sandbox: Sandbox | None = None, host: str = "127.0.0.1"
) -> Iterator[StubServer]:
    """A started StubServer, shut down (hanging requests included) on exit."""
    with StubServer(sandbox, host) as server:
        yield server
