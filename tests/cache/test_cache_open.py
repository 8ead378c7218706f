"""Choosing a backend by URL: the accepted forms, the errors, the environment, the default."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from embedkit._errors import ConfigError
from embedkit.resolve.cache import default_cache_url, open_cache
from embedkit.resolve.cache._memory import MemoryCache
from embedkit.resolve.cache._redis import RedisCache, parse_redis_url
from embedkit.resolve.cache._sqlite import SQLiteCache


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.mark.parametrize(
    ("url", "relative_location"),
    [
        ("sqlite:///embeds.db", "embeds.db"),
        ("sqlite:///sub/dir/embeds.db", "sub/dir/embeds.db"),
        ("SQLite:///upper.db", "upper.db"),
        ("sqlite:///with%20space.db", "with space.db"),
        ("sqlite:///~/in-home.db", "home/in-home.db"),
        ("  sqlite:///padded.db  ", "padded.db"),
    ],
)
def test_sqlite_urls(in_tmp: Path, url: str, relative_location: str) -> None:
    cache = open_cache(url)
    try:
        assert isinstance(cache, SQLiteCache)
        assert cache.stats(0.0).location == str(in_tmp / relative_location)
        assert (in_tmp / relative_location).is_file()
    finally:
        cache.close()


def test_absolute_sqlite_url(in_tmp: Path) -> None:
    target = in_tmp / "abs" / "embeds.db"
    cache = open_cache(f"sqlite:///{target}")  # four slashes: sqlite:////tmp/...
    try:
        assert cache.url == f"sqlite:////{str(target).lstrip('/')}"
        assert cache.stats(0.0).location == str(target)
    finally:
        cache.close()


@pytest.mark.parametrize("url", ["memory://", "memory:", "MEMORY://"])
def test_memory_urls(url: str) -> None:
    cache = open_cache(url)
    assert isinstance(cache, MemoryCache)
    assert cache.stats(0.0).backend == "memory"
    cache.close()


@pytest.mark.parametrize(
    ("url", "location", "prefix", "retention", "shown"),
    [
        ("redis://localhost:6379/0", "localhost:6379/0", "embedkit:", 90 * 86400.0,
         "redis://localhost:6379/0"),
        ("redis://cache.internal", "cache.internal:6379/0", "embedkit:", 90 * 86400.0,
         "redis://cache.internal"),
        ("redis://10.0.0.5:7000/3?prefix=site:&retention=3600", "10.0.0.5:7000/3", "site:",
         3600.0, "redis://10.0.0.5:7000/3?prefix=site:&retention=3600"),
        ("rediss://:hunter2@r.example:6380/1", "r.example:6380/1", "embedkit:", 90 * 86400.0,
         "rediss://:***@r.example:6380/1"),
        ("redis://app:hunter2@h/2?retention=none", "h:6379/2", "embedkit:", None,
         "redis://app:***@h/2?retention=none"),
        ("REDIS://h/", "h:6379/0", "embedkit:", 90 * 86400.0, "REDIS://h/"),
    ],
)  # fmt: skip
def test_redis_urls(
    url: str, location: str, prefix: str, retention: float | None, shown: str
) -> None:
    options = parse_redis_url(url)
    assert (options.location, options.prefix, options.retention) == (location, prefix, retention)
    cache = open_cache(url)  # connects lazily: no server needed to open
    try:
        assert isinstance(cache, RedisCache)
        assert cache.url == shown
        assert "hunter2" not in repr(cache)
        assert cache.location == location
    finally:
        cache.close()


def test_redis_client_url_drops_embedkit_options() -> None:
    options = parse_redis_url("redis://:pw@h:1/2?prefix=a:&retention=5&socket_timeout=2&db=2")
    assert options.client_url == "redis://:pw@h:1/2?db=2"
    assert options.socket_timeout == 2.0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://cache.example/x", "unknown scheme"),
        ("postgres://user:hunter2@db/cache", "unknown scheme"),
        ("embeds.db", "no scheme"),
        ("/var/cache/embeds.db", "no scheme"),
        ("sqlite://host/embeds.db", "host part"),
        ("sqlite:///", "names no file"),
        ("sqlite:///:memory:", "memory://"),
        ("sqlite:///x.db?mode=ro", "query options"),
        ("memory://somewhere", "takes none"),
        ("redis://h:notaport/0", "bad host or port"),
        ("redis://:hunter2@h:99999/0", "bad host or port"),
        ("redis://h/zero", "database number"),
        ("redis://:hunter2@h/0?retention=-1", "retention"),
        ("redis://h/0?retention=soon", "retention"),
        ("redis://h/0?socket_timeout=0", "socket_timeout"),
        ("redis://h/0?prefix=", "prefix"),
    ],
)
def test_bad_urls_are_config_errors(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_cache(url)
    message = str(info.value)
    assert problem in message
    assert "hunter2" not in message
    assert "hunter2" not in repr(info.value)
    if "hunter2" not in url:
        assert url in message
    if not url.startswith("redis"):
        assert "sqlite:///relative.db" in message
        assert "memory://" in message
        assert "redis://" in message


def test_config_error_redacts_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        open_cache("memcached://admin:hunter2@cache:11211")
    assert "memcached://admin:***@cache:11211" in str(info.value)


def test_env_var_is_used_when_no_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDKIT_CACHE", f"sqlite:///{tmp_path}/from-env.db")
    cache = open_cache()
    try:
        assert cache.stats(0.0).location == str(tmp_path / "from-env.db")
    finally:
        cache.close()


def test_explicit_url_beats_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDKIT_CACHE", f"sqlite:///{tmp_path}/from-env.db")
    cache = open_cache("memory://")
    assert isinstance(cache, MemoryCache)
    cache.close()
    assert not (tmp_path / "from-env.db").exists()


def test_env_mapping_argument() -> None:
    cache = open_cache(env={"EMBEDKIT_CACHE": "memory://"})
    assert isinstance(cache, MemoryCache)
    cache.close()


def test_bad_env_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="gopher://x"):
        open_cache(env={"EMBEDKIT_CACHE": "gopher://x"})


def test_default_is_a_file_in_the_user_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "embedkit" / "embeds.db"
    assert default_cache_url({}) == f"sqlite:///{expected}"
    assert default_cache_url({"EMBEDKIT_CACHE": "  "}) == f"sqlite:///{expected}"
    assert default_cache_url({"EMBEDKIT_CACHE": "memory://"}) == "memory://"
    cache = open_cache(None, env={})
    try:
        assert isinstance(cache, SQLiteCache)
        assert cache.stats(0.0).location == str(expected)
        assert expected.parent.is_dir()
    finally:
        cache.close()


def test_missing_redis_package_is_a_config_error(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "redis":
                    raise ImportError(f"{name} is not installed")
                return None
        sys.meta_path.insert(0, Block())
        from embedkit.resolve.cache import open_cache
        from embedkit._errors import ConfigError
        try:
            open_cache("redis://:pw-secret@127.0.0.1:6379/0")
        except ConfigError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=tmp_path)  # fmt: skip
    assert "embedkit[redis]" in result.stdout
    assert "pw-secret" not in result.stdout + result.stderr
