"""A requests transport that answers from the sandbox in-process.

Mounted on the sandbox's http:// base URL, so the client's whole code path
(URL building, query encoding, auth header, body reading, error mapping) runs
unchanged, and a single sync gunicorn worker never waits on an HTTP call to
itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .api import Sandbox, SandboxOptions


class SandboxAdapter(BaseAdapter):
    def __init__(self, options: SandboxOptions | None = None) -> None:
        super().__init__()
        self.sandbox = Sandbox(options)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        parts = urlsplit(request.url or "")
        query = parse_qs(parts.query, keep_blank_values=True)
        body: Any = request.body
        if isinstance(body, str):
            body = body.encode()
        answer = self.sandbox.handle(
            request.method or "GET",
            unquote(parts.path),
            query,
            body or b"",
            request.headers.get("X-Language"),
        )
        response = Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = io.BytesIO(answer.body)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if answer.status < 400 else "Error"
        return response

    def close(self) -> None:
        pass
