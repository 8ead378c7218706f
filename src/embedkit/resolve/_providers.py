"""The oEmbed provider registry, matched by host.

Providers come from three layers, later layers replacing earlier ones by
``provider_name``:

1. the oembed.com registry snapshot bundled as ``data/providers.json`` (MIT,
   see ``data/LICENSE.providers.txt``), or the newer copy that
   ``embedkit providers update`` (:mod:`embedkit.resolve._registry_update`)
   stored in the user data folder;
2. embedkit's corrections, ``data/builtin_providers.json`` (X on both hosts,
   YouTube's missing URL forms, Bluesky, Threads, TikTok, Reddit's user posts, and
   Meta's Instagram and Facebook endpoints with an optional app token), each
   naming its platform by id;
3. a user file (the ``extra`` argument, else ``EMBEDKIT_PROVIDERS``).

All three use the registry's JSON format. Endpoints may carry extra keys:
``token_env`` and ``token_url`` (use ``token_url`` with ``access_token`` from
that environment variable when it is set) and ``trusted: false`` (the endpoint
goes through the network guard like an author's URL; a registry fetched from a
URL is stored that way). A provider may carry ``platform`` (an id of
:data:`embedkit._platforms.PLATFORMS`; a known provider name links to its
platform by itself) and ``replaces`` (other provider names it supersedes).

Matching never scans every scheme. Each registry glob (``https://*.flickr.com/*``)
is compiled to an anchored regex that cannot backtrack (each ``*`` after the host
matches the leftmost way, in an atomic group), and filed under the host it names
exactly, or under the domain after its leading ``*.`` labels; a URL only meets the
candidates filed under its own host and that host's parent domains (plus the rare
scheme whose wildcard sits elsewhere). When no scheme matches, the URL's platform
may still name the provider (:meth:`ProviderRegistry.match`): a short link
(``vm.tiktok.com``), a Twitch video, a YouTube channel page, or a post on a
fediverse server. A Mastodon post gets a synthesised endpoint,
``https://{host}/api/oembed``, marked ``trusted=False`` because the author chose
that host; other fediverse posts are discovered from their page.

>>> registry = ProviderRegistry.default()
>>> registry.match("https://x.com/reuters/status/1636227126391214081").provider.name
'Twitter'
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from embedkit import _platforms
from embedkit._errors import ConfigError, InvalidReference
from embedkit._models import Ref
from embedkit._redaction import get_logger
from embedkit.resolve._refs import MAX_REF_LENGTH, parse_ref

__all__ = [
    "Endpoint",
    "Match",
    "Method",
    "Provider",
    "ProviderRegistry",
    "load_providers_file",
    "scheme_to_regex",
    "updated_registry_path",
    "validate_entries",
]

log = get_logger(__name__)

#: How a matched URL is embedded: ask the endpoint (``oembed``), find the endpoint on
#: the post's page (``discover``), or ask nothing (``none``: a short link not yet
#: followed, or an item the platform's oEmbed does not serve; its player or a card
#: shows it).
Method = Literal["oembed", "discover", "none"]

_HOST_WILDCARD = r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"
_HIERARCHICAL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", re.DOTALL)
_SUFFIX_KEY = re.compile(r"^(?:\*\.)+([^*]+)$")


def _fill_format(url: str) -> str:
    return url.replace("{format}", "json")


@dataclass(frozen=True)
class Endpoint:
    """One oEmbed endpoint and the URL schemes it serves.

    ``regexes`` are the ``schemes`` compiled to anchored regular expressions
    (the form ``python-oembed`` accepts as ``regex:`` schemes). ``trusted`` is
    ``False`` for endpoints synthesised from an author's URL and for a registry
    fetched from a URL. When ``token_env`` names a set environment variable,
    :meth:`request_target` switches to ``token_url`` with an ``access_token``
    parameter. ``method`` is ``"oembed"`` for every registry endpoint; platform
    matches without an endpoint say ``"discover"`` or ``"none"`` (see :data:`Method`).
    """

    url: str
    schemes: tuple[str, ...]
    regexes: tuple[str, ...]
    discovery: bool = False
    trusted: bool = True
    token_env: str | None = None
    token_url: str | None = None
    method: Method = "oembed"

    def request_target(self, env: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The endpoint URL to call and extra query parameters, given the environment.

        ``{format}`` in the endpoint URL is filled with ``json``.

        >>> meta = Endpoint("https://a.example/oembed", (), (), token_env="T",
        ...                 token_url="https://graph.example/oembed")
        >>> meta.request_target({})
        ('https://a.example/oembed', {})
        >>> meta.request_target({"T": "app|secret"})
        ('https://graph.example/oembed', {'access_token': 'app|secret'})
        """
        if self.token_env and self.token_url:
            token = env.get(self.token_env, "").strip()
            if token:
                return _fill_format(self.token_url), {"access_token": token}
        return _fill_format(self.url), {}


@dataclass(frozen=True)
class Provider:
    """A named oEmbed provider; ``platform`` is the id of its platform record, if any."""

    name: str
    url: str
    endpoints: tuple[Endpoint, ...]
    platform: str | None = None


@dataclass(frozen=True)
class Match:
    """The provider and endpoint that serve a URL."""

    provider: Provider
    endpoint: Endpoint


@dataclass(frozen=True)
class _Candidate:
    order: int
    match: Match
    regex: re.Pattern[str]


# ------------------------------------------------------------------ glob → regex


def _glob(text: str, star: str) -> str:
    return star.join(re.escape(part) for part in text.split("*"))


def _linear_glob(text: str) -> str:
    """A glob where ``*`` matches anything, as a regex that cannot backtrack.

    ``A*B*C`` matches when the text starts with A, then holds B, then ends with C.
    Taking the leftmost B is always right (it leaves the most room for what
    follows), so each inner segment is found with a lazy scan inside an atomic
    group: once found, it is never tried again elsewhere. The work is linear in the
    URL's length, however many ``*`` the scheme has.
    """
    parts = text.split("*")
    if len(parts) == 1:
        return re.escape(text)
    inner = "".join(f"(?>.*?{re.escape(part)})" for part in parts[1:-1] if part)
    return f"{re.escape(parts[0])}{inner}.*{re.escape(parts[-1])}"


def scheme_to_regex(scheme: str) -> str:
    """Compile a registry URL scheme (a glob) to an anchored regular expression.

    ``*`` in the host matches whole host labels only (never a ``/``), so
    ``https://*.flickr.com/*`` cannot match ``https://evil.example/x.flickr.com/``
    or ``https://flickr.com.evil.example/``; ``*`` after the host matches
    anything. ``http`` and ``https`` both match either scheme. The pattern never
    backtracks into what it already matched (atomic groups), so matching costs time
    linear in the URL's length (a scheme such as ``https://backtracks.fm/*/*/*/*/e/*/*``
    used to take seconds on one long URL).

    >>> scheme_to_regex("https://*.flickr.com/photos/*")
    '^https?://(?>[a-z0-9_-]+(?:\\\\.[a-z0-9_-]+)*\\\\.flickr\\\\.com(?=[/?#:]|$))/photos/.*$'
    """
    found = _HIERARCHICAL.match(scheme.strip())
    if not found:
        return "^" + _linear_glob(scheme.strip()) + "$"
    proto, host, rest = found.groups()
    proto = proto.lower()
    proto_re = "https?" if proto in ("http", "https") else re.escape(proto)
    # The host is matched once, whole (atomic): its labels are never re-split.
    host_re = f"(?>{_glob(host.lower(), _HOST_WILDCARD)}(?=[/?#:]|$))"
    rest_re = _linear_glob(rest) if rest else "/?"
    return f"^{proto_re}://{host_re}{rest_re}$"


@functools.lru_cache(maxsize=8192)
def _compile(regex: str) -> re.Pattern[str]:
    """Compile a scheme regex once per process (every registry shares them)."""
    return re.compile(regex)


def _index_key(scheme: str) -> tuple[str, str] | None:
    """("host", h) or ("suffix", domain) for a scheme, or None for the odd ones."""
    found = _HIERARCHICAL.match(scheme.strip())
    if not found:
        return None
    host = found.group(2).lower()
    if "*" not in host:
        if host.startswith("["):  # an IPv6 literal, keyed like urlsplit().hostname
            return ("host", host[1 : host.find("]")] if "]" in host else host)
        return ("host", host.rsplit(":", 1)[0])
    suffix = _SUFFIX_KEY.match(host)
    return ("suffix", suffix.group(1)) if suffix else None


# ------------------------------------------------------------------ validation


def _fail(source: str, where: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {problem}")


def _is_http_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


def _validate_endpoint(raw: object, source: str, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"must be an object, not {type(raw).__name__}")
    url = raw.get("url")
    if url is None:
        raise _fail(source, where, "missing 'url'")
    if not _is_http_url(url):
        raise _fail(source, where, f"'url' must be an http(s) URL, not {url!r}")
    schemes = raw.get("schemes", [])
    if not isinstance(schemes, list) or not all(isinstance(s, str) and s for s in schemes):
        raise _fail(source, where, "'schemes' must be a list of non-empty strings")
    for scheme in schemes:
        try:
            _compile(scheme_to_regex(scheme))
        except re.error as exc:  # pragma: no cover - re.escape makes this unreachable
            raise _fail(source, where, f"scheme {scheme!r} does not compile: {exc}") from exc
    if not isinstance(raw.get("discovery", False), bool):
        raise _fail(source, where, "'discovery' must be true or false")
    token_env, token_url = raw.get("token_env"), raw.get("token_url")
    if token_env is not None and not (isinstance(token_env, str) and token_env):
        raise _fail(source, where, "'token_env' must be an environment variable name")
    if token_url is not None and not _is_http_url(token_url):
        raise _fail(source, where, f"'token_url' must be an http(s) URL, not {token_url!r}")
    if not isinstance(raw.get("trusted", True), bool):
        raise _fail(source, where, "'trusted' must be true or false")
    return {**raw, "url": url, "schemes": list(schemes)}


def validate_entries(data: object, *, source: str) -> list[dict[str, Any]]:
    """Check registry-format provider entries; return them as plain dicts.

    Raises :class:`~embedkit._errors.ConfigError` naming ``source`` and the
    provider and field at fault. Unknown keys (``example_urls``, ``notes``...)
    are kept and ignored.
    """
    if not isinstance(data, list):
        raise ConfigError(f"{source}: expected a JSON list of providers, not {type(data).__name__}")
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(data, start=1):
        where = f"provider #{number}"
        if not isinstance(raw, Mapping):
            raise _fail(source, where, f"must be an object, not {type(raw).__name__}")
        name = raw.get("provider_name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(source, where, "missing 'provider_name'")
        where = f"provider #{number} ({name})"
        provider_url = raw.get("provider_url", "")
        if not isinstance(provider_url, str):
            raise _fail(source, where, "'provider_url' must be a string")
        endpoints = raw.get("endpoints")
        if not isinstance(endpoints, list) or not endpoints:
            raise _fail(source, where, "'endpoints' must be a non-empty list")
        checked = [
            _validate_endpoint(endpoint, source, f"{where}, endpoint #{index}")
            for index, endpoint in enumerate(endpoints, start=1)
        ]
        platform, replaces = raw.get("platform"), raw.get("replaces", [])
        if platform is not None and _platforms.get(platform) is None:
            known = ", ".join(sorted(_platforms.PLATFORMS))
            raise _fail(source, where, f"'platform' must be one of {known}, not {platform!r}")
        if not isinstance(replaces, list) or not all(isinstance(r, str) for r in replaces):
            raise _fail(source, where, "'replaces' must be a list of provider names")
        entries.append({**raw, "provider_name": name, "endpoints": checked})
    return entries


def _parse_json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def load_providers_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read and validate a providers file in the registry's JSON format."""
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read providers file {source}: {reason}") from exc
    return validate_entries(_parse_json(text, f"providers file {source}"), source=source)


# ------------------------------------------------------------------ the registry


def _endpoint(raw: Mapping[str, Any]) -> Endpoint:
    schemes = tuple(raw.get("schemes", ()))
    return Endpoint(
        url=raw["url"],
        schemes=schemes,
        regexes=tuple(scheme_to_regex(s) for s in schemes),
        discovery=bool(raw.get("discovery", False)),
        trusted=raw.get("trusted", True) is not False,
        token_env=raw.get("token_env"),
        token_url=raw.get("token_url"),
    )


def _provider(raw: Mapping[str, Any]) -> Provider:
    name = raw["provider_name"]
    platform = _platforms.get(raw.get("platform")) or _platforms.for_provider_name(name)
    return Provider(
        name=name,
        url=raw.get("provider_url", ""),
        endpoints=tuple(_endpoint(e) for e in raw["endpoints"]),
        platform=platform.id if platform else None,
    )


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


class ProviderRegistry:
    """Providers indexed by host. Build with :meth:`default` or :meth:`from_entries`."""

    def __init__(self, providers: Iterable[Provider]) -> None:
        self._providers: dict[str, Provider] = {}
        for provider in providers:
            self._providers.setdefault(provider.name, provider)
        self._by_platform: dict[str, Provider] = {}
        for provider in self._providers.values():
            if provider.platform is not None:
                self._by_platform.setdefault(provider.platform, provider)
        self._by_host: dict[str, list[_Candidate]] = {}
        self._by_suffix: dict[str, list[_Candidate]] = {}
        self._odd: list[_Candidate] = []
        self._odd_http = False  # an odd scheme that an http(s) URL could match
        order = 0
        for provider in self._providers.values():
            for endpoint in provider.endpoints:
                seen: set[str] = set()
                for scheme, regex in zip(endpoint.schemes, endpoint.regexes, strict=True):
                    if regex in seen:  # the http:// and https:// twins compile alike
                        continue
                    seen.add(regex)
                    candidate = _Candidate(order, Match(provider, endpoint), _compile(regex))
                    order += 1
                    key = _index_key(scheme)
                    if key is None:
                        self._odd.append(candidate)
                        self._odd_http = self._odd_http or _may_match_http(scheme)
                    else:
                        index = self._by_host if key[0] == "host" else self._by_suffix
                        index.setdefault(key[1], []).append(candidate)
        # Every host (or parent domain) a provider or a platform may serve: a URL whose
        # host and parent domains are all outside it can match nothing but a fediverse
        # path shape. One set, so that the common case costs a few lookups.
        self._known_hosts = frozenset(
            {*self._by_host, *self._by_suffix, *_platforms.routed_domains()}
        )
        # Hosts repeat (a page holds many posts of a few networks): remember the
        # candidate list of the hosts seen lately.
        self._cached_candidates = functools.lru_cache(maxsize=1024)(self._host_candidates)

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping[str, Any]]) -> ProviderRegistry:
        """Build a registry from registry-format entries (first of a name wins)."""
        checked = validate_entries(list(entries), source="provider entries")
        return cls(_provider(entry) for entry in _merge([checked]))

    @classmethod
    def default(
        cls,
        extra: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] = os.environ,
    ) -> ProviderRegistry:
        """The bundled (or updated) registry + built-in corrections + a user file.

        ``extra`` (else ``EMBEDKIT_PROVIDERS``) names a providers file whose
        entries replace same-named providers and add new ones.
        """
        user_file = extra if extra is not None else (env.get("EMBEDKIT_PROVIDERS") or None)
        user = load_providers_file(user_file) if user_file else []
        layers = [user, list(_builtin_entries()), list(_snapshot_entries())]
        return cls(_provider(entry) for entry in _merge(layers))

    # -- lookups -------------------------------------------------------------

    def _candidates(self, url: str) -> tuple[_Candidate, ...]:
        return self._cached_candidates(_host_of(url))

    def _host_candidates(self, host: str) -> tuple[_Candidate, ...]:
        """The candidates filed under a host and its parent domains, in precedence order."""
        found = list(self._by_host.get(host, ()))
        labels = host.split(".")
        for start in range(1, len(labels)):
            found.extend(self._by_suffix.get(".".join(labels[start:]), ()))
        found.extend(self._odd)
        found.sort(key=lambda candidate: candidate.order)
        return tuple(found)

    def candidates(self, url: str) -> list[tuple[Match, str]]:
        """The (match, regex) pairs a URL is tested against, in precedence order.

        Only the schemes filed under the URL's host and its parent domains
        (and the few odd schemes) are candidates; exposed for introspection.
        """
        return [(c.match, c.regex.pattern) for c in self._candidates(url)]

    def match(self, url: str) -> Match | None:
        """The provider endpoint for a canonical URL, or ``None``.

        When no scheme matches, the URL's platform may still name the provider
        (:meth:`platform_match`). Never raises: a URL that is not usable matches
        nothing.
        """
        if len(url) > MAX_REF_LENGTH:
            return None
        for candidate in self._candidates(url):
            if candidate.regex.match(url):
                return candidate.match
        return self.platform_match(url)

    def _match_parsed(self, ref: Ref) -> Match | None:
        """:meth:`match` for a reference already parsed (its URL is canonical)."""
        url = ref.url
        for candidate in self._cached_candidates(_canonical_host(url)):
            if candidate.regex.match(url):
                return candidate.match
        return self._platform_match(ref)

    def match_ref(self, raw: str) -> Match | None:
        """Match a reference as pasted, canonicalizing it only when that can matter.

        Most URLs on a page are ordinary articles on hosts no provider or platform
        knows: for a plain, lowercase ``http(s)`` URL on such a host (and with no
        fediverse path shape), this answers ``None`` after one dictionary lookup per
        host label, without parsing the URL any further. Everything else is parsed
        with :func:`~embedkit.resolve._refs.parse_ref`, which raises
        :class:`~embedkit._errors.InvalidReference` for a reference that is not usable.
        """
        if isinstance(raw, str) and self._surely_nothing(raw):
            return None
        return self._match_parsed(parse_ref(raw))

    def _surely_nothing(self, raw: str) -> bool:
        """Whether ``raw`` is a valid reference that no provider or platform can serve."""
        if len(raw) > MAX_REF_LENGTH or self._odd_http:
            return False
        found = _PLAIN_URL.fullmatch(raw)
        if found is None:
            return False
        host = found.group(1)
        if len(host) > 253 or _FEDIVERSE_HINT.search(raw, found.end(1)):
            return False
        known = self._known_hosts
        dot = -1
        while True:  # the host, then each parent domain
            if host[dot + 1 :] in known:
                return False
            dot = host.find(".", dot + 1)
            if dot < 0:
                return True

    def platform_match(self, url: str) -> Match | None:
        """The provider a URL's platform names when no registry scheme matches, or ``None``.

        - a short link (``vm.tiktok.com/...``, ``redd.it/...``, ``fb.watch/...``): the
          platform's provider, nothing to ask until the link is followed;
        - an item the platform's oEmbed does not serve (a YouTube channel page, a
          Twitch video, clip or channel): nothing to ask; its player or a card shows it;
        - a Mastodon post on any instance: that instance's ``/api/oembed``, untrusted;
        - a Pleroma/Akkoma, Misskey or GoToSocial post: found from the post's page
          (oEmbed discovery), untrusted.
        """
        try:
            ref = parse_ref(url)
        except InvalidReference:
            return None
        return self._platform_match(ref)

    def _platform_match(self, ref: Ref) -> Match | None:
        platform = _platforms.get(ref.kind)
        if platform is None:
            return None
        if ref.needs_redirect or ref.no_oembed:
            return self._platform_provider(platform, _nothing_to_ask())
        if platform.id == "mastodon":
            return self._platform_provider(platform, _mastodon_endpoint(ref))
        if platform.any_host:
            return self._platform_provider(platform, _discover_from_page())
        return None

    def _platform_provider(self, platform: _platforms.Platform, endpoint: Endpoint) -> Match:
        known = self._by_platform.get(platform.id)
        name = known.name if known is not None else platform.provider
        home = known.url if known is not None else ""
        return Match(Provider(name, home, (endpoint,), platform.id), endpoint)

    def get(self, name: str) -> Provider | None:
        """The provider with this exact name, if any."""
        return self._providers.get(name)

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    def __repr__(self) -> str:
        return f"ProviderRegistry({len(self)} providers)"


def _merge(layers: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Entries of all layers, highest precedence first; a name (or ``replaces``) shadows."""
    merged: list[dict[str, Any]] = []
    taken: set[str] = set()
    for layer in layers:
        shadowed = set(taken)
        for entry in layer:
            name = entry["provider_name"]
            if name in shadowed:
                continue
            merged.append(entry)
            taken.add(name)
            taken.update(entry.get("replaces", ()))
            shadowed.add(name)
    return merged


def _canonical_host(url: str) -> str:
    """The host of a canonical URL (as parse_ref writes them: no userinfo, lowercase)."""
    netloc = url.split("/", 3)[2] if url.count("/") >= 2 else ""
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")]
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc


#: A URL that parse_ref surely accepts as it is: lowercase http(s) host, no port, no
#: userinfo, printable ASCII. Anything else takes the full parse.
_PLAIN_URL = re.compile(
    r"https?://((?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?=[/?#]|$)[!-~]*"
)
#: Path shapes that name a fediverse post on any host (Mastodon, GoToSocial, Pleroma,
#: Misskey): a URL holding one is always parsed.
_FEDIVERSE_HINT = re.compile(r"/@|/users/|/notice/|/objects/|/notes/")


def _may_match_http(scheme: str) -> bool:
    """Whether a scheme not filed under a host could still match an http(s) URL."""
    lowered = scheme.strip().lower()
    named = re.match(r"[a-z][a-z0-9+.-]*:", lowered)
    return named is None or lowered.startswith(("http:", "https:"))


def _nothing_to_ask() -> Endpoint:
    return Endpoint(url="", schemes=(), regexes=(), trusted=False, method="none")


def _discover_from_page() -> Endpoint:
    return Endpoint(url="", schemes=(), regexes=(), discovery=True, trusted=False,
                    method="discover")  # fmt: skip


def _mastodon_endpoint(ref: Ref) -> Endpoint:
    parts = urlsplit(ref.url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return Endpoint(
        url=f"{origin}/api/oembed",
        schemes=(f"{origin}/@*/*",),
        regexes=(f"^{re.escape(origin)}/@[^/?#]+/[0-9]+$",),
        discovery=True,
        trusted=False,
    )


# ------------------------------------------------------------------ bundled data


def updated_registry_path() -> Path:
    """Where ``embedkit providers update`` stores a newer registry (the user data folder)."""
    import platformdirs

    return platformdirs.user_data_path("embedkit", appauthor=False) / "providers.json"


def _data_text(name: str) -> str:
    return (resources.files("embedkit") / "data" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _builtin_entries() -> tuple[dict[str, Any], ...]:
    source = "embedkit/data/builtin_providers.json"
    return tuple(validate_entries(_parse_json(_data_text("builtin_providers.json"), source),
                                  source=source))  # fmt: skip


def _snapshot_entries() -> tuple[dict[str, Any], ...]:
    updated = updated_registry_path()
    if updated.is_file():
        try:
            return _cached_file_entries(str(updated), updated.stat().st_mtime_ns)
        except ConfigError as exc:
            log.warning("ignoring the updated provider registry: %s", exc)
    return _bundled_entries()


@functools.lru_cache(maxsize=4)
def _cached_file_entries(path: str, mtime_ns: int) -> tuple[dict[str, Any], ...]:
    return tuple(load_providers_file(path))


@functools.lru_cache(maxsize=1)
def _bundled_entries() -> tuple[dict[str, Any], ...]:
    source = "embedkit/data/providers.json"
    return tuple(validate_entries(_parse_json(_data_text("providers.json"), source),
                                  source=source))  # fmt: skip
