from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend as DjangoRemoteUserBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import _UserType


def normalise_remote_user(raw: str) -> str:
    """The name a proxy sent as eventsui stores it: NFKC, then case-folded.

    "ROOT" and a full-width "root" are both plain "root"; a Cyrillic "root"
    stays Cyrillic, and EVENTSUI_REMOTE_USER_PATTERN refuses it.
    """
    return unicodedata.normalize("NFKC", raw.strip()).casefold()


def acceptable_remote_user(name: str) -> bool:
    """Whether a normalised name matches EVENTSUI_REMOTE_USER_PATTERN."""
    return re.fullmatch(settings.EVENTSUI_REMOTE_USER_PATTERN, name) is not None


class RemoteUserBackend(DjangoRemoteUserBackend):
    """The user the proxy names, created on first sight with no project access.

    The name is normalised, and one the pattern refuses signs no one in (the
    middleware answers 403 before asking).
    """

    create_unknown_user = True

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, remote_user: str | None
    ) -> User | None:
        name = normalise_remote_user(remote_user or "")
        if not name or not acceptable_remote_user(name):
            return None
        return super().authenticate(request, name)

    def clean_username(self, username: str) -> str:
        return normalise_remote_user(username)

    def configure_user(
        self, request: HttpRequest | None, user: _UserType, created: bool = True
    ) -> _UserType:
        if created:
            # Signed in by the proxy only: no password to guess on /admin/login/.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user
