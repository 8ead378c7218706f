"""The values that flow through the resolver: references, oEmbed data, embeds.

An :class:`Embed` is immutable all the way down, so the resolver can hand the same
one to every caller that asks for the same post: its ``data`` is a
:class:`ReadOnlyDict` whose nested objects and arrays are read-only too
(:func:`read_only`). They are still a ``dict`` and ``list`` to ``json.dumps``,
``isinstance`` and ``dataclasses.asdict``; ``dict(embed.data)`` is a copy to change.

>>> data = read_only({"title": "Hi", "sizes": [1, 2]})
>>> data["title"] = "changed"
Traceback (most recent call last):
  ...
TypeError: an embed's data is read-only: copy it with dict(...) to change it
>>> import json; json.dumps(data)
'{"title": "Hi", "sizes": [1, 2]}'
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

__all__ = [
    "DeferredFallback",
    "Embed",
    "EmbedKind",
    "EmbedStatus",
    "ReadOnlyDict",
    "ReadOnlyList",
    "Ref",
    "bare_link",
    "defer_fallback",
    "fallback_length",
    "read_only",
]

_READ_ONLY = "an embed's data is read-only: copy it with dict(...) to change it"


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError(_READ_ONLY)


class ReadOnlyDict(dict[str, Any]):
    """A ``dict`` that refuses every change (see the module docs).

    It pickles and copies as itself; ``dict(...)`` and ``.copy()`` give a plain,
    changeable ``dict``.
    """

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return dict.__repr__(self)


class ReadOnlyList(list[Any]):
    """A ``list`` that refuses every change; ``list(...)`` gives a changeable copy."""

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse
    append = _refuse
    clear = _refuse
    extend = _refuse
    insert = _refuse
    pop = _refuse
    remove = _refuse
    reverse = _refuse
    sort = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))

    def __repr__(self) -> str:
        return list.__repr__(self)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return ReadOnlyDict({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return ReadOnlyList([_frozen(item) for item in value])
    return value


def read_only(data: Mapping[str, Any]) -> ReadOnlyDict:
    """A read-only deep copy of JSON-like ``data`` (objects, arrays and scalars).

    Nested dicts become :class:`ReadOnlyDict`, lists and tuples :class:`ReadOnlyList`;
    the nesting depth is the caller's to bound (cache entries are at most 8 deep).
    """
    return ReadOnlyDict({key: _frozen(item) for key, item in data.items()})


EmbedStatus = Literal["fresh", "cached", "stale", "gone", "fallback"]
#: What an embed's markup is made from: the provider's answer (or the post's static
#: fallback), or a link card built from the page's own metadata.
EmbedKind = Literal["embed", "card"]


@dataclass(frozen=True, slots=True)
class Ref:
    """A parsed, canonicalized post reference.

    ``raw`` is what the author pasted; ``url`` is the canonical URL that the cache
    keys on (one post, one URL, however it was pasted). ``kind`` is the id of the
    platform recognised from the URL (``"x"``, ``"youtube"``, ``"bluesky"``,
    ``"mastodon"``, ``"instagram"``, ``"tiktok"``, ``"threads"``, ``"vimeo"``,
    ``"facebook"``, ``"reddit"``, ``"spotify"``, ``"soundcloud"``, ``"flickr"``,
    ``"dailymotion"``, ``"twitch"``, ``"pleroma"``, ``"misskey"``, ``"gotosocial"``;
    see :mod:`embedkit._platforms`) or ``None`` for any other URL. ``post_id`` and
    ``handle`` are what the URL alone says about the post (the handle as written in
    the URL, which on some platforms anyone can change). ``needs_redirect`` marks
    short links (TikTok ``vm.``/``vt.``, ``redd.it``) whose target is only known
    after following a redirect. ``no_oembed`` marks a recognised item that the
    platform's oEmbed endpoint does not serve (a YouTube channel page, anything on
    Twitch): no endpoint is asked; the platform's player or a static card shows it.
    """

    raw: str
    url: str
    kind: str | None = None
    post_id: str | None = None
    handle: str | None = None
    needs_redirect: bool = False
    no_oembed: bool = False


def bare_link(url: str) -> str:
    """The markup shown when even the templates failed: a figure with a plain link.

    >>> bare_link("https://x.com/a?b=1&c=2")
    '<figure class="embedkit embedkit-fallback"><a href="https://x.com/a?b=1&amp;c=2" \
rel="noopener nofollow">https://x.com/a?b=1&amp;c=2</a></figure>'
    """
    link = html_lib.escape(url, quote=True)
    return (
        f'<figure class="embedkit embedkit-fallback"><a href="{link}" '
        f'rel="noopener nofollow">{link}</a></figure>'
    )


class DeferredFallback:
    """The base of :class:`Embed` and ``Presented``: a ``fallback_html`` rendered when read.

    Most embeds are shown live and their static fallback is never read, while
    rendering it (reading the post's text out of the provider's markup, two
    templates) costs about as much as sanitizing the embed. :func:`defer_fallback`
    makes an instance whose ``fallback_html`` is rendered on first read, once; it
    is then an ordinary attribute. Equality, ``repr``, pickling, ``copy`` and
    ``dataclasses.replace``/``asdict`` read it like any field, so they see the
    rendered text.
    """

    __slots__ = ("_render_fallback",)

    if not TYPE_CHECKING:  # to type checkers, fallback_html is the plain str field

        def __getattr__(self, name: str) -> str:
            if name == "fallback_html":
                try:
                    render = object.__getattribute__(self, "_render_fallback")
                except AttributeError:
                    render = None
                if render is not None:
                    value = render()
                    object.__setattr__(self, "fallback_html", value)
                    object.__setattr__(self, "_render_fallback", None)  # let its sources go
                    return value
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


_Deferring = TypeVar("_Deferring", bound=DeferredFallback)


def defer_fallback(made: _Deferring, render: Callable[[], str]) -> _Deferring:
    """``made``, its ``fallback_html`` replaced by ``render()`` on first read.

    ``render`` must not raise: a reader of an attribute does not expect an error.
    """
    object.__delattr__(made, "fallback_html")
    object.__setattr__(made, "_render_fallback", render)
    return made


def fallback_length(made: DeferredFallback, estimate: int) -> int:
    """The length of ``made.fallback_html`` if it was rendered, else ``estimate``."""
    try:
        return len(object.__getattribute__(made, "fallback_html"))
    except AttributeError:
        return estimate


@dataclass(frozen=True, slots=True)
class Embed(DeferredFallback):
    """The result of resolving one reference. Never an exception for provider trouble.

    ``status``: ``fresh`` (fetched now), ``cached`` (served from a fresh cache
    entry), ``stale`` (expired entry served because the refresh failed), ``gone``
    (the provider says the post was deleted), ``fallback`` (no oEmbed data at all).
    ``html`` is the markup to insert; ``fallback_html`` is the static fallback,
    available for every embed (an embed from a :class:`~embedkit.Resolver` renders
    it when it is first read, see :class:`DeferredFallback`). ``scripts`` are the
    allow-listed provider scripts a page must load once for ``html`` to come alive.
    ``data`` is the provider's answer (or the last snapshot); embeds from a
    :class:`~embedkit.Resolver` carry it read-only (:class:`ReadOnlyDict`), because the
    same embed is handed to every caller that asks for the same post while its cache
    entry is unchanged.

    ``kind`` is ``"card"`` when ``html`` is a link card built from the page's own
    metadata (an article URL no provider or discovery embeds, a YouTube channel page,
    a WordPress ``wp-embed`` answer; a tombstone of such a card too), else ``"embed"``.
    A card's ``provider`` is the site name the page declares (``og:site_name``...), or
    the matched platform's provider, or ``None``; its ``data`` holds the card's fields
    (``title``, ``description``, ``site_name``, ``thumbnail_url``, ``published``...).
    """

    ref: str
    url: str
    status: EmbedStatus
    provider: str | None
    html: str
    data: Mapping[str, Any] = field(default_factory=dict)
    fetched_at: float | None = None
    expires_at: float | None = None
    error: str | None = None
    scripts: tuple[str, ...] = ()
    fallback_html: str = ""
    kind: EmbedKind = "embed"

    def __html__(self) -> str:
        """Let Jinja2 and MarkupSafe insert an embed without escaping it."""
        return self.html
