"""Sign-in throttling: django-axes, configured here and in settings (AXES_*).

Why axes: it is maintained, counts failures per username and per client
address separately (either one locks), and sits in the authentication backends,
so every password sign-in, the admin's included, goes through the same check.
Failures are kept in the database (sessions are there too), so every instance
sees them; the password is masked in what axes stores and logs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The address failures are counted against: the direct peer, REMOTE_ADDR.

    Never X-Forwarded-For, which the client writes: believing it would let an
    attacker pick a fresh address for every guess. Behind a proxy every client
    shares the proxy's address, and the per-username count still holds.
    """
    return str(request.META.get("REMOTE_ADDR", ""))


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """eventsui's sign-in page, saying why signing in is refused for now (429)."""
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "cool_off_minutes": cool_off_minutes(),
    }
    return render(request, "registration/login.html", context, status=429)
