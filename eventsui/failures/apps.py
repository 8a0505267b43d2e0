from __future__ import annotations

from django.apps import AppConfig


class FailuresConfig(AppConfig):
    name = "eventsui.failures"
