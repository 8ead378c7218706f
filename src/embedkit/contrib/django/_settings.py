"""The ``EMBEDKIT`` setting and the process's shared resolver.

The setting is read once, on first use, and read again after Django reports a
change (``override_settings`` in tests); the resolver it describes is built
lazily under a lock and shared by every thread of the process.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed

from embedkit._errors import ConfigError
from embedkit.contrib._options import Options, forget, parse_options, shared_resolver
from embedkit.resolve import Resolver

__all__ = ["check_settings", "consent_script_url", "get_options", "get_resolver"]

#: Where the consent script is served from unless ``consent_script_url`` says otherwise.
DEFAULT_CONSENT_SCRIPT = "embedkit/consent.js"

_lock = threading.Lock()
_options: Options | None = None


def get_options() -> Options:
    """The ``EMBEDKIT`` setting, checked (a :class:`~embedkit.ConfigError` names a bad option)."""
    global _options
    with _lock:
        if _options is None:
            _options = parse_options(getattr(settings, "EMBEDKIT", {}), where="EMBEDKIT")
        return _options


def get_resolver() -> Resolver:
    """The process's resolver, built from ``EMBEDKIT`` and the environment on first use."""
    return shared_resolver(get_options())


def consent_script_url(options: Options) -> str:
    """The consent script's URL: the option, else ``{% static "embedkit/consent.js" %}``."""
    if options.consent_script_url is not None:
        return options.consent_script_url
    from django.templatetags.static import static

    return static(DEFAULT_CONSENT_SCRIPT)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _options
    if setting != "EMBEDKIT":
        return
    with _lock:
        old, _options = _options, None
    if old is not None:
        forget(old)


setting_changed.connect(_on_setting_changed, dispatch_uid="embedkit.setting_changed")


def check_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check``: report a bad ``EMBEDKIT`` setting as one line."""
    try:
        parse_options(getattr(settings, "EMBEDKIT", {}), where="EMBEDKIT")
    except ConfigError as exc:
        return [checks.Error(str(exc), id="embedkit.E001")]
    return []
