"""The options every integration takes, and one shared Resolver per configuration.

Django's ``EMBEDKIT = {...}``, a Wagtail finder's options and Python-Markdown's
``extension_configs`` all name the same settings (:data:`OPTION_NAMES`), read
here by :func:`parse_options` into a frozen :class:`Options`. Whatever a
configuration leaves out comes from the same ``EMBEDKIT_*`` environment
variables as the CLI (``EMBEDKIT_CACHE``, ``EMBEDKIT_PROVIDERS``,
``EMBEDKIT_TIMEOUT``, ``EMBEDKIT_ALLOW_PRIVATE_NETWORKS``, ``EMBEDKIT_CONSENT``,
``EMBEDKIT_TEMPLATES``), then from the defaults.

:func:`shared_resolver` builds one :class:`~embedkit.Resolver` per distinct
configuration and process, lazily and under a lock, so every page a worker
renders (and every MkDocs page, each converted by its own ``Markdown``) shares
one cache connection, one HTTP client and the resolver's memos.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from embedkit._config import env_flag, parse_flag
from embedkit._errors import ConfigError
from embedkit.resolve import Resolver

__all__ = ["OPTION_NAMES", "Options", "close_all", "forget", "parse_options", "shared_resolver"]


@dataclass(frozen=True)
class Options:
    """One integration's resolver settings; ``None`` means "the environment, else default".

    ``env`` replaces ``os.environ`` as the place ``EMBEDKIT_*`` variables are
    read from (a seam, as for :class:`~embedkit.Resolver`); ``resolver`` is a
    ready-made resolver that the integration uses as it is.
    ``consent_script_url`` is where pages load the consent script from in
    consent mode; each integration has its own default. ``trusted_body`` keeps
    the author's HTML as written where an integration renders a whole body
    (the Markdown extension); by default it is cleaned with an article allowlist.
    """

    cache: str | None = None
    providers: str | None = None
    timeout: float | None = None
    allow_private_networks: bool | None = None
    consent: bool | None = None
    offline: bool = False
    discovery: bool = True
    show_deleted_text: bool = False
    template_dirs: tuple[str, ...] = ()
    consent_script_url: str | None = None
    trusted_body: bool = False
    env: tuple[tuple[str, str], ...] | None = None
    resolver: Resolver | None = None

    def environ(self) -> Mapping[str, str]:
        """Where ``EMBEDKIT_*`` variables are read from."""
        return os.environ if self.env is None else dict(self.env)

    def build(self) -> Resolver:
        """A new :class:`~embedkit.Resolver` with these settings."""
        env = self.environ()
        consent = self.consent
        if consent is None:
            consent = env_flag(env, "EMBEDKIT_CONSENT")
        return Resolver(
            cache=self.cache,
            providers=self.providers,
            timeout=self.timeout,
            allow_private_networks=self.allow_private_networks,
            consent=consent,
            offline=self.offline,
            discovery=self.discovery,
            show_deleted_text=self.show_deleted_text,
            template_dirs=self.template_dirs,
            env=env,
        )


#: The option names every integration accepts.
OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Options))


def _text(where: str, name: str, value: object) -> str | None:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {name} must be a string, not {value!r}")
    return value.strip() or None


def _flag(where: str, name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    flag = parse_flag(value) if isinstance(value, str) and value.strip() else None
    if flag is None:
        raise ConfigError(f"{where}: {name} must be true or false, not {value!r}")
    return flag


def _seconds(where: str, name: str, value: object) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not number > 0 or number == float("inf"):
        raise ConfigError(f"{where}: {name} must be a number of seconds above 0, not {value!r}")
    return number


def _folders(where: str, name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str | os.PathLike):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str | os.PathLike) for item in value
    ):
        raise ConfigError(f"{where}: {name} must be a list of folders, not {value!r}")
    return tuple(os.fspath(item) for item in value)


def _env(where: str, name: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: {name} must be a mapping of strings, not {value!r}")
    return tuple(sorted(value.items()))


def parse_options(values: Mapping[str, Any], *, where: str) -> Options:
    """Check an integration's settings and return them as :class:`Options`.

    ``where`` names the setting in messages (``"EMBEDKIT"``,
    ``"WAGTAILEMBEDS_FINDERS"``...). An unknown name or a value of the wrong
    kind raises :class:`~embedkit.ConfigError` with a one-line message; a value
    of ``None`` (or an empty string) means "not set".
    """
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a mapping of options, not {values!r}")
    unknown = sorted(set(values) - set(OPTION_NAMES))
    if unknown:
        raise ConfigError(
            f"{where}: unknown option {unknown[0]!r} (known: {', '.join(OPTION_NAMES)})"
        )
    given: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in ("cache", "providers", "consent_script_url"):
            text = _text(where, name, value)
            if text is not None:
                given[name] = text
        elif name == "timeout":
            given[name] = _seconds(where, name, value)
        elif name == "template_dirs":
            given[name] = _folders(where, name, value)
        elif name == "env":
            given[name] = _env(where, name, value)
        elif name == "resolver":
            if not isinstance(value, Resolver):
                raise ConfigError(f"{where}: resolver must be an embedkit.Resolver, not {value!r}")
            given[name] = value
        else:
            given[name] = _flag(where, name, value)
    return Options(**given)


_shared: dict[Options, Resolver] = {}
_lock = threading.Lock()


def shared_resolver(options: Options) -> Resolver:
    """The process's resolver for ``options``: built on first use, then reused.

    ``options.resolver``, when given, is returned as it is.
    """
    if options.resolver is not None:
        return options.resolver
    with _lock:
        found = _shared.get(options)
        if found is None:
            found = _shared[options] = options.build()
        return found


def forget(options: Options) -> None:
    """Close and drop the shared resolver for ``options`` (when settings change)."""
    with _lock:
        found = _shared.pop(options, None)
    if found is not None:
        found.close()


@atexit.register
def close_all() -> None:
    """Close every shared resolver (at exit: their cache and HTTP connections end cleanly)."""
    with _lock:
        found = list(_shared.values())
        _shared.clear()
    for resolver in found:
        resolver.close()
