"""AK/SK request signing (API Gateway "SDK-HMAC-SHA256"), by huaweicloudsdkcore's Signer.

The SDK is an optional extra (pip install -e '.[aksk]'): only deployments that
sign with an access key need it, and importing its signer pulls in nothing
but the standard library and pyasn1. Settings refuse an aksk project when it
is missing (require_signer), so a deployment never fails on its first call.

AkSkAuth signs the PreparedRequest requests is about to send, so the client's
code path is the same for every kind of credentials. The URL's query is
rewritten to the canonical (sorted, %20-encoded) form the signature covers,
and the body is hashed as the bytes that go out: the gateway checks the
signature against exactly what it receives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from requests import PreparedRequest
from requests.auth import AuthBase

from .ids import project_in_path
from .projects import Project, ProjectsConfigError

SIGNER_MODULE = "huaweicloudsdkcore.signer.signer"
INSTALL_HINT = "pip install -e '.[aksk]' (huaweicloudsdkcore)"
# requests' own transport headers, which the SDK does not sign either (it
# signs the headers it sets, and requests adds these after it).
UNSIGNED_HEADERS = frozenset(
    {"accept", "accept-encoding", "connection", "content-length", "user-agent"}
)
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def _sdk() -> tuple[Any, Any]:
    """The SDK's Signer and SdkRequest classes (ImportError when not installed)."""
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    return Signer, SdkRequest


def signer_available() -> bool:
    try:
        _sdk()
    except ImportError:
        return False
    return True


def require_signer(projects: Iterable[Project]) -> None:
    """Refuse AK/SK projects when the signer is not installed (raised at settings time)."""
    for project in projects:
        if project.credentials.kind == "aksk" and not signer_available():
            raise ProjectsConfigError(
                f"project {project.project_id} signs with an access key (auth aksk), which "
                f"needs the optional signer: {INSTALL_HINT}"
            )


class AkSkAuth(AuthBase):
    """Signs each request with an access key and secret key (SDK-HMAC-SHA256).

    A temporary key's security token is sent as X-Security-Token, added
    before signing so the signature covers it. X-Project-Id is added the
    same way when the path names a project, as the SDK's BasicCredentials do.
    """

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        security_token: str = "",
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not access_key or not secret_key:
            raise ValueError("AK/SK signing needs an access key and a secret key")
        self._signer_class, self._request_class = _sdk()
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._now = now

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        url = urlsplit(request.url or "")
        body = request.body if request.body is not None else b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if not isinstance(body, bytes):
            raise TypeError("AK/SK signing needs the whole body as bytes, not a stream")
        # Sent as the bytes that were hashed.
        request.body = body or None
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in UNSIGNED_HEADERS
        }
        headers["Host"] = url.netloc
        headers["X-Sdk-Date"] = self._now().astimezone(UTC).strftime(SDK_DATE_FORMAT)
        project_id = project_in_path(url.path)
        if project_id:
            headers["X-Project-Id"] = project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        signed = self._request_class(
            method=(request.method or "GET").upper(),
            schema=url.scheme,
            host=url.netloc,
            resource_path=url.path or "/",
            query_params=parse_qsl(url.query, keep_blank_values=True),
            header_params=headers,
            body=body,
        )
        cred = SimpleNamespace(ak=self._access_key, sk=self._secret_key)
        self._signer_class(cred).sign(signed)
        request.url = signed.url
        request.headers.update(signed.header_params)
        return request

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a page or a log line."""
        return tuple(s for s in (self._secret_key, self._security_token) if s)

    def __repr__(self) -> str:
        temporary = ", security_token=<redacted>" if self._security_token else ""
        return f"AkSkAuth(access_key={self._access_key!r}, secret_key=<redacted>{temporary})"


__all__ = ["AkSkAuth", "require_signer", "signer_available"]
