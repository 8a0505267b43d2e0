"""Failures of the upstream, as exceptions the views turn into pages.

Each carries the HTTP status eventsui answers with and a message safe to show:
never a header, a token or a URL with credentials in it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ModelArtsError(Exception):
    status = 502
    title = _("ModelArts failed")

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        error_code: str = "",
        error_msg: str = "",
        request_id: str = "",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.upstream_status = upstream_status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        # Seconds after which asking again may succeed (sent as Retry-After).
        self.retry_after = retry_after


class UpstreamBadRequest(ModelArtsError):
    """ModelArts refused the parameters (400)."""

    status = 400
    title = _("ModelArts refused the request")


class JobNotFound(ModelArtsError):
    """The job does not exist; ModelArts says so with 400 ModelArts.2775."""

    status = 404
    title = _("Job not found")


class NotFound(ModelArtsError):
    status = 404
    title = _("Not found")


class UpstreamAuthError(ModelArtsError):
    """ModelArts rejected eventsui's own credentials: an operator must act.

    Answered as 502, not 401/403: the viewer's request was fine and signing in
    again would not help; the gateway (eventsui) was refused upstream.
    """

    status = 502
    title = _("ModelArts rejected eventsui's credentials")


class UpstreamThrottled(ModelArtsError):
    status = 502
    title = _("ModelArts is throttling requests")


class UpstreamUnavailable(ModelArtsError):
    """5xx, a refused connection, or a body we cannot read."""

    status = 502
    title = _("ModelArts failed")


class UpstreamTimeout(ModelArtsError):
    status = 504
    title = _("ModelArts did not answer in time")


class IamRejected(UpstreamAuthError):
    """IAM refused to issue a token for the configured username and password."""

    title = _("IAM rejected eventsui's credentials")


class IamUnavailable(UpstreamAuthError):
    """IAM could not be reached or answered with something other than a token."""

    title = _("IAM did not issue a token")


class IamTimeout(UpstreamTimeout):
    title = _("IAM did not answer in time")
