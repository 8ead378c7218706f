"""Turn what the resolver knows about a post into the HTML a page shows.

:func:`present` is the single entry point: given the status of an embed, its
oEmbed data, the last good snapshot and (for X) an API snapshot, it returns the
markup to insert, the static fallback, and the provider scripts the markup needs.

========  ================================================================
status    ``html``
========  ================================================================
fresh     the sanitized provider HTML in an ``embed.html`` figure
cached    same, from the cache
stale     same, from the expired cache entry (it is still the post)
gone      ``tombstone.html``: "This post is no longer available on X"
fallback  ``fallback/{post,video,photo,link}.html`` from the best source
========  ================================================================

Data that is a link card's fields (an article page's own metadata, marked
``embedkit-card/1``) is shown by :mod:`embedkit.present._card` instead: the card in
every live status, its tombstone when gone, never a script.

The *matched* platform (``platform``, from the provider registry) chooses the
sanitizer policy; a discovered answer or an unknown provider gets the strict default
policy, whatever name the answer gives itself. A platform without oEmbed (Twitch)
shows the player its record builds from the URL.

With ``consent=True`` an embed becomes ``consent.html``: the fallback, a "Load post
from X" button and the real embed inside an inert ``<template>``; the scripts move
into the figure's ``data-embedkit-scripts`` attribute (a JSON list) and
:attr:`Presented.scripts` is empty, so the page loads nothing third-party before the
click. The button needs only the URL and the platform: with nothing cached, the
template holds the embed markup the platform documents for that URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from embedkit import _platforms
from embedkit._models import DeferredFallback, EmbedKind, Ref, bare_link, defer_fallback
from embedkit._platforms import Platform, PlatformSettings
from embedkit._redaction import get_logger
from embedkit._values import positive_int
from embedkit.present._blockquotes import from_oembed_tree
from embedkit.present._card import is_card, present_card
from embedkit.present._dom import Document, read
from embedkit.present._sanitize import Sanitized, sanitize, sanitize_read
from embedkit.present._snapshot import (
    SNAPSHOT_FORMAT,
    PostSnapshot,
    layout_of,
    merge,
    snapshot_from_dict,
)
from embedkit.present._urlfacts import from_url

__all__ = ["Presented", "aspect_ratio", "display_name", "present"]

log = get_logger(__name__)

_NOUNS = {"post": "post", "video": "video", "photo": "photo", "link": "content"}
_LIVE = frozenset({"fresh", "cached", "stale"})
_DEFAULT_SETTINGS = PlatformSettings()


@dataclass(frozen=True, slots=True)
class Presented(DeferredFallback):
    """The markup for one embed: ``html`` to insert, the static ``fallback_html``,
    and the allow-listed ``scripts`` a page must load once for ``html`` to work.

    A live embed's ``fallback_html`` is rendered when it is first read
    (:class:`~embedkit._models.DeferredFallback`); a template that fails then gives
    a plain link to the post, never an exception.
    """

    html: str
    fallback_html: str
    scripts: tuple[str, ...]
    #: ``"card"`` for a link card (or its tombstone), else ``"embed"``.
    kind: EmbedKind = "embed"


def display_name(platform: str | None, provider: str | None = None, url: str | None = None) -> str:
    """The name a reader knows: ``X`` for the ``x`` platform, ``Mastodon`` for any instance.

    Without a platform: the provider's own name, then the URL's host, then ``"the web"``.

    >>> display_name("x", "Twitter"), display_name(None, "WordPress.tv")
    ('X', 'WordPress.tv')
    """
    record = _platforms.get(platform)
    if record is not None:
        return record.name
    if provider:
        return provider
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else "the web"


def _slug(record: Platform | None, provider: str | None) -> str:
    if record is not None:
        return record.id
    slug = re.sub(r"[^a-z0-9]+", "-", (provider or "").lower()).strip("-")
    return slug[:40] or "unknown"


def aspect_ratio(data: Mapping[str, Any], layout: str) -> str | None:
    """The CSS ``aspect-ratio`` for a video's iframe wrapper, or None for rich posts.

    Numeric width and height give their ratio; percentages or missing sizes give
    16 / 9 for videos. Rich embeds (posts, players with a fixed height) get none.
    """
    if layout != "video" and data.get("type") != "video":
        return None
    width, height = positive_int(data.get("width")), positive_int(data.get("height"))
    if width and height:
        return f"{width} / {height}"
    return "16 / 9"


def _own_hosts(ref: Ref, record: Platform | None) -> tuple[str, ...]:
    """Hosts that belong to the provider beyond its record: the host of its own URL.

    A fediverse server's iframes come from the server itself; an unknown provider's
    from its own site. A platform with a record lists its iframe hosts there.
    """
    host = (urlsplit(ref.url).hostname or "").lower()
    if not host:
        return ()
    if record is not None and record.any_host:
        return (host,)
    if record is None:
        base = host.removeprefix("www.")
        return (host, base, f"*.{base}")
    return ()


def _trusted_scripts(
    ref: Ref, record: Platform | None, settings: PlatformSettings
) -> tuple[str, ...]:
    """An instance's own ``embed.js``, only when the publisher trusts that instance."""
    if record is None or not record.instance_scripts:
        return ()
    parts = urlsplit(ref.url)
    host = (parts.netloc or "").lower()
    if parts.scheme == "https" and host in settings.trusted_mastodon_instances:
        return (f"https://{host}/embed.js",)
    return ()


def _best_snapshot(
    ref: Ref,
    provider: str | None,
    platform: str | None,
    data: Mapping[str, Any] | None,
    snapshot: Mapping[str, Any] | None,
    extra: PostSnapshot | None,
    read_from: tuple[Mapping[str, Any], Document] | None,
) -> PostSnapshot:
    """The best snapshot there is, its gaps filled from the weaker sources.

    ``read_from``: an answer whose ``html`` is already read, and that read.
    """
    sources: list[PostSnapshot | None] = []
    # For a fresh entry the data *is* the snapshot: parse the blockquote once.
    candidates = (
        (data,)
        if snapshot is None or snapshot is data or snapshot == data
        else (
            data,
            snapshot,
        )
    )
    for candidate in candidates:
        if not candidate:
            continue
        if candidate.get("format") == SNAPSHOT_FORMAT:
            sources.append(snapshot_from_dict(candidate))
        else:
            tree = read_from[1].root if read_from and candidate is read_from[0] else None
            sources.append(from_oembed_tree(candidate, ref, provider, platform=platform, tree=tree))
    sources.append(extra)
    sources.append(from_url(ref, provider))
    present_sources = [s for s in sources if s is not None]
    return merge(present_sources[0], *present_sources[1:])


class _Fallback:
    """The static fallback of one embed, each part made once, when first needed."""

    def __init__(
        self,
        env: jinja2.Environment,
        *,
        ref: Ref,
        provider: str | None,
        platform: str | None,
        sources: tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, PostSnapshot | None],
        read_from: tuple[Mapping[str, Any], Document] | None,
        name: str,
        layout: str,
        show_thumbnail: bool,
        figure: jinja2.Template,
        figure_ctx: dict[str, Any],
    ) -> None:
        self._env = env
        self._ref = ref
        self._provider = provider
        self._platform = platform
        self._sources = sources
        self._read_from = read_from
        self._name = name
        self._layout = layout
        self._show_thumbnail = show_thumbnail
        self._figure = figure
        self._figure_ctx = figure_ctx
        self.noun = _NOUNS.get(layout, "post")
        self._snap: PostSnapshot | None = None
        self._body: Markup | None = None
        self._html: str | None = None

    def snap(self) -> PostSnapshot:
        if self._snap is None:
            data, snapshot, extra = self._sources
            read_from, self._read_from = self._read_from, None  # the tree is needed once
            self._snap = _best_snapshot(
                self._ref, self._provider, self._platform, data, snapshot, extra, read_from
            )
        return self._snap

    def common(self) -> dict[str, Any]:
        return {
            "snap": self.snap(),
            "url": self._ref.url,
            "provider_name": self._name,
            "noun": self.noun,
            "show_thumbnail": self._show_thumbnail,
        }

    def body(self) -> Markup:
        if self._body is None:
            template = self._env.get_template(f"fallback/{self._layout}.html")
            self._body = Markup(template.render(**self.common()))
        return self._body

    def html(self) -> str:
        if self._html is None:
            self._html = self._figure.render(**self._figure_ctx, mode="fallback", body=self.body())
        return self._html

    def later(self) -> Callable[[], str]:
        """:meth:`html` for a deferred read: it keeps no parsed tree, and never raises."""
        self._read_from = None  # the markup is read again if the fallback is ever needed
        return self._html_or_bare

    def _html_or_bare(self) -> str:
        try:
            return self.html()
        except Exception as exc:
            log.warning(
                "could not render the fallback of %s (%s: %s); showing a plain link",
                self._ref.url,
                type(exc).__name__,
                exc,
            )
            return bare_link(self._ref.url)


def _wrap(cleaned: Sanitized, ratio: str | None) -> Markup:
    if ratio is not None and "<iframe" in cleaned.html:
        return Markup('<div class="embedkit__ratio" style="aspect-ratio: {};">{}</div>').format(
            ratio, Markup(cleaned.html)
        )
    return Markup(cleaned.html)


def present(
    env: jinja2.Environment,
    *,
    ref: Ref,
    provider: str | None,
    platform: str | None,
    status: str,
    data: Mapping[str, Any] | None,
    snapshot: Mapping[str, Any] | None,
    extra_snapshot: PostSnapshot | None = None,
    consent: bool = False,
    show_deleted_text: bool = False,
    settings: PlatformSettings = _DEFAULT_SETTINGS,
    nonce: str | None = None,
) -> Presented:
    """Render one embed (see the module docstring for what each status shows).

    ``provider`` is the provider's name (``Embed.provider``: ``"Twitter"``);
    ``platform`` is the id of the *matched* provider's platform record (``"x"``), or
    ``None`` for a discovered or unknown provider: it alone chooses the sanitizer
    policy and the scripts. The platform the URL belongs to (``ref.kind``) still
    names the network readers see and the facts the URL shows. ``settings`` are the
    publisher's additions (trusted Mastodon instances, the Twitch parent host).
    ``nonce`` is accepted for symmetry with page rendering; the markup made here has
    no inline script or style element that would need one.
    """
    del nonce  # nothing here needs a CSP nonce: no inline <script> or <style>
    matched = _platforms.get(platform)
    shown = matched or _platforms.get(ref.kind)
    source = data if data else snapshot
    if source is not None and is_card(source):  # a link card from the page's metadata
        site = display_name(shown.id if shown else None, None, ref.url)
        html = present_card(
            env,
            url=ref.url,
            card=source,
            status=status,
            consent=consent,
            show_deleted_text=show_deleted_text,
            figure={"provider_slug": _slug(shown, provider), "provider_name": provider or site},
            site=site,
        )
        return Presented(html=html, fallback_html=html, scripts=(), kind="card")
    oembed_type = source.get("type") if source and isinstance(source.get("type"), str) else None
    layout = layout_of(shown.id if shown else None, oembed_type)
    if ref.no_oembed and shown is not None and shown.oembed:
        layout = "link"  # a page the platform does not embed (a YouTube channel): a card
    live_data = data
    if not live_data and snapshot and snapshot.get("format") != SNAPSHOT_FORMAT:
        live_data = snapshot  # a stale entry may carry only its last good snapshot
    # The provider's markup is read once: for the sanitizer and for the fallback.
    raw = live_data.get("html") if live_data else None
    document = read(raw) if isinstance(raw, str) else None
    name = display_name(shown.id if shown else None, provider, ref.url)
    figure = env.get_template("embed.html")
    figure_ctx = {
        "provider_slug": _slug(shown, provider),
        "provider_name": provider or name,
        "status": status,
        "url": ref.url,
        "consent_scripts": None,
    }
    fallback = _Fallback(
        env,
        ref=ref,
        provider=provider,
        platform=platform,
        sources=(data, snapshot, extra_snapshot),
        read_from=(live_data, document) if live_data and document is not None else None,
        name=name,
        layout=layout,
        show_thumbnail=not consent,
        figure=figure,
        figure_ctx=figure_ctx,
    )

    if status == "gone":
        body = Markup(
            env.get_template("tombstone.html").render(
                **fallback.common(), show_deleted_text=show_deleted_text
            )
        )
        html = figure.render(**figure_ctx, mode="tombstone", body=body)
        return Presented(html=html, fallback_html=fallback.html(), scripts=())

    live: Markup | None = None
    scripts: tuple[str, ...] = ()
    policy = matched.id if matched else None
    trusted = _trusted_scripts(ref, matched, settings)
    if status in _LIVE and live_data and isinstance(raw, str):
        ratio = aspect_ratio(live_data, layout)
        title = live_data.get("title") if isinstance(live_data.get("title"), str) else None
        cleaned = sanitize_read(
            raw,
            document,
            policy,
            extra_scripts=trusted,
            extra_iframe_hosts=_own_hosts(ref, matched),
            iframe_title=(title or name)[:300],
            fill_iframes=ratio is not None,
        )
        if cleaned.html:
            scripts = cleaned.scripts
            live = _wrap(cleaned, ratio)
    elif matched is not None and (not matched.oembed or consent):
        # No answer to show: the embed the platform documents for this URL (Twitch
        # always; the others behind a consent button, which needs nothing cached).
        markup = _platforms.url_embed(matched, ref, settings)
        if markup:
            ratio = "16 / 9" if layout == "video" else None
            cleaned = sanitize(markup, policy, extra_scripts=trusted, fill_iframes=bool(ratio))
            if cleaned.html:
                scripts = cleaned.scripts
                live = _wrap(cleaned, ratio)

    if live is None and status in _LIVE and layout == "photo" and fallback.snap().thumbnail_url:
        # a photo without provider HTML: the picture itself is the embed
        live = Markup(
            env.get_template("fallback/photo.html").render(
                **{**fallback.common(), "show_thumbnail": True}
            )
        )
    if live is None:
        html = fallback.html()
        return Presented(html=html, fallback_html=html, scripts=())
    if consent:
        body = Markup(
            env.get_template("consent.html").render(
                fallback=fallback.body(), live=live, provider_name=name, noun=fallback.noun
            )
        )
        html = figure.render(
            **{**figure_ctx, "consent_scripts": list(scripts)}, mode="consent", body=body
        )
        return Presented(html=html, fallback_html=fallback.html(), scripts=())
    html = figure.render(**figure_ctx, mode="embed", body=live)
    # A live embed's fallback is rendered only if someone reads it.
    return defer_fallback(Presented(html=html, fallback_html="", scripts=scripts), fallback.later())
