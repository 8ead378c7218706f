"""The Redis cache backend (``redis://host:port/db``): one cache for a fleet of nodes.

Entries are JSON values under ``<prefix>embed:<key>``. Two sets per entry
index it for purging: ``<prefix>idx:url:<canonical url>`` and
``<prefix>idx:provider:<provider, case-folded>``; a purge reads the indexed
entries back and deletes only those that still match, so an index that lags
behind never removes the wrong entry. Rate-limit stops are keys
``<prefix>block:<provider>`` holding the end time, with a PX expiry so they
clean themselves up.

Every write starts the JSON value with a random version (``{"v":1,"ver":"<16 hex>"``),
so :meth:`RedisCache.version` is a ``GETRANGE`` of those first bytes, never the
whole entry; a value written by an older embedkit has no version and is read in full.

Single-flight locks are keys ``<prefix>lock:<key>`` set with ``SET NX PX`` and a
random token; the holder deletes its own token only (a compare-and-delete
script), and the PX expiry frees a lock whose holder died. Within one process
only one thread per key talks to Redis: the others wait on a process-local lock
(:class:`~embedkit.resolve.cache._locks.LocalLocks`) in front of it. When Redis
cannot be reached, :meth:`RedisCache.lock` degrades to that local lock alone.

Redis expires an entry key ``retention`` seconds (default 90 days) after its
own TTL ran out, counted from its last write: long enough that a snapshot
outlives any provider outage; ``retention=None`` keeps keys forever.

The ``redis`` package is imported when a Redis cache is opened, so embedkit
works without it; install ``embedkit[redis]`` to use this backend.

URL options (query parameters, all optional): ``prefix`` (default
``embedkit:``), ``retention`` (seconds, ``0``/``none`` = never expire),
``socket_timeout`` (seconds, default 5). Other query parameters go to redis-py.

>>> RedisCache("redis://:s3cret@cache.internal:6380/2?prefix=site1:")  # doctest: +SKIP
RedisCache('redis://:***@cache.internal:6380/2?prefix=site1:')
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from embedkit._errors import CacheError, ConfigError
from embedkit._redaction import get_logger, redact, redact_url
from embedkit.resolve.cache._base import (
    NO_PROVIDER,
    VERSION_PREFIX_BYTES,
    CacheStats,
    Entry,
    entry_from_json,
    entry_to_json,
    json_version,
)
from embedkit.resolve.cache._locks import LocalLocks

__all__ = ["DEFAULT_PREFIX", "DEFAULT_RETENTION", "RedisCache", "RedisOptions", "parse_redis_url"]

DEFAULT_PREFIX = "embedkit:"
DEFAULT_RETENTION = 90 * 86400.0
DEFAULT_SOCKET_TIMEOUT = 5.0
#: How long a rate-limit stop key outlives its end time (the caller compares times).
BLOCK_GRACE = 600.0
_BATCH = 500
#: How often a waiter looks whether a fleet lock was released (seconds, growing to the max).
LOCK_POLL_FIRST = 0.005
LOCK_POLL_MAX = 0.05

log = get_logger("embedkit.resolver")

# Release a single-flight lock only if this holder still owns it.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Store an entry and add it to its index sets in one step. An index set lives
# as long as its longest-lived member (PX only ever extends it); with no
# retention everything persists.
_SET_SCRIPT = """
local px = tonumber(ARGV[2])
if px > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
for i = 2, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[3])
  if px > 0 then
    local ttl = redis.call('PTTL', KEYS[i])
    if existed == 0 or (ttl >= 0 and ttl < px) then
      redis.call('PEXPIRE', KEYS[i], px)
    end
  else
    redis.call('PERSIST', KEYS[i])
  end
end
return 1
"""


@dataclass(frozen=True)
class RedisOptions:
    """What a Redis cache URL says, split into redis-py's part and embedkit's."""

    client_url: str  # the URL for redis-py (may hold a password: never shown)
    shown_url: str  # the same with the password redacted
    location: str  # host:port/db
    prefix: str = DEFAULT_PREFIX
    retention: float | None = DEFAULT_RETENTION
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT


def _positive(name: str, raw: str, shown: str, *, zero_means_none: bool) -> float | None:
    if zero_means_none and raw.strip().lower() in ("none", "never", "0"):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise ConfigError(f"cache URL {shown}: {name} must be a positive number, not {raw!r}")
    return value


def parse_redis_url(url: str) -> RedisOptions:
    """Validate a ``redis://`` / ``rediss://`` cache URL; ConfigError when malformed.

    >>> parse_redis_url("redis://localhost/3?prefix=news:").location
    'localhost:6379/3'
    """
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port or 6379
    except ValueError as exc:
        raise ConfigError(f"cache URL {shown} is malformed: bad host or port") from exc
    if parts.scheme.lower() not in ("redis", "rediss"):
        raise ConfigError(f"cache URL {shown} is not a redis:// or rediss:// URL")
    host = parts.hostname or "localhost"
    path = unquote(parts.path).strip("/")
    if path and not path.isdigit():
        raise ConfigError(
            f"cache URL {shown}: the path must be a database number like /0, not /{path}"
        )
    db = int(path) if path else 0
    prefix = DEFAULT_PREFIX
    retention: float | None = DEFAULT_RETENTION
    socket_timeout = DEFAULT_SOCKET_TIMEOUT
    passthrough = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "prefix":
            if not value:
                raise ConfigError(f"cache URL {shown}: prefix must not be empty")
            prefix = value
        elif name == "retention":
            retention = _positive(name, value, shown, zero_means_none=True)
        elif name == "socket_timeout":
            socket_timeout = _positive(name, value, shown, zero_means_none=False) or 0.0
        else:
            passthrough.append((name, value))
    client_url = urlunsplit(
        (parts.scheme.lower(), parts.netloc, parts.path, urlencode(passthrough), "")
    )
    return RedisOptions(
        client_url=client_url,
        shown_url=shown,
        location=f"{host}:{port}/{db}",
        prefix=prefix,
        retention=retention,
        socket_timeout=socket_timeout,
    )


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise ConfigError(
            "the Redis cache needs the redis package: pip install 'embedkit[redis]'"
        ) from exc
    return redis


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class RedisCache:
    """An embed cache in Redis, shared by every process and node that opens the same URL.

    ``clock`` only sizes the expiry of rate-limit stop keys; entry times come
    from the entries themselves.
    """

    backend = "redis"

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        options = parse_redis_url(url)
        self.url = options.shown_url
        self.location = options.location
        self.prefix = options.prefix
        self.retention = options.retention
        self._clock = clock
        self._password = urlsplit(options.client_url).password
        redis = _import_redis()
        self._errors_base: type[BaseException] = redis.exceptions.RedisError
        try:
            self._client = redis.Redis.from_url(
                options.client_url,
                socket_timeout=options.socket_timeout,
                socket_connect_timeout=options.socket_timeout,
            )
        except ValueError as exc:
            raise ConfigError(f"cache URL {self.url} is not usable: {self._scrub(exc)}") from exc
        self._set_script = self._client.register_script(_SET_SCRIPT)
        self._release_script = self._client.register_script(_RELEASE_SCRIPT)
        self._closed = False
        #: The process-local locks in front of the fleet's (see :meth:`lock`).
        self.locks = LocalLocks()

    def __repr__(self) -> str:
        return f"RedisCache({self.url!r})"

    # -- keys and errors ------------------------------------------------------

    def _entry_key(self, key: str) -> str:
        return f"{self.prefix}embed:{key}"

    def _url_index(self, url: str) -> str:
        return f"{self.prefix}idx:url:{url}"

    def _provider_index(self, provider: str) -> str:
        return f"{self.prefix}idx:provider:{provider.casefold()}"

    def _indexes(self, entry: Entry) -> list[str]:
        keys = [self._url_index(entry.url)]
        if entry.provider is not None:
            keys.append(self._provider_index(entry.provider))
        return keys

    def _scrub(self, exc: BaseException) -> str:
        """The error's text with the cache password masked (every encoded form of it)."""
        password = self._password
        return redact(
            f"{type(exc).__name__}: {exc}",
            [password, unquote(password)] if password else [],
        )

    @contextmanager
    def _guarded(self, what: str) -> Iterator[None]:
        if self._closed:
            raise CacheError(f"redis cache at {self.location} is closed")
        try:
            yield
        except self._errors_base as exc:
            raise CacheError(
                f"redis cache at {self.location}: {what} failed: {self._scrub(exc)}"
            ) from None
        except (TypeError, ValueError) as exc:
            raise CacheError(
                f"redis cache at {self.location}: {what}: unusable entry: {exc}"
            ) from exc

    def _scan(self, pattern: str) -> Iterator[bytes]:
        yield from self._client.scan_iter(match=pattern, count=1000)

    def _px(self, entry: Entry) -> int:
        if self.retention is None:
            return 0
        lifetime = max(entry.expires_at - entry.fetched_at, 0.0) + self.retention
        return max(int(lifetime * 1000), 1)

    @staticmethod
    def _decode(value: bytes) -> Entry | None:
        try:
            return entry_from_json(value)
        except ValueError:
            return None

    # -- the backend protocol -------------------------------------------------

    def get(self, key: str) -> Entry | None:
        found = self.get_versioned(key)
        return None if found is None else found[0]

    def get_versioned(self, key: str) -> tuple[Entry, Hashable | None] | None:
        with self._guarded(f"reading {key!r}"):
            value = self._client.get(self._entry_key(key))
            if value is None:
                return None
            return entry_from_json(value), json_version(value)

    def version(self, key: str) -> Hashable | None:
        with self._guarded(f"reading the version of {key!r}"):
            head = self._client.getrange(self._entry_key(key), 0, VERSION_PREFIX_BYTES - 1)
            return json_version(head) if head else None

    def set(self, entry: Entry) -> None:
        with self._guarded(f"writing {entry.key!r}"):
            text = entry_to_json(entry, version=secrets.token_hex(8))
            self._set_script(
                keys=[self._entry_key(entry.key), *self._indexes(entry)],
                args=[text, self._px(entry), entry.key],
            )

    def delete(self, key: str) -> bool:
        with self._guarded(f"deleting {key!r}"):
            name = self._entry_key(key)
            value = self._client.get(name)
            if value is None:
                return False
            old = self._decode(value)
            pipe = self._client.pipeline()
            pipe.delete(name)
            for index in self._indexes(old) if old is not None else []:
                pipe.srem(index, key)
            return bool(pipe.execute()[0])

    def purge(
        self, *, provider: str | None = None, url: str | None = None, all: bool = False
    ) -> int:
        if provider is None and url is None and not all:
            raise ValueError("purge needs provider=, url= or all=True")
        with self._guarded("purging"):
            if provider is None and url is None:
                return self._purge_all()
            index = (
                self._url_index(url) if url is not None else self._provider_index(provider or "")
            )
            return self._purge_index(index, provider, url)

    def _purge_all(self) -> int:
        removed = 0
        for pattern in ("embed:*", "idx:*"):
            batch: list[bytes] = []
            for name in self._scan(_glob_escape(self.prefix) + pattern):
                batch.append(name)
                if len(batch) >= _BATCH:
                    deleted = self._client.delete(*batch)
                    removed += deleted if pattern == "embed:*" else 0
                    batch = []
            if batch:
                deleted = self._client.delete(*batch)
                removed += deleted if pattern == "embed:*" else 0
        return removed

    def _purge_index(self, index: str, provider: str | None, url: str | None) -> int:
        wanted = provider.casefold() if provider is not None else None
        members = [m.decode() for m in self._client.smembers(index)]
        removed = 0
        for start in range(0, len(members), _BATCH):
            keys = members[start : start + _BATCH]
            values = self._client.mget([self._entry_key(k) for k in keys])
            pipe = self._client.pipeline()
            is_delete: list[bool] = []  # one flag per queued command
            for key, value in zip(keys, values, strict=True):
                entry = None if value is None else self._decode(value)
                if entry is None or index not in self._indexes(entry):
                    # Expired, unreadable, or re-filed elsewhere: drop the stale member.
                    pipe.srem(index, key)
                    is_delete.append(False)
                    continue
                if wanted is not None and (entry.provider or "").casefold() != wanted:
                    continue
                if url is not None and entry.url != url:
                    continue
                pipe.delete(self._entry_key(key))
                is_delete.append(True)
                for other in self._indexes(entry):
                    pipe.srem(other, key)
                    is_delete.append(False)
            results = pipe.execute()
            removed += sum(int(r) for r, d in zip(results, is_delete, strict=True) if d)
        return removed

    def stats(self, now: float) -> CacheStats:
        with self._guarded("counting"):
            names = list(self._scan(_glob_escape(self.prefix) + "embed:*"))
            entries = gone = expired = size = 0
            providers: Counter[str] = Counter()
            for start in range(0, len(names), _BATCH):
                for value in self._client.mget(names[start : start + _BATCH]):
                    if value is None:
                        continue
                    size += len(value)
                    entries += 1
                    entry = self._decode(value)
                    if entry is None:
                        providers["(unreadable)"] += 1
                        continue
                    providers[entry.provider or NO_PROVIDER] += 1
                    gone += entry.state == "gone"
                    expired += entry.expires_at <= now
        return CacheStats(
            backend=self.backend,
            location=self.location,
            entries=entries,
            gone=gone,
            expired=expired,
            providers=dict(providers),
            size_bytes=size,
        )

    def blocked_until(self, provider: str) -> float | None:
        with self._guarded(f"reading the rate-limit stop of {provider!r}"):
            value = self._client.get(f"{self.prefix}block:{provider.casefold()}")
            return None if value is None else float(value)

    def block(self, provider: str, until: float) -> None:
        lifetime = max(until - self._clock(), 0.0) + BLOCK_GRACE
        with self._guarded(f"recording the rate-limit stop of {provider!r}"):
            self._client.set(
                f"{self.prefix}block:{provider.casefold()}",
                json.dumps(float(until)),
                px=max(int(lifetime * 1000), 1),
            )

    def lock(self, key: str, ttl: float) -> AbstractContextManager[bool]:
        return self._fleet_lock(key, ttl)

    @contextmanager
    def _fleet_lock(self, key: str, ttl: float) -> Iterator[bool]:
        with self.locks.lock(key, ttl) as local:
            if not local:  # another thread of this process led; its result is cached
                yield False
                return
            name = f"{self.prefix}lock:{key}"
            token = secrets.token_hex(16)
            try:
                held = self._acquire_or_wait(name, token, ttl)
            except self._errors_base as exc:
                log.warning(
                    "redis cache at %s: single-flight lock unavailable, fetching without it: %s",
                    self.location,
                    self._scrub(exc),
                )
                yield True  # this process's lock is still held: degrade to it
                return
            if not held:
                yield False
                return
            try:
                yield True
            finally:
                with suppress(self._errors_base):  # else it expires by itself
                    self._release_script(keys=[name], args=[token])

    def _acquire_or_wait(self, name: str, token: str, ttl: float) -> bool:
        """Take the fleet lock (True), or wait until its holder releases it (False)."""
        if self._closed:
            raise self._errors_base(f"redis cache at {self.location} is closed")
        if self._client.set(name, token, nx=True, px=max(int(ttl * 1000), 1)):
            return True
        deadline = time.monotonic() + ttl
        delay = LOCK_POLL_FIRST
        while time.monotonic() < deadline:
            time.sleep(delay)
            if not self._client.exists(name):
                break
            delay = min(delay * 2, LOCK_POLL_MAX)
        return False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with suppress(self._errors_base):
            self._client.close()
