"""The Django app configuration (Django looks for it in ``apps.py``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class EmbedkitConfig(AppConfig):
    """``embedkit.contrib.django``, labelled ``embedkit``."""

    name = "embedkit.contrib.django"
    label = "embedkit"
    verbose_name = "embedkit"

    def ready(self) -> None:
        from django.core.signals import request_started

        from embedkit.contrib.django import _settings, _tags

        checks.register(_settings.check_settings)
        request_started.connect(_tags.forget_pending, dispatch_uid="embedkit.forget_pending")
