from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth.backends import RemoteUserBackend as DjangoRemoteUserBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import _UserType

# Django's own username rule, and its length limit.
_USERNAME_RE = re.compile(r"[\w.@+-]{1,150}")


class RemoteUserBackend(DjangoRemoteUserBackend):
    """The user the proxy names, created on first sight with no project access.

    A name Django could not store (too long, odd characters) signs no one in.
    """

    create_unknown_user = True

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, remote_user: str | None
    ) -> User | None:
        name = (remote_user or "").strip()
        if not _USERNAME_RE.fullmatch(name):
            return None
        return super().authenticate(request, name)

    def clean_username(self, username: str) -> str:
        return username.strip()

    def configure_user(
        self, request: HttpRequest | None, user: _UserType, created: bool = True
    ) -> _UserType:
        if created:
            # Signed in by the proxy only: no password to guess on /admin/login/.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user
