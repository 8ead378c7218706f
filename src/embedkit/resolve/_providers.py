"""The oEmbed provider registry, matched by host.

Providers come from three layers, later layers replacing earlier ones by
``provider_name``:

1. the oembed.com registry snapshot bundled as ``data/providers.json`` (MIT,
   see ``data/LICENSE.providers.txt``), or the newer copy that
   ``embedkit providers update`` (:func:`update_registry`) stored in the user
   data folder;
2. embedkit's corrections, ``data/builtin_providers.json`` (X on both hosts,
   YouTube's missing URL forms, Bluesky, Threads, TikTok, and Meta's Instagram
   and Facebook endpoints with an optional app token);
3. a user file (the ``extra`` argument, else ``EMBEDKIT_PROVIDERS``).

All three use the registry's JSON format. Endpoints may carry extra keys:
``token_env`` and ``token_url`` (use ``token_url`` with ``access_token`` from
that environment variable when it is set), and a provider may carry ``family``
(a :class:`~embedkit._models.Ref` kind) and ``replaces`` (other provider names
it supersedes).

Matching never scans every scheme. Each registry glob (``https://*.flickr.com/*``)
is compiled to an anchored regex, and filed under the host it names exactly,
or under the domain after its leading ``*.`` labels; a URL only meets the
candidates filed under its own host and that host's parent domains (plus the
rare scheme whose wildcard sits elsewhere). A post on a Mastodon instance that
no provider lists gets a synthesised endpoint, ``https://{host}/api/oembed``,
marked ``trusted=False`` because the author chose that host.

>>> registry = ProviderRegistry.default()
>>> registry.match("https://x.com/reuters/status/1636227126391214081").provider.name
'Twitter'
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from embedkit._errors import ConfigError, InvalidReference
from embedkit.net._redaction import get_logger

if TYPE_CHECKING:
    from embedkit.net._http import HttpClient

__all__ = [
    "Endpoint",
    "Match",
    "Provider",
    "ProviderRegistry",
    "load_providers_file",
    "scheme_to_regex",
    "update_registry",
    "updated_registry_path",
    "validate_entries",
]

log = get_logger(__name__)

#: Ref kinds of the providers that :mod:`embedkit.resolve._refs` recognises, by provider name.
FAMILIES: Mapping[str, str] = {
    "Twitter": "x",
    "X": "x",
    "YouTube": "youtube",
    "Instagram": "instagram",
    "Bluesky": "bluesky",
    "Bluesky Social": "bluesky",
    "Mastodon": "mastodon",
    "TikTok": "tiktok",
    "Threads": "threads",
    "Vimeo": "vimeo",
    "Facebook": "facebook",
    "Reddit": "reddit",
    "Spotify": "spotify",
    "SoundCloud": "soundcloud",
    "Flickr": "flickr",
}

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
    ``False`` for endpoints synthesised from an author's URL. When
    ``token_env`` names a set environment variable, :meth:`request_target`
    switches to ``token_url`` with an ``access_token`` parameter.
    """

    url: str
    schemes: tuple[str, ...]
    regexes: tuple[str, ...]
    discovery: bool = False
    trusted: bool = True
    token_env: str | None = None
    token_url: str | None = None

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
    """A named oEmbed provider; ``family`` is the Ref kind it serves, if any."""

    name: str
    url: str
    endpoints: tuple[Endpoint, ...]
    family: str | None = None


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


def scheme_to_regex(scheme: str) -> str:
    """Compile a registry URL scheme (a glob) to an anchored regular expression.

    ``*`` in the host matches whole host labels only (never a ``/``), so
    ``https://*.flickr.com/*`` cannot match ``https://evil.example/x.flickr.com/``
    or ``https://flickr.com.evil.example/``; ``*`` after the host matches
    anything. ``http`` and ``https`` both match either scheme.

    >>> scheme_to_regex("https://*.flickr.com/photos/*")
    '^https?://[a-z0-9_-]+(?:\\\\.[a-z0-9_-]+)*\\\\.flickr\\\\.com/photos/.*$'
    """
    found = _HIERARCHICAL.match(scheme.strip())
    if not found:
        return "^" + _glob(scheme.strip(), ".*") + "$"
    proto, host, rest = found.groups()
    proto = proto.lower()
    proto_re = "https?" if proto in ("http", "https") else re.escape(proto)
    host_re = _glob(host.lower(), _HOST_WILDCARD)
    rest_re = _glob(rest, ".*") if rest else "/?"
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
        family, replaces = raw.get("family"), raw.get("replaces", [])
        if family is not None and not isinstance(family, str):
            raise _fail(source, where, "'family' must be a string")
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
        token_env=raw.get("token_env"),
        token_url=raw.get("token_url"),
    )


def _provider(raw: Mapping[str, Any]) -> Provider:
    name = raw["provider_name"]
    return Provider(
        name=name,
        url=raw.get("provider_url", ""),
        endpoints=tuple(_endpoint(e) for e in raw["endpoints"]),
        family=raw.get("family") or FAMILIES.get(name),
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
        self._by_host: dict[str, list[_Candidate]] = {}
        self._by_suffix: dict[str, list[_Candidate]] = {}
        self._odd: list[_Candidate] = []
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
                    else:
                        index = self._by_host if key[0] == "host" else self._by_suffix
                        index.setdefault(key[1], []).append(candidate)

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

    def _candidates(self, url: str) -> list[_Candidate]:
        host = _host_of(url)
        found = list(self._by_host.get(host, ()))
        labels = host.split(".")
        for start in range(1, len(labels)):
            found.extend(self._by_suffix.get(".".join(labels[start:]), ()))
        found.extend(self._odd)
        found.sort(key=lambda candidate: candidate.order)
        return found

    def candidates(self, url: str) -> list[tuple[Match, str]]:
        """The (match, regex) pairs a URL is tested against, in precedence order.

        Only the schemes filed under the URL's host and its parent domains
        (and the few odd schemes) are candidates; exposed for introspection.
        """
        return [(c.match, c.regex.pattern) for c in self._candidates(url)]

    def match(self, url: str) -> Match | None:
        """The provider endpoint for a canonical URL, or ``None``.

        A kind-``"mastodon"`` URL on a host no provider lists gets the instance's
        own ``/api/oembed`` endpoint, untrusted (the author picked the host).
        """
        for candidate in self._candidates(url):
            if candidate.regex.match(url):
                return candidate.match
        return _mastodon_match(url)

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


def _mastodon_match(url: str) -> Match | None:
    from embedkit.resolve._refs import parse_ref

    try:
        ref = parse_ref(url)
    except InvalidReference:
        return None
    if ref.kind != "mastodon":
        return None
    parts = urlsplit(ref.url)
    origin = f"{parts.scheme}://{parts.netloc}"
    scheme = f"{origin}/@*/*"
    endpoint = Endpoint(
        url=f"{origin}/api/oembed",
        schemes=(scheme,),
        regexes=(f"^{re.escape(origin)}/@[^/?#]+/[0-9]+$",),
        discovery=True,
        trusted=False,
    )
    provider = Provider(name="Mastodon", url=f"{origin}/", endpoints=(endpoint,), family="mastodon")
    return Match(provider, endpoint)


# ------------------------------------------------------------------ bundled data


def updated_registry_path() -> Path:
    """Where :func:`update_registry` stores a newer registry (the user data folder)."""
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


# ------------------------------------------------------------------ updates


def update_registry(
    source: str,
    *,
    http: HttpClient | None = None,
    dest: Path | None = None,
) -> int:
    """Replace the stored provider registry with ``source`` (a file path or a URL).

    The new registry is read and validated first; only a valid one replaces
    ``dest`` (default: :func:`updated_registry_path`), atomically, so a failed
    update leaves the previous registry in place. Returns the provider count.
    """
    if source.startswith(("http://", "https://")):
        text = _download(source, http)
        entries = validate_entries(_parse_json(text, source), source=source)
    else:
        entries = load_providers_file(source)
    if not entries:
        raise ConfigError(f"{source}: the registry lists no providers")
    target = Path(dest) if dest is not None else updated_registry_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".providers-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entries, out, ensure_ascii=False, indent=1)
                out.write("\n")
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write the provider registry to {target}: {exc}") from exc
    return len(entries)


def _download(url: str, http: HttpClient | None) -> str:
    from embedkit.net._http import HttpClient, raise_for_status

    client = http if http is not None else HttpClient()
    try:
        response = client.get(url, trusted=False)
        raise_for_status(response)
    finally:
        if http is None:
            client.close()
    try:
        return bytes(response.content).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{url}: the registry is not UTF-8 text") from exc
