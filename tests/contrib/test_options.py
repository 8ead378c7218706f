"""The options every integration shares, and the one resolver per configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from embedkit import ConfigError, Resolver
from embedkit.contrib._options import Options, forget, parse_options, shared_resolver


def test_every_option_is_checked_and_normalised(tmp_path: Path) -> None:
    options = parse_options(
        {
            "cache": " memory:// ",
            "providers": tmp_path / "providers.json",
            "timeout": "2.5",
            "allow_private_networks": "yes",
            "consent": False,
            "offline": "0",
            "template_dirs": str(tmp_path),
            "consent_script_url": "",
            "env": {"EMBEDKIT_CONSENT": "1"},
        },
        where="TEST",
    )
    assert options == Options(
        cache="memory://",
        providers=str(tmp_path / "providers.json"),
        timeout=2.5,
        allow_private_networks=True,
        consent=False,
        offline=False,
        template_dirs=(str(tmp_path),),
        env=(("EMBEDKIT_CONSENT", "1"),),
    )
    assert parse_options({"cache": None}, where="TEST") == Options()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            [("cache", "memory://")],
            "TEST must be a mapping of options, not [('cache', 'memory://')]",
        ),
        ({"caches": "memory://"}, "TEST: unknown option 'caches' (known: cache, providers, "),
        ({"cache": 3}, "TEST: cache must be a string, not 3"),
        ({"timeout": 0}, "TEST: timeout must be a number of seconds above 0, not 0"),
        ({"timeout": True}, "TEST: timeout must be a number of seconds above 0, not True"),
        ({"timeout": "inf"}, "TEST: timeout must be a number of seconds above 0, not 'inf'"),
        ({"consent": 1}, "TEST: consent must be true or false, not 1"),
        ({"template_dirs": [1]}, "TEST: template_dirs must be a list of folders, not [1]"),
        ({"env": {"A": 1}}, "TEST: env must be a mapping of strings, not {'A': 1}"),
        ({"resolver": object()}, "TEST: resolver must be an embedkit.Resolver, not <object"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_option(values: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options(values, where="TEST")
    assert str(caught.value).startswith(message)


def test_what_options_leave_out_comes_from_the_environment(tmp_path: Path) -> None:
    env = {
        "EMBEDKIT_CACHE": f"sqlite:///{tmp_path}/embeds.db",
        "EMBEDKIT_TIMEOUT": "7",
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CONSENT": "1",
    }
    with Options(env=tuple(env.items())).build() as resolver:
        assert resolver.cache.url == f"sqlite:///{tmp_path}/embeds.db"
        assert resolver.timeout == 7
        assert resolver.allow_private_networks is True
        assert resolver.consent is True
    explicit = Options(
        cache="memory://",
        timeout=2.0,
        allow_private_networks=False,
        consent=False,
        env=tuple(env.items()),
    )
    with explicit.build() as resolver:
        assert resolver.cache.url == "memory://"
        assert resolver.timeout == 2
        assert resolver.allow_private_networks is False
        assert resolver.consent is False


def test_a_bad_environment_variable_is_one_line() -> None:
    with pytest.raises(
        ConfigError, match=r"^EMBEDKIT_CONSENT must be 1 or 0 \(true/false\), not 'sure'$"
    ):
        Options(env=(("EMBEDKIT_CONSENT", "sure"),)).build()


def test_one_resolver_per_configuration_until_forgotten() -> None:
    options = Options(cache="memory://", offline=True, timeout=1.5)
    first = shared_resolver(options)
    assert shared_resolver(Options(cache="memory://", offline=True, timeout=1.5)) is first
    assert shared_resolver(Options(cache="memory://", offline=True, timeout=2.5)) is not first
    forget(options)
    assert shared_resolver(options) is not first
    forget(options)
    forget(Options(cache="memory://", offline=True, timeout=2.5))


def test_a_given_resolver_is_used_as_it_is() -> None:
    with Resolver(cache="memory://", offline=True) as mine:
        assert shared_resolver(parse_options({"resolver": mine}, where="TEST")) is mine
