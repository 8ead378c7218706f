"""The channels of one job: open them, check their configuration once, close what we opened.

Shared by :func:`~embedkit.syndicate._run.run_job` and
:func:`~embedkit.syndicate._reconcile.reconcile`. A job is given channel names
(built here with a factory, by default
:func:`~embedkit.syndicate.channels.make_channel`) or ready
:class:`~embedkit.syndicate.channels._base.Channel` objects (used as they are,
and left open: the caller owns them). Names are case-insensitive: ``"Mastodon"``
is the ``mastodon`` channel and its ledger rows.

Example::

    with ChannelSet(["mastodon", "bluesky"]) as channels:
        channels.check_configuration()      # MissingCredential naming every variable
        channels.get("mastodon").publish(post, idempotency_key=key)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from embedkit._errors import ConfigError, EmbedkitError, MissingCredential
from embedkit.syndicate.channels._base import Channel

__all__ = ["ChannelFactory", "ChannelSet", "KnowsItsLimit", "channel_name", "instance_limit"]

#: Builds the channel called ``name`` (``make_channel`` with the job's environment).
ChannelFactory = Callable[[str], Channel]


@runtime_checkable
class KnowsItsLimit(Protocol):
    """A channel that can tell its own length limit (a Mastodon instance's)."""

    def max_characters(self) -> int | None: ...


def channel_name(channel: str | Channel) -> str:
    """The ledger name of a channel given by name or as an object (lower case).

    >>> channel_name(" Mastodon ")
    'mastodon'
    """
    name = channel if isinstance(channel, str) else str(channel.name)
    return name.strip().lower()


def instance_limit(channel: Channel) -> int | None:
    """The channel's own length limit when it can tell, else None (never raises)."""
    if not isinstance(channel, KnowsItsLimit):
        return None
    try:
        value = channel.max_characters()
    except Exception:  # a limit is a refinement; never fail a run over it
        return None
    return value if isinstance(value, int) and value > 0 else None


class ChannelSet:
    """The channels of one job, by (lower-case) name; closes the ones it built."""

    def __init__(
        self,
        channels: Iterable[str | Channel] = (),
        *,
        factory: ChannelFactory | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._given: dict[str, Channel] = {}
        self._names: dict[str, None] = {}
        for channel in channels:
            name = channel_name(channel)
            self._names[name] = None
            if not isinstance(channel, str):
                self._given[name] = channel
        self._factory = factory
        self._env = env
        self._built: dict[str, Channel] = {}
        self._broken: dict[str, EmbedkitError] = {}

    @property
    def names(self) -> tuple[str, ...]:
        """Every channel name, in the order given, each once."""
        return tuple(self._names)

    def add(self, name: str) -> None:
        """Add a channel by name (reconcile adds the channels its rows name)."""
        self._names.setdefault(channel_name(name), None)

    def get(self, name: str) -> Channel:
        """The channel called ``name``, built on first use; raises what building raised."""
        name = channel_name(name)
        if name in self._given:
            return self._given[name]
        if name in self._broken:
            raise self._broken[name]
        if name not in self._built:
            try:
                self._built[name] = self._build(name)
            except EmbedkitError as exc:
                self._broken[name] = exc
                raise
        return self._built[name]

    def _build(self, name: str) -> Channel:
        if self._factory is not None:
            return self._factory(name)
        from embedkit.syndicate.channels import make_channel

        return make_channel(name, env=os.environ if self._env is None else self._env)

    def check_configuration(self, names: Sequence[str] | None = None) -> None:
        """Build every channel (no network) and raise one error for all configuration gaps.

        A missing credential or a bad setting anywhere raises
        :class:`~embedkit._errors.MissingCredential` (or
        :class:`~embedkit._errors.ConfigError`) naming every channel and variable,
        before the job claims or posts anything. Other errors stay with their
        channel: :meth:`get` raises them again when the channel is used.
        """
        missing: list[str] = []
        config: list[str] = []
        for name in names if names is not None else self.names:
            try:
                self.get(name)
            except MissingCredential as exc:
                missing.append(str(exc))
            except ConfigError as exc:
                config.append(str(exc))
            except EmbedkitError:
                continue  # not configuration: the channel's posts fail, the others go out
        if config:
            raise ConfigError("; ".join(config + missing))
        if missing:
            raise MissingCredential("; ".join(missing))

    def close(self) -> None:
        """Close the channels this set built (given ones belong to the caller)."""
        built, self._built = self._built, {}
        for channel in built.values():
            channel.close()

    def __enter__(self) -> ChannelSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
