"""The sandbox as a WSGI application, for a real HTTP stub server.

The dashboard itself never uses this (it talks to the sandbox in-process);
the fault-injection tests and the benchmark serve it on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from .api import Sandbox, SandboxResponse

StartResponse = Callable[..., Any]

_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
}


def make_app(
    sandbox: Sandbox | None = None,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    handler = sandbox or Sandbox()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        answer: SandboxResponse = handler.handle(
            environ["REQUEST_METHOD"], path, query, body, environ.get("HTTP_X_LANGUAGE")
        )
        reason = _REASONS.get(answer.status, "Error")
        headers = [*answer.headers.items(), ("Content-Length", str(len(answer.body)))]
        start_response(f"{answer.status} {reason}", headers)
        return [answer.body]

    return app
