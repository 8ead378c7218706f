"""The resolver: a reference in, an :class:`~embedkit._models.Embed` out, whatever happens.

The pipeline (docs/references-and-providers.md, docs/cache.md, docs/cards.md)::

    reference → refs (parse, canonicalize) → providers (match by host)
              → cache: fresh? → Embed(cached)
              → oEmbed fetch (or discovery, or the page's link card)
              → sanitize → cache write → Embed(fresh)
              → on error: stale entry? → Embed(stale); 404/410 → Embed(gone)
              → static fallback from what is known → Embed(fallback)

Only :class:`~embedkit._errors.InvalidReference` escapes :meth:`Resolver.resolve`;
provider, network and cache trouble all end in an embed with a fallback.

Example::

    >>> from embedkit import Resolver
    >>> r = Resolver(cache="memory://", offline=True)
    >>> e = r.resolve("https://twitter.com/Reuters/status/1636212467429621760")
    >>> e.status, e.provider
    ('fallback', 'Twitter')
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

from embedkit import _platforms
from embedkit._config import DEFAULT_TIMEOUT, env_flag, env_float
from embedkit._errors import CacheError, FetchError, InvalidResponse, NotFound, RateLimited
from embedkit._memo import LruMemo
from embedkit._models import (
    Embed,
    EmbedStatus,
    Ref,
    bare_link,
    defer_fallback,
    fallback_length,
    read_only,
)
from embedkit._platforms import PlatformSettings
from embedkit._redaction import get_logger
from embedkit._templating import make_environment
from embedkit.net._http import HttpClient
from embedkit.present._presentation import Presented, present
from embedkit.present._snapshot import snapshot_from_dict, snapshot_to_dict
from embedkit.resolve import _decisions as decisions
from embedkit.resolve._cards import card_only, page_answer
from embedkit.resolve._oembed import OEmbedFetcher
from embedkit.resolve._providers import Match, ProviderRegistry
from embedkit.resolve._refs import parse_ref
from embedkit.resolve._xapi import from_x_api
from embedkit.resolve.cache import CacheBackend, Entry, VersionedBackend, cache_key, open_cache
from embedkit.resolve.cache._base import entry_problem
from embedkit.resolve.cache._locks import LocalLocks
from embedkit.resolve.cache._policy import (
    CachePolicy,
    is_fresh,
    on_failure,
    on_gone,
    on_success,
)

__all__ = ["Resolver"]

log = get_logger("embedkit.resolver")

#: How long to stop asking a provider after a 429 that did not say how long.
DEFAULT_RATE_LIMIT_PAUSE = 60.0
#: Cache-key prefix for snapshots read from the X API (kept apart from oEmbed entries).
_X_API_PREFIX = "x-api:"


class Resolver:
    """Resolve post references into embeds, with caching and static fallbacks.

    Every I/O seam is a constructor argument: ``cache`` (a URL or a backend),
    ``providers`` (a providers file or a registry), ``http`` (the hardened HTTP
    client, whose transport and DNS resolver are seams of their own) and
    ``clock``. Settings not given explicitly come from the environment
    (``EMBEDKIT_CACHE``, ``EMBEDKIT_PROVIDERS``, ``EMBEDKIT_TIMEOUT``,
    ``EMBEDKIT_ALLOW_PRIVATE_NETWORKS``, ``EMBEDKIT_TEMPLATES``,
    ``EMBEDKIT_X_BEARER_TOKEN``, ``EMBEDKIT_TRUSTED_MASTODON_INSTANCES``,
    ``EMBEDKIT_TWITCH_PARENT``), then from defaults.

    ``trusted_mastodon_instances`` names the Mastodon instances (host names) whose own
    ``embed.js`` may run on the publisher's pages; a post on any other instance renders
    without a script. ``twitch_parent`` is the host name (or names) of the pages
    embeds go on, which Twitch's player requires; without it Twitch links get a
    static card.

    ``offline=True`` never touches the network: cached entries are served
    (expired ones as ``stale``) and everything else falls back. ``consent=True``
    renders every embed as its fallback with a "load" button. ``discovery``
    lets URLs no provider matches find their oEmbed endpoint through the page.

    The rendered HTML of the last ``presentation_memo`` cache entries is kept in
    memory, so a cache hit costs a lookup rather than a sanitize-and-render; and
    the finished :class:`Embed` of the last ``presentation_memo`` references served
    from a fresh entry is kept too. While that entry is fresh and its version in
    the cache is unchanged (the backend reads the version alone: another process's
    refresh, tombstone or purge changes it), the same embed is handed out again.
    ``refresh=True`` never takes that path.
    """

    def __init__(
        self,
        cache: str | CacheBackend | None = None,
        providers: str | os.PathLike[str] | ProviderRegistry | None = None,
        timeout: float | None = None,
        *,
        allow_private_networks: bool | None = None,
        consent: bool = False,
        offline: bool = False,
        discovery: bool = True,
        show_deleted_text: bool = False,
        template_dirs: Sequence[str | os.PathLike[str]] = (),
        policy: CachePolicy | None = None,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
        max_workers: int = 8,
        presentation_memo: int = 4096,
        env: Mapping[str, str] | None = None,
        trusted_mastodon_instances: Iterable[str] | None = None,
        twitch_parent: str | Iterable[str] | None = None,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self.platform_settings = _platform_settings(
            self._env, trusted_mastodon_instances, twitch_parent
        )
        self.timeout = (
            timeout
            if timeout is not None
            else env_float(self._env, "EMBEDKIT_TIMEOUT", DEFAULT_TIMEOUT)
        )
        if allow_private_networks is None:
            allow_private_networks = env_flag(self._env, "EMBEDKIT_ALLOW_PRIVATE_NETWORKS")
        self.allow_private_networks = allow_private_networks
        self.consent = consent
        self.offline = offline
        self.discovery = discovery
        self.show_deleted_text = show_deleted_text
        self.policy = policy or CachePolicy()
        self.clock = clock
        self.max_workers = max_workers
        if isinstance(providers, ProviderRegistry):
            self.registry = providers
        else:
            self.registry = ProviderRegistry.default(providers, env=self._env)
        self.cache: CacheBackend = (
            cache
            if cache is not None and not isinstance(cache, str)
            else open_cache(cache, env=self._env)
        )
        self._owns_http = http is None
        self.http = http or HttpClient(
            timeout=self.timeout, allow_private_networks=allow_private_networks
        )
        self.fetcher = OEmbedFetcher(self.http)
        self.environment = make_environment(template_dirs, env=self._env)
        # Parsing and matching are pure: remember them for the references seen lately.
        self._parse = functools.lru_cache(maxsize=presentation_memo)(parse_ref)
        self._match = functools.lru_cache(maxsize=presentation_memo)(self.registry.match)
        self._match_ref = functools.lru_cache(maxsize=presentation_memo)(self.registry.match_ref)
        self._expanded: LruMemo[str, Ref] = LruMemo(presentation_memo)
        self._presented: LruMemo[tuple[object, ...], Presented] = LruMemo(
            presentation_memo, max_weight=HOT_MEMO_BYTES, weigh=_presented_weight
        )
        self._hot = _HotMemo(presentation_memo)
        # Single-flight: the cache's own locks (shared by a fleet on Redis); a backend
        # of someone else's without lock() gets process-local ones.
        self._locks = LocalLocks()
        #: How long a fetch may hold its key's lock (and others wait): two deadlines.
        self.lock_ttl = 2 * self.http.deadline + 1.0
        self._pool: ThreadPoolExecutor | None = None
        self._pool_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"Resolver(cache={self.cache.url!r}, providers={len(self.registry)})"

    # -- public API ---------------------------------------------------------

    def match(self, url: str) -> str | None:
        """Name the provider whose URL schemes match ``url``, or ``None``.

        ``url`` is canonicalized first, so every pasted shape of a post
        matches; a URL on a host no provider or platform knows is answered from a
        host lookup alone. Short links whose host names the provider
        (``vm.tiktok.com``, ``redd.it``, ``dai.ly``...) are named without touching
        the network. Raises :class:`InvalidReference` for a URL that is not usable.
        """
        found = self._match_ref(url)
        return found.provider.name if found else None

    def resolve(self, ref: str, *, refresh: bool = False, **params: Any) -> Embed:
        """Resolve one reference into an :class:`Embed`.

        ``params`` are the provider parameters that change the HTML
        (``maxwidth``, ``maxheight``, and X's ``theme``, ``lang``, ``dnt``,
        ``omit_script``, ``hide_thread``, ``hide_media``, ``align``).
        ``refresh=True`` asks the provider even when the cache entry is fresh.
        Raises only :class:`InvalidReference` (and :class:`TypeError` for an
        unknown parameter); everything else ends in an embed.
        """
        parsed = self._parse(ref) if params else None  # (an invalid ref is reported first)
        clean = decisions.html_params(params) if params else {}
        if not refresh:
            embed = self._hot_hit(ref, clean)
            if embed is not None:
                return embed
        return self._resolve_safely(parsed or self._parse(ref), clean, refresh)

    def remembered(self, ref: str, **params: Any) -> Embed | None:
        """The embed :meth:`resolve` would hand out at once, or ``None``.

        That is the embed this resolver last served for ``ref`` and ``params``
        while its cache entry is fresh and unchanged (one read of the entry's
        version; docs/cache.md, "Warm hits"). ``None`` means "call :meth:`resolve`":
        nothing here fetches, writes or raises (an unknown parameter is ``None`` too).
        """
        try:
            clean = decisions.html_params(params) if params else {}
        except (TypeError, ValueError):
            return None
        return self._hot_hit(ref, clean)

    def resolve_many(
        self,
        refs: Iterable[str],
        *,
        refresh: bool = False,
        on_result: Callable[[Embed], None] | None = None,
        **params: Any,
    ) -> list[Embed]:
        """Resolve several references concurrently; results keep the input order.

        Every reference is parsed before anything is fetched, so an invalid one
        raises :class:`InvalidReference` without any request having been made.
        References that are the same post (x.com and twitter.com forms, say)
        share one request. ``on_result`` is called with each embed as it is
        ready (for progress bars), in completion order, in the calling thread.
        """
        parsed = [self._parse(ref) for ref in refs]
        clean = decisions.html_params(params)
        results: list[Embed | None] = [None] * len(parsed)
        if not refresh:  # what the cache answers at once is not worth a thread
            for index, ref in enumerate(parsed):
                embed = results[index] = self._hot_hit(ref.raw, clean)
                if embed is not None and on_result is not None:
                    on_result(embed)
        missing = [index for index, embed in enumerate(results) if embed is None]

        def done(index: int, embed: Embed) -> None:
            results[index] = embed
            if on_result is not None:
                on_result(embed)

        if len(missing) <= 1 or self.max_workers <= 1 or getattr(_WORKER, "active", False):
            for index in missing:  # (inside a worker: in place, never waiting on the pool)
                done(index, self._resolve_safely(parsed[index], clean, refresh))
        else:
            # Workers fetch; this thread presents each answer as it arrives. The
            # presenting (sanitize, fallback, templates) is CPU work that 32 threads
            # would only take turns at under the GIL, each with cold caches.
            pool = self._workers()
            futures = {
                pool.submit(self._prepare_safely, parsed[index], clean, refresh, later=True): index
                for index in missing
            }
            for future in as_completed(futures):
                index = futures[future]
                done(index, self._finish_safely(parsed[index], future.result()))
        return cast("list[Embed]", results)

    def _workers(self) -> ThreadPoolExecutor:
        """The resolver's thread pool, started once: a batch does not wait for new threads."""
        with self._pool_guard:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_workers,
                    thread_name_prefix="embedkit-resolve",
                    initializer=_mark_worker,
                )
            return self._pool

    def close(self) -> None:
        """Close the cache backend, the worker threads and the HTTP client this resolver opened."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.cache.close()
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pipeline -------------------------------------------------------

    def _single_flight(self, key: str) -> AbstractContextManager[bool]:
        lock = getattr(self.cache, "lock", None)
        if lock is None:
            return self._locks.lock(key, self.lock_ttl)
        return cast("AbstractContextManager[bool]", lock(key, self.lock_ttl))

    def _hot_hit(self, raw: str, params: dict[str, str]) -> Embed | None:
        """The embed last served for ``raw`` and ``params``, if its entry is unchanged.

        It is handed out again only while the entry it came from is fresh by the
        resolver's clock and the cache still holds that very version of it; any
        doubt (a backend error included) sends the caller down the full path.
        """
        if type(raw) is not str:  # only what parse_ref could have accepted
            return None
        hit = self._hot.get((raw, *params.items()) if params else raw)
        if hit is None:
            return None
        try:
            if hit.cache is not self.cache or not self.clock() < hit.expires_at:
                return None
            if cast("VersionedBackend", self.cache).version(hit.key) != hit.version:
                return None
        except Exception:  # the full path meets the same trouble and reports it
            return None
        return hit.embed

    def _resolve_safely(self, ref: Ref, params: dict[str, str], refresh: bool) -> Embed:
        """The "never raises" boundary: whatever goes wrong below ends in a fallback."""
        return self._finish_safely(ref, self._prepare_safely(ref, params, refresh, later=False))

    def _prepare_safely(
        self, ref: Ref, params: dict[str, str], refresh: bool, *, later: bool
    ) -> Embed | _Later:
        """:meth:`_resolve`, never raising; with ``later``, a fetched answer is not yet
        presented: the caller finishes it (:meth:`_finish_safely`)."""
        try:
            return self._resolve(ref, params, refresh, later=later)
        except Exception as exc:
            return self._unexpected(ref, exc)

    def _finish_safely(self, ref: Ref, prepared: Embed | _Later) -> Embed:
        if isinstance(prepared, Embed):
            return prepared
        try:
            return prepared.finish()
        except Exception as exc:
            return self._unexpected(ref, exc)

    def _unexpected(self, ref: Ref, exc: Exception) -> Embed:
        log.warning(
            "resolving %s failed unexpectedly (%s); showing its fallback",
            ref.url,
            type(exc).__name__,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        return self._bare(ref, None, f"could not resolve: {type(exc).__name__}")

    def _resolve(
        self, ref: Ref, params: dict[str, str], refresh: bool, *, later: bool = False
    ) -> Embed | _Later:
        # One deadline for everything fetched for this reference: a short link's
        # expansion, a discovery page and the oEmbed answer share it.
        # A short link's target is known only as long as its expansion is remembered:
        # its embed is never handed out again without looking.
        hot = not ref.needs_redirect
        with self.http.budget():
            if ref.needs_redirect and not self.offline:
                ref = self._expand(ref)
            found = self._match(ref.url)
            method = found.endpoint.method if found is not None else None
            if method == "none":
                record = _platforms.get(found.provider.platform if found else None)
                if record is not None and not record.oembed:  # built from the URL (Twitch)
                    ready = _platforms.url_embed(record, ref, self.platform_settings) is not None
                    shown = self._embed(ref, found, "fresh" if ready else "fallback", None, None)
                    return shown or self._bare(ref, found, "the embed could not be shown")
            return self._resolve_key(
                ref, found, cache_key(ref.url, params), params, refresh, hot=hot, later=later
            )

    def _resolve_key(
        self,
        ref: Ref,
        found: Match | None,
        key: str,
        params: dict[str, str],
        refresh: bool,
        *,
        hot: bool = False,
        later: bool = False,
    ) -> Embed | _Later:
        entry, version = self._cache_get_versioned(key)
        action = self._next_action(entry, found, refresh)
        if action == "serve":
            assert entry is not None
            status: EmbedStatus = "gone" if entry.state == "gone" else "cached"
            embed = self._embed(ref, found, status, entry, None)
            if embed is not None:
                if hot and version is not None and not _asks_x_api(found, status, entry):
                    self._hot.put(
                        (ref.raw, *params.items()) if params else ref.raw,
                        _Hot(self.cache, key, version, entry.expires_at, embed),
                    )
                return embed
            # A stored entry that cannot be presented is treated as absent.
            self._cache_drop(key)
            entry = None
            action = self._next_action(None, found, refresh)
        error: str | None = None
        if action == "fetch":
            # One request per post at a time (across the fleet when the cache is
            # shared): the lock's holder fetches; the others wait for it, then read
            # what it stored, and take its outcome rather than asking again.
            with self._single_flight(key) as held:
                entry = self._cache_get(key)
                action = self._next_action(entry, found, refresh and held)
                if action == "fetch" and held:
                    entry, fetched, error = self._fetch(
                        ref, found, key, params, entry, self.clock()
                    )
                    shown = functools.partial(self._shown, ref, found, key, fetched, entry, error)
                    return _Later(shown) if later else shown()
            if action == "fetch":
                error = "a concurrent request for this post did not get an answer"
        if action == "serve":
            assert entry is not None
            status = "gone" if entry.state == "gone" else "cached"
        else:
            status = decisions.status_without_fetch(entry)
            error = error or ("offline" if self.offline else None)
        return self._shown(ref, found, key, status, entry, error)

    def _shown(
        self,
        ref: Ref,
        found: Match | None,
        key: str,
        status: EmbedStatus,
        entry: Entry | None,
        error: str | None,
    ) -> Embed:
        """The embed for ``entry``; an entry that cannot be presented is dropped."""
        embed = self._embed(ref, found, status, entry, error)
        if embed is not None:
            return embed
        if entry is not None:
            self._cache_drop(key)
        return self._bare(ref, found, error or "the provider's answer could not be shown")

    def _next_action(
        self, entry: Entry | None, found: Match | None, refresh: bool
    ) -> decisions.Action:
        now = self.clock()
        if entry is not None and not refresh and is_fresh(entry, now):
            return "serve"  # what next_action says, without reading the 429 pause first
        method = found.endpoint.method if found is not None else None
        return decisions.next_action(
            entry,
            now=now,
            refresh=refresh,
            offline=self.offline,
            can_fetch=method == "oembed"
            or (self.discovery and (method != "none" or card_only(found))),
            blocked_until=self._blocked_until(_pause_key(found)),
        )

    def _expand(self, ref: Ref) -> Ref:
        """Follow a short link (vm.tiktok.com, redd.it...) to the post it names.

        The expansion goes through the network guard like any author URL, is
        remembered for the process, and on any failure the short link is kept.
        """
        known = self._expanded.get(ref.url)
        if known is None:
            try:
                final = self.http.get(ref.url, max_bytes=1, truncate=True).url
                known = self._parse(final)
            except Exception as exc:  # any trouble keeps the short link
                log.info("could not expand short link %s: %s", ref.url, exc)
                return ref
            self._expanded.put(ref.url, known)
        return dataclasses.replace(known, raw=ref.raw)

    def _fetch(
        self,
        ref: Ref,
        found: Match | None,
        key: str,
        params: dict[str, str],
        entry: Entry | None,
        now: float,
    ) -> tuple[Entry | None, EmbedStatus, str | None]:
        provider = found.provider.name if found else None
        try:
            data = self._fetch_oembed(ref, found, params)
        except NotFound as exc:
            gone = on_gone(
                entry,
                key=key,
                url=ref.url,
                provider=provider,
                params=params,
                now=now,
                policy=self.policy,
                error=str(exc),
            )
            self._cache_set(gone)
            return gone, "gone", str(exc)
        except FetchError as exc:
            log.info("provider trouble for %s: %s", ref.url, exc)
            pause_key = _pause_key(found)
            if isinstance(exc, RateLimited) and pause_key is not None:
                pause = DEFAULT_RATE_LIMIT_PAUSE if exc.retry_after is None else exc.retry_after
                self._cache_block(pause_key, now + pause)
            if entry is None:
                return None, "fallback", str(exc)
            failed = on_failure(entry, now=now, error=str(exc))
            self._cache_set(failed)
            return failed, decisions.status_without_fetch(failed), str(exc)
        if data is None:
            return entry, decisions.status_without_fetch(entry), "no oEmbed provider"
        provider = provider or _str_or_none(data.get("provider_name"))
        fresh = on_success(
            entry,
            key=key,
            url=ref.url,
            provider=provider,
            params=params,
            data=data,
            now=now,
            policy=self.policy,
        )
        self._cache_set(fresh)
        return fresh, "fresh", None

    def _fetch_oembed(
        self, ref: Ref, found: Match | None, params: dict[str, str]
    ) -> dict[str, Any] | None:
        """The provider's normalized answer; raises only :class:`FetchError` subclasses."""
        try:
            return self._ask_provider(ref, found, params)
        except FetchError:
            raise
        except Exception as exc:  # a hostile answer broke something below: provider trouble
            log.warning(
                "unexpected %s while fetching %s; treating it as provider trouble",
                type(exc).__name__,
                ref.url,
            )
            raise InvalidResponse(f"unusable answer for {ref.url} ({type(exc).__name__})") from None

    def _ask_provider(
        self, ref: Ref, found: Match | None, params: dict[str, str]
    ) -> dict[str, Any] | None:
        if found is not None and found.endpoint.method == "oembed":
            endpoint = found.endpoint
            endpoint_url, extra = endpoint.request_target(self._env)
            return self.fetcher.fetch(
                endpoint_url,
                ref.url,
                {**params, **extra},
                regexes=endpoint.regexes,
                trusted=endpoint.trusted,
            )
        # One read of the page: its announced oEmbed answer, else a link card from its
        # own metadata (a platform's page that its oEmbed does not serve: a card only).
        discover = found is None or found.endpoint.method != "none"
        return page_answer(ref, self.http, self.fetcher.fetch_discovered, params, discover=discover)

    def _embed(
        self,
        ref: Ref,
        found: Match | None,
        status: EmbedStatus,
        entry: Entry | None,
        error: str | None,
    ) -> Embed | None:
        """The embed for ``entry``, or None when it cannot be presented."""
        try:
            return self._present(ref, found, status, entry, error)
        except Exception as exc:
            log.warning(
                "could not present %s from %s (%s: %s); treating the entry as absent",
                ref.url,
                "its cache entry" if entry is not None else "what is known",
                type(exc).__name__,
                exc,
            )
            return None

    def _bare(self, ref: Ref, found: Match | None, error: str) -> Embed:
        """The fallback made from the reference alone; never raises."""
        embed = self._embed(ref, found, "fallback", None, error)
        if embed is not None:
            return embed
        markup = bare_link(ref.url)  # even the templates failed: a bare link
        return Embed(
            ref=ref.raw,
            url=ref.url,
            status="fallback",
            provider=found.provider.name if found else None,
            html=markup,
            data=read_only({}),
            fetched_at=None,
            expires_at=None,
            error=error,
            scripts=(),
            fallback_html=markup,
        )

    def _present(
        self,
        ref: Ref,
        found: Match | None,
        status: EmbedStatus,
        entry: Entry | None,
        error: str | None,
    ) -> Embed:
        provider = found.provider.name if found else (entry.provider if entry else None)
        # The matched provider's platform chooses the policy; a name the answer gave
        # itself (entry.provider, for a discovered one) never does.
        platform = found.provider.platform if found else None
        data = entry.data if entry and entry.data is not None else None
        snapshot = entry.snapshot if entry else None
        extra = None
        if _asks_x_api(found, status, entry):
            extra = self._x_api_snapshot(ref)
        memo_key = None
        if extra is None:
            # What present() shows depends only on these; an entry's version is its
            # fetched_at, so a refresh (or another process's write) makes a new key.
            memo_key = (
                ref.url,
                ref.handle,
                provider,
                platform,
                status,
                entry.key if entry else None,
                entry.fetched_at if entry else None,
                entry.snapshot_at if entry else None,
            )
        shown = self._presented.get(memo_key) if memo_key else None
        if shown is None:
            shown = present(
                self.environment,
                ref=ref,
                provider=provider,
                platform=platform,
                status=status,
                data=data,
                snapshot=snapshot,
                extra_snapshot=extra,
                consent=self.consent,
                show_deleted_text=self.show_deleted_text,
                settings=self.platform_settings,
            )
            if memo_key:
                self._presented.put(memo_key, shown)
        rendered = fallback_length(shown, -1) >= 0
        embed = Embed(
            ref=ref.raw,
            url=ref.url,
            status=status,
            provider=provider,
            html=shown.html,
            data=read_only(data or snapshot or {}),
            fetched_at=entry.fetched_at if entry else None,
            expires_at=entry.expires_at if entry else None,
            error=error or (entry.error if entry and status != "cached" else None),
            scripts=shown.scripts,
            fallback_html=shown.fallback_html if rendered else "",
            kind=shown.kind,
        )
        # A live embed's fallback is rendered (once, for every embed made from the
        # same presentation) only when something reads it.
        return embed if rendered else defer_fallback(embed, lambda: shown.fallback_html)

    def _x_api_snapshot(self, ref: Ref) -> Any:
        """The X API fallback source: cached like a snapshot, fetched at most once a TTL."""
        token = self._env.get("EMBEDKIT_X_BEARER_TOKEN")
        if not token or not ref.post_id:
            return None
        key = _X_API_PREFIX + ref.url
        cached = self._cache_get(key)
        if cached is not None and cached.snapshot is not None:
            return snapshot_from_dict(cached.snapshot)
        if self.offline:
            return None
        try:
            found = from_x_api(ref, token, timeout=self.timeout)
        except Exception as exc:
            log.info("the X API fallback for %s failed: %s", ref.url, type(exc).__name__)
            return None
        if found is not None:
            self._cache_set(
                on_success(
                    None,
                    key=key,
                    url=ref.url,
                    provider="Twitter",
                    params={},
                    data=snapshot_to_dict(found),
                    now=self.clock(),
                    policy=self.policy,
                )
            )
        return found

    # -- cache access that never raises --------------------------------------

    def _cache_get(self, key: str) -> Entry | None:
        """The entry under ``key``; None when there is none or it cannot be used."""
        return self._cache_get_versioned(key)[0]

    def _cache_get_versioned(self, key: str) -> tuple[Entry | None, Hashable | None]:
        """The entry under ``key`` and its version (``None`` when the backend has none).

        ``(None, None)`` when there is no entry or it cannot be used.
        """
        version: Hashable | None = None
        try:
            get_versioned = getattr(self.cache, "get_versioned", None)
            if get_versioned is not None and getattr(self.cache, "version", None) is not None:
                found = get_versioned(key)
                entry, version = (None, None) if found is None else found
            else:
                entry = self.cache.get(key)
        except CacheError as exc:
            log.warning("cache read failed, treating as a miss: %s", exc)
            return None, None
        except Exception as exc:  # a backend that could not read a stored entry
            log.warning("cache entry %s is unreadable, treating as a miss: %s", key, exc)
            return None, None
        if entry is None:
            return None, None
        problem = entry_problem(entry)
        if problem is not None:
            log.warning("cache entry %s is unusable (%s), treating as a miss", key, problem)
            return None, None
        return entry, version

    def _cache_drop(self, key: str) -> None:
        try:
            self.cache.delete(key)
        except Exception as exc:
            log.warning("could not remove the unusable cache entry %s: %s", key, exc)

    def _cache_set(self, entry: Entry) -> None:
        try:
            self.cache.set(entry)
        except Exception as exc:
            log.warning("cache write failed: %s", exc)

    def _blocked_until(self, pause_key: str | None) -> float | None:
        if pause_key is None:
            return None
        try:
            return self.cache.blocked_until(pause_key)
        except Exception as exc:
            log.warning("cache read failed: %s", exc)
            return None

    def _cache_block(self, pause_key: str, until: float) -> None:
        try:
            self.cache.block(pause_key, until)
        except Exception as exc:
            log.warning("cache write failed: %s", exc)


_WORKER = threading.local()


class _Later(NamedTuple):
    """A fetched answer not presented yet: ``finish()`` makes its embed."""

    finish: Callable[[], Embed]


class _Hot(NamedTuple):
    """An embed served from a fresh entry, and what says it still may be.

    ``cache`` is the backend it came from, ``key`` the entry's cache key,
    ``version`` the entry's version when it was read, ``expires_at`` its expiry.
    """

    cache: object
    key: str
    version: Hashable
    expires_at: float
    embed: Embed


#: The most the remembered embeds of one resolver may weigh (their text, roughly).
HOT_MEMO_BYTES = 64 * 1024 * 1024


def _weight(value: object) -> int:
    """Roughly how many bytes ``value``'s text takes (JSON-like data, bounded depth)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(len(k) + _weight(v) for k, v in value.items()) + 64
    if isinstance(value, list | tuple):
        return sum(_weight(v) for v in value) + 64
    return 16


def _presented_weight(shown: Presented) -> int:
    # A fallback not rendered yet is counted as long as the embed (about what it is).
    fallback = fallback_length(shown, len(shown.html))
    return len(shown.html) + fallback + _weight(shown.scripts) + 256


def _embed_weight(embed: Embed) -> int:
    return (
        len(embed.ref) + len(embed.url) + len(embed.html) + fallback_length(embed, len(embed.html))
        + _weight(embed.data) + _weight(embed.scripts) + 512
    )  # fmt: skip


class _HotMemo:
    """The last :class:`_Hot` embeds by (reference, parameters): an LRU.

    It holds at most ``size`` embeds (``size`` 0 or less: none) weighing at most
    ``max_bytes`` together (an embed heavier than that alone is not kept). A hit
    takes no lock (``OrderedDict``'s operations are atomic under the GIL); adding
    takes one, so the weight stays exact.
    """

    def __init__(self, size: int, max_bytes: int = HOT_MEMO_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.weight = 0
        self._items: OrderedDict[Hashable, tuple[_Hot, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> _Hot | None:
        found = self._items.get(key)
        if found is None:
            return None
        try:  # noqa: SIM105 (suppress() costs more than the lookup: this is the hot path)
            self._items.move_to_end(key)
        except KeyError:  # forgotten by another thread meanwhile
            pass
        return found[0]

    def put(self, key: Hashable, hot: _Hot) -> None:
        weight = _embed_weight(hot.embed)
        if self.size <= 0 or weight > self.max_bytes:
            return
        with self._lock:
            items = self._items
            old = items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            items[key] = (hot, weight)
            self.weight += weight
            while len(items) > self.size or self.weight > self.max_bytes:
                self.weight -= items.popitem(last=False)[1][1]


def _asks_x_api(found: Match | None, status: EmbedStatus, entry: Entry | None) -> bool:
    """Whether presenting this embed consults the X API fallback (a fetch of its own)."""
    platform = found.provider.platform if found else None
    snapshot = entry.snapshot if entry else None
    return snapshot is None and platform == "x" and status in ("gone", "fallback")


def _mark_worker() -> None:
    _WORKER.active = True


def _platform_settings(
    env: Mapping[str, str],
    instances: Iterable[str] | None,
    twitch_parent: str | Iterable[str] | None,
) -> PlatformSettings:
    """The publisher's platform settings: explicit arguments, else the environment."""
    if instances is None:
        instances = _platforms.parse_hosts(
            env.get("EMBEDKIT_TRUSTED_MASTODON_INSTANCES"),
            source="EMBEDKIT_TRUSTED_MASTODON_INSTANCES",
        )
    if twitch_parent is None:
        twitch_parent = env.get("EMBEDKIT_TWITCH_PARENT")
    return PlatformSettings(
        trusted_mastodon_instances=_platforms.parse_hosts(
            instances, source="trusted_mastodon_instances"
        ),
        twitch_parent=tuple(sorted(_platforms.parse_hosts(twitch_parent, source="twitch_parent"))),
    )


def _pause_key(found: Match | None) -> str | None:
    """What a 429 pauses: the endpoint's host, so one Mastodon instance's limit
    does not pause every other instance."""
    if found is None:
        return None
    return urlsplit(found.endpoint.url).netloc or found.provider.name


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
