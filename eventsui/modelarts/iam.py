"""IAM password authentication: a project-scoped token, fetched, cached and renewed.

POST {iam_endpoint}/v3/auth/tokens?nocatalog=true with the user's name,
password and domain, scoped to the project by id; IAM answers 201 with the
token in the X-Subject-Token header and token.expires_at in the body.
https://support.huaweicloud.com/intl/en-us/api-iam/iam_30_0001.html

What it decides, and why:

- One token per credentials and project, shared by every client in the
  process. A client serves every project with its endpoint and credentials,
  so the project comes from each request's path.
- A token is renewed when less than 10 minutes or 10% of its life remain.
  Its life is IAM's expires_at - issued_at, counted on the local monotonic
  clock from when it arrived, so a skewed wall clock does not matter.
- One renewal at a time per token (a lock): the requests that waited take the
  token it fetched. A failed renewal is remembered for a short while and
  shared by those waiting, so a wrong password costs one IAM call per hold,
  not one per page (IAM locks users after repeated failures). While the old
  token is still valid, a failed renewal goes on using it.
- A 401 from ModelArts to a cached token drops it and retries the call once
  with a new one: a token can be revoked before it expires (password or
  permission changes).
- IAM calls go through the client's session with its timeouts; their
  failures are ModelArtsErrors (IamRejected, IamUnavailable: 502; IamTimeout:
  504) whose messages name IAM and never the password.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests import PreparedRequest
from requests.auth import AuthBase
from urllib3.exceptions import ReadTimeoutError

from eventsui import metrics

from . import errors
from .ids import project_in_path
from .parsing import parse_error_body
from .projects import Credentials
from .redaction import redact

logger = logging.getLogger("eventsui.modelarts.iam")

TOKEN_PATH = "/v3/auth/tokens"  # noqa: S105 - a URL path, not a secret
# Renewed when less than this many seconds, or this share of its life, remain.
RENEW_MARGIN = 600.0
RENEW_FRACTION = 0.1
# A token this close to its expiry is not sent, even when renewal fails.
EXPIRY_SAFETY = 60.0
# How long a failed token request is answered from memory: long for refused
# credentials (they will not fix themselves, and IAM locks users after
# repeated failures), short for an IAM that was down or slow.
REJECTED_HOLD = 300.0
FAILURE_HOLD = 10.0
# A 401 to a token younger than this is not about its age: no retry.
FRESH_FOR = 60.0
# The life assumed when IAM's expires_at cannot be read (24 h is documented).
UNKNOWN_LIFETIME = 3600.0
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class IamToken:
    value: str = field(repr=False)
    # Local monotonic times.
    obtained: float
    renew_at: float
    expires: float

    def usable(self, now: float) -> bool:
        return now < self.expires - EXPIRY_SAFETY


@dataclass
class _Slot:
    """The token of one (credentials, project), and its renewal lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    token: IamToken | None = None
    # The token replaced last, still redacted from upstream text.
    previous: str = field(default="", repr=False)
    failure: errors.ModelArtsError | None = None
    failure_until: float = 0.0


_slots: dict[tuple[str, str], _Slot] = {}
_slots_lock = threading.Lock()


def _slot(identity: str, project_id: str) -> _Slot:
    with _slots_lock:
        return _slots.setdefault((identity, project_id), _Slot())


def forget_tokens() -> None:
    """Drop every token and remembered failure of this process (for tests)."""
    with _slots_lock:
        _slots.clear()


def renewal_time(obtained: float, lifetime: float) -> float:
    """When a token of this lifetime, obtained at `obtained`, is renewed."""
    margin = min(max(RENEW_MARGIN, RENEW_FRACTION * lifetime), lifetime / 2)
    return obtained + lifetime - margin


class PasswordAuth(AuthBase):
    """X-Auth-Token from IAM for a username, domain and password (see the module docstring)."""

    def __init__(
        self,
        credentials: Credentials,
        project_id: str,
        session: requests.Session,
        *,
        timeout: tuple[float, float],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if credentials.kind != "password":
            raise ValueError("PasswordAuth needs password credentials")
        self._credentials = credentials
        self._identity = credentials.identity
        # The scope of requests whose path names no project.
        self._project_id = project_id
        self._session = session
        self._timeout = timeout
        self._clock = clock
        self._wall = wall

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["X-Auth-Token"] = self.token(self._project_of(request))
        request.register_hook("response", self._retry_on_401)
        return request

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a page or a log line: the password and its tokens."""
        with _slots_lock:
            slots = [slot for (who, _), slot in _slots.items() if who == self._identity]
        values = [self._credentials.password]
        for slot in slots:
            if slot.token is not None:
                values.append(slot.token.value)
            values.append(slot.previous)
        return tuple(value for value in values if value)

    def __repr__(self) -> str:
        c = self._credentials
        return (
            f"PasswordAuth(iam_endpoint={c.iam_endpoint!r}, username={c.username!r}, "
            f"domain={c.domain!r}, password=<redacted>)"
        )

    # -- the token ---------------------------------------------------------

    def token(self, project_id: str) -> str:
        """A token scoped to project_id, from IAM when there is none or it is due."""
        slot = _slot(self._identity, project_id)
        current = slot.token
        if current is not None and self._clock() < current.renew_at:
            return current.value
        with slot.lock:
            now = self._clock()
            current = slot.token
            if current is not None and now < current.renew_at:
                # Another thread renewed it while this one waited.
                return current.value
            if slot.failure is not None and now < slot.failure_until:
                if current is not None and current.usable(now):
                    return current.value
                raise copy.copy(slot.failure) from None
            try:
                fresh = self._request_token(project_id)
            except errors.ModelArtsError as exc:
                hold = REJECTED_HOLD if isinstance(exc, errors.IamRejected) else FAILURE_HOLD
                slot.failure = exc
                slot.failure_until = self._clock() + hold
                if current is not None and current.usable(self._clock()):
                    logger.warning(
                        "iam token renewal failed (%s); the current token is used until it expires",
                        type(exc).__name__,
                    )
                    return current.value
                raise
            if current is not None:
                slot.previous = current.value
            slot.token = fresh
            slot.failure = None
            return fresh.value

    def _token_after_401(self, project_id: str, sent: str) -> str | None:
        """The token to retry with after ModelArts refused `sent`, or None: do not retry."""
        slot = _slot(self._identity, project_id)
        with slot.lock:
            current = slot.token
            if current is not None and current.value == sent:
                if self._clock() - current.obtained < FRESH_FOR:
                    return None
                slot.previous = sent
                slot.token = None
        # Renewed here, or by another thread whose request met the same 401.
        return self.token(project_id)

    def _retry_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            return response
        request = response.request
        try:
            token = self._token_after_401(
                self._project_of(request), str(request.headers.get("X-Auth-Token", ""))
            )
        except errors.ModelArtsError:
            response.close()
            raise
        if token is None:
            return response
        logger.info("modelarts refused the cached iam token (401); retrying once with a new one")
        # Not read: a 401's body is of no use, and the connection is not reused.
        response.close()
        retry = request.copy()
        retry.headers["X-Auth-Token"] = token
        # The adapter's send, not the session's: the retry's own response runs
        # no hooks, so it is never retried again.
        answer: requests.Response = response.connection.send(retry, **kwargs)
        answer.history.append(response)
        answer.request = retry
        return answer

    def _project_of(self, request: PreparedRequest) -> str:
        return project_in_path(urlsplit(request.url or "").path) or self._project_id

    # -- IAM ---------------------------------------------------------------

    def _request_token(self, project_id: str) -> IamToken:
        c = self._credentials
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": c.username,
                            "password": c.password,
                            "domain": {"name": c.domain},
                        }
                    },
                },
                # Scoped by id (Keystone v3); project.name (the region id) is
                # the form the Huawei docs show.
                "scope": {"project": {"id": project_id}},
            }
        }
        started = self._clock()
        try:
            response = self._session.post(
                c.iam_endpoint + TOKEN_PATH,
                params={"nocatalog": "true"},
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json;charset=utf8"},
                timeout=self._timeout,
                # A redirect would carry the password wherever it points.
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectTimeout:
            raise self._failed(
                project_id, started, errors.IamTimeout("IAM could not be reached in time.")
            ) from None
        except requests.ReadTimeout:
            raise self._failed(
                project_id,
                started,
                errors.IamTimeout(f"IAM did not answer within {self._timeout[1]:g} seconds."),
            ) from None
        except requests.ConnectionError:
            raise self._failed(
                project_id,
                started,
                errors.IamUnavailable(
                    "IAM could not be reached (connection failed), so eventsui has no token "
                    "for ModelArts."
                ),
            ) from None
        except requests.RequestException as exc:
            raise self._failed(
                project_id,
                started,
                errors.IamUnavailable(f"The request to IAM failed ({type(exc).__name__})."),
            ) from None
        with response:
            raw = self._read(response, project_id, started)
        try:
            token = self._interpret(response, raw, project_id)
        except errors.ModelArtsError as exc:
            raise self._failed(project_id, started, exc, response.status_code) from None
        metrics.record_upstream_call("iam_token", response.status_code, self._clock() - started)
        logger.info(
            "iam token issued project=%s duration_ms=%.0f valid_for_s=%.0f",
            project_id,
            (self._clock() - started) * 1000,
            token.expires - token.obtained,
        )
        return token

    def _read(self, response: requests.Response, project_id: str, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise self._failed(
                        project_id,
                        started,
                        errors.IamUnavailable("IAM sent a response far larger than a token."),
                        response.status_code,
                    )
                chunks.append(chunk)
        except requests.ConnectionError as exc:
            failure: errors.ModelArtsError = (
                errors.IamTimeout(f"IAM stopped sending within {self._timeout[1]:g} seconds.")
                if any(isinstance(arg, ReadTimeoutError) for arg in exc.args)
                else errors.IamUnavailable("IAM dropped the connection mid-answer.")
            )
            raise self._failed(project_id, started, failure, response.status_code) from None
        except requests.RequestException:
            raise self._failed(
                project_id,
                started,
                errors.IamUnavailable("IAM dropped the connection mid-answer."),
                response.status_code,
            ) from None
        return b"".join(chunks)

    def _interpret(self, response: requests.Response, raw: bytes, project_id: str) -> IamToken:
        received = self._clock()
        status = response.status_code
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if status != 201:
            code, text = (self._redact(part) for part in parse_error_body(body))
            if code == str(status):
                code = ""  # Keystone's {"error": {"code": 401, ...}} repeats the status
            said = ": ".join(part for part in (code, text) if part)
            detail = f"{status}, {said}" if said else str(status)
            if status in (401, 403):
                raise errors.IamRejected(
                    f"IAM rejected the username, domain or password configured for project "
                    f"{project_id} ({detail}). An operator needs to check them; signing in "
                    "again here would not help.",
                    error_code=code,
                )
            raise errors.IamUnavailable(
                f"IAM answered {detail} instead of a token for project {project_id}.",
                error_code=code,
            )
        value = response.headers.get("X-Subject-Token", "").strip()
        if not value:
            raise errors.IamUnavailable(
                "IAM answered 201 without a token (no X-Subject-Token header)."
            )
        lifetime = self._lifetime(body)
        if lifetime is None:
            logger.warning(
                "iam token for project %s has no readable expires_at; renewing it within %.0fs",
                project_id,
                UNKNOWN_LIFETIME,
            )
            lifetime = UNKNOWN_LIFETIME
        if lifetime <= EXPIRY_SAFETY:
            raise errors.IamUnavailable("IAM issued a token that expires at once.")
        return IamToken(
            value=value,
            obtained=received,
            renew_at=renewal_time(received, lifetime),
            expires=received + lifetime,
        )

    def _lifetime(self, body: Any) -> float | None:
        """Seconds the token is valid for, from IAM's own issued_at and expires_at."""
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, dict):
            return None
        expires = _instant(token.get("expires_at"))
        if expires is None:
            return None
        issued = _instant(token.get("issued_at"))
        # Without issued_at, the local wall clock stands in for IAM's.
        return expires - (issued if issued is not None else self._wall())

    def _redact(self, text: str) -> str:
        """IAM's error text without the password, whole or any 8 characters of it."""
        return redact(text, (self._credentials.password,))[:200]

    def _failed(
        self,
        project_id: str,
        started: float,
        failure: errors.ModelArtsError,
        status: int | None = None,
    ) -> errors.ModelArtsError:
        metrics.record_upstream_call(
            "iam_token",
            status,
            self._clock() - started,
            failed=True,
            timed_out=isinstance(failure, errors.UpstreamTimeout),
        )
        logger.warning(
            "iam token failure project=%s status=%s duration_ms=%.0f error=%s code=%s",
            project_id,
            status if status is not None else "-",
            (self._clock() - started) * 1000,
            type(failure).__name__,
            failure.error_code or "-",
        )
        return failure


def _instant(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 time such as 2024-05-01T10:00:00.000000Z."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


__all__ = ["IamToken", "PasswordAuth", "forget_tokens", "renewal_time"]
