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

With ``consent=True`` a live embed becomes ``consent.html``: the fallback, a
"Load post from X" button and the real embed inside an inert ``<template>``; the
scripts move into the figure's ``data-embedkit-scripts`` attribute (a JSON list)
and :attr:`Presented.scripts` is empty, so the page loads nothing third-party
before the click.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from embedkit._models import Ref
from embedkit.present._fallback import (
    SNAPSHOT_FORMAT,
    PostSnapshot,
    display_name,
    from_oembed,
    from_url,
    merge,
    snapshot_from_dict,
    template_family,
)
from embedkit.present._sanitize import provider_key, sanitize

__all__ = ["Presented", "present"]

_NOUNS = {"post": "post", "video": "video", "photo": "photo", "link": "content"}
_LIVE = frozenset({"fresh", "cached", "stale"})


@dataclass(frozen=True)
class Presented:
    """The markup for one embed: ``html`` to insert, the static ``fallback_html``,
    and the allow-listed ``scripts`` a page must load once for ``html`` to work."""

    html: str
    fallback_html: str
    scripts: tuple[str, ...]


def _slug(provider: str | None, kind: str | None) -> str:
    key = provider_key(kind) or provider_key(provider)
    if key:
        return key
    slug = re.sub(r"[^a-z0-9]+", "-", (provider or "").lower()).strip("-")
    return slug or "unknown"


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value.strip()) > 0:
        return int(value.strip())
    return None


def aspect_ratio(data: Mapping[str, Any], family: str) -> str | None:
    """The CSS ``aspect-ratio`` for a video's iframe wrapper, or None for rich posts.

    Numeric width and height give their ratio; percentages or missing sizes give
    16 / 9 for videos. Rich embeds (posts, players with a fixed height) get none.
    """
    if family != "video" and data.get("type") != "video":
        return None
    width, height = _positive(data.get("width")), _positive(data.get("height"))
    if width and height:
        return f"{width} / {height}"
    return "16 / 9"


def _own_hosts(ref: Ref, provider: str | None) -> tuple[str, ...]:
    """Hosts that belong to the provider beyond the built-in table: its own URL's."""
    host = (urlsplit(ref.url).hostname or "").lower()
    if not host:
        return ()
    key = provider_key(ref.kind) or provider_key(provider)
    if key == "mastodon":
        return (host,)
    if key is None:
        base = host.removeprefix("www.")
        return (host, base, f"*.{base}")
    return ()


def _best_snapshot(
    ref: Ref,
    provider: str | None,
    data: Mapping[str, Any] | None,
    snapshot: Mapping[str, Any] | None,
    extra: PostSnapshot | None,
) -> PostSnapshot:
    sources: list[PostSnapshot | None] = []
    # For a fresh entry the data *is* the snapshot: parse the blockquote once.
    candidates = (data,) if snapshot is None or snapshot == data else (data, snapshot)
    for candidate in candidates:
        if not candidate:
            continue
        if candidate.get("format") == SNAPSHOT_FORMAT:
            sources.append(snapshot_from_dict(candidate))
        else:
            sources.append(from_oembed(candidate, ref, provider))
    sources.append(extra)
    sources.append(from_url(ref, provider))
    present_sources = [s for s in sources if s is not None]
    return merge(present_sources[0], *present_sources[1:])


def present(
    env: jinja2.Environment,
    *,
    ref: Ref,
    provider: str | None,
    family: str | None,
    status: str,
    data: Mapping[str, Any] | None,
    snapshot: Mapping[str, Any] | None,
    extra_snapshot: PostSnapshot | None = None,
    consent: bool = False,
    show_deleted_text: bool = False,
    nonce: str | None = None,
) -> Presented:
    """Render one embed (see the module docstring for what each status shows).

    ``family`` may be a fallback family (``post``/``video``/``photo``/``link``) or
    a provider family / reference kind (``"x"``, ``"youtube"``...). ``nonce`` is
    accepted for symmetry with page rendering; the markup made here has no inline
    script or style element that would need one.
    """
    del nonce  # nothing here needs a CSP nonce: no inline <script> or <style>
    source = data if data else snapshot
    oembed_type = source.get("type") if source and isinstance(source.get("type"), str) else None
    fam = template_family(family, provider, oembed_type)
    snap = _best_snapshot(ref, provider, data, snapshot, extra_snapshot)
    name = display_name(provider, ref.kind, ref.url)
    noun = _NOUNS.get(fam, "post")
    common = {
        "snap": snap,
        "url": ref.url,
        "provider_name": name,
        "noun": noun,
        "show_thumbnail": not consent,
    }
    figure = env.get_template("embed.html")
    figure_ctx = {
        "provider_slug": _slug(provider, ref.kind),
        "provider_name": name,
        "status": status,
        "url": ref.url,
        "consent_scripts": None,
    }
    fallback_body = Markup(env.get_template(f"fallback/{fam}.html").render(**common))
    fallback_html = figure.render(**figure_ctx, mode="fallback", body=fallback_body)

    if status == "gone":
        body = Markup(
            env.get_template("tombstone.html").render(**common, show_deleted_text=show_deleted_text)
        )
        html = figure.render(**figure_ctx, mode="tombstone", body=body)
        return Presented(html=html, fallback_html=fallback_html, scripts=())

    live: Markup | None = None
    scripts: tuple[str, ...] = ()
    if not data and snapshot and snapshot.get("format") != SNAPSHOT_FORMAT:
        data = snapshot  # a stale entry may carry only its last good snapshot
    if status in _LIVE and data and isinstance(data.get("html"), str):
        policy_name = provider if provider_key(provider) else (ref.kind or provider)
        ratio = aspect_ratio(data, fam)
        title = data.get("title") if isinstance(data.get("title"), str) else None
        cleaned = sanitize(
            data["html"],
            policy_name,
            extra_iframe_hosts=_own_hosts(ref, provider),
            iframe_title=title or name,
            fill_iframes=ratio is not None,
        )
        if cleaned.html:
            scripts = cleaned.scripts
            if ratio is not None and "<iframe" in cleaned.html:
                live = Markup(
                    '<div class="embedkit__ratio" style="aspect-ratio: {};">{}</div>'
                ).format(ratio, Markup(cleaned.html))
            else:
                live = Markup(cleaned.html)

    if live is None and status in _LIVE and fam == "photo" and snap.thumbnail_url:
        # a photo without provider HTML: the picture itself is the embed
        live = Markup(
            env.get_template("fallback/photo.html").render(**{**common, "show_thumbnail": True})
        )
    if live is None:
        return Presented(html=fallback_html, fallback_html=fallback_html, scripts=())
    if consent:
        body = Markup(
            env.get_template("consent.html").render(
                fallback=fallback_body, live=live, provider_name=name, noun=noun
            )
        )
        html = figure.render(
            **{**figure_ctx, "consent_scripts": list(scripts)}, mode="consent", body=body
        )
        return Presented(html=html, fallback_html=fallback_html, scripts=())
    html = figure.render(**figure_ctx, mode="embed", body=live)
    return Presented(html=html, fallback_html=fallback_html, scripts=scripts)
