"""Platform knowledge in one place: one record per network, keyed by one id.

A :class:`Platform` is everything embedkit knows about a network, and the single
source every layer reads:

- **references** (:mod:`embedkit.resolve._refs`): the ``hosts`` whose URLs route to the
  platform's reference parser (``Ref.kind`` is the platform id);
- **providers** (:mod:`embedkit.resolve._providers`): the ``providers`` names its
  registry entries go by (the first is :attr:`Platform.provider`, the public
  ``Embed.provider``: ``"Twitter"`` for X); bundled corrections in
  ``data/builtin_providers.json`` name their platform by id;
- **sanitizing** (:mod:`embedkit.present._sanitize`): the ``sanitizer`` policy (tags,
  attributes, CSS properties), the ``iframe_hosts``, the iframe permission features
  (``iframe_allow``) and the exact ``scripts`` its markup may ask for;
- **presentation** (:mod:`embedkit.present`): the display ``name`` readers know
  (``"X"``), the card ``layout`` (post, video, photo or link), whether the handle in a
  URL names the author (``author_in_url``) and the embed markup the platform
  documents from the URL alone (``url_embed``: a consent button needs no cached
  answer, and Twitch, which has no oEmbed, is embedded that way).

Only the publisher's configuration adds to these records at run time
(:class:`PlatformSettings`: the Mastodon instances whose ``embed.js`` they trust,
the Twitch ``parent`` host). Nothing a pasted URL or a provider answer says
selects a record's policy: the matched provider does.

>>> PLATFORMS["x"].provider, PLATFORMS["x"].name, PLATFORMS["x"].layout
('Twitter', 'X', 'post')
>>> for_host("mobile.twitter.com").id, for_provider_name("Bluesky Social").id
('x', 'bluesky')

Adding a network is one record here plus its reference parser and tests
(docs/platforms.md walks through one).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit

from embedkit._errors import ConfigError
from embedkit._models import Ref

__all__ = [
    "DEFAULT_ALLOW",
    "DEFAULT_POLICY",
    "LAYOUTS",
    "PLATFORMS",
    "Layout",
    "Platform",
    "PlatformSettings",
    "SanitizerPolicy",
    "bundled_scripts",
    "for_host",
    "for_provider_name",
    "get",
    "parse_hosts",
    "policy",
    "routed_domains",
    "url_embed",
]

Layout = Literal["post", "video", "photo", "link"]
#: The card layouts, each a template: ``fallback/{layout}.html``.
LAYOUTS: tuple[Layout, ...] = ("post", "video", "photo", "link")


# -- sanitizer policies ------------------------------------------------------------


#: CSS properties provider markup may set inline: colour, type, borders, spacing
#: and sizes. Nothing that moves a box out of the flow or paints outside it
#: (position, inset/top/left, transform, z-index, float, box-shadow, outline...).
#: Values are checked too (see :mod:`embedkit.present._sanitize`).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STYLE_PROPERTIES = _words(
    """color background-color border border-top border-right border-bottom border-left
    border-radius border-color border-style border-width margin margin-top margin-right
    margin-bottom margin-left padding padding-top padding-right padding-bottom padding-left
    width height max-width min-width max-height min-height display flex-direction flex-grow
    flex-shrink flex align-items justify-content line-height font-family font-size
    font-style font-weight text-align text-decoration text-overflow overflow white-space
    vertical-align"""
)


@dataclass(frozen=True, slots=True)
class SanitizerPolicy:
    """What provider markup may keep: tags, attributes per tag, inline CSS properties.

    ``data_prefix`` allows every ``data-*`` attribute (unknown providers' markup).
    """

    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]]
    data_prefix: bool = False
    style_properties: frozenset[str] = STYLE_PROPERTIES


def policy(*specs: str, data_prefix: bool = False) -> SanitizerPolicy:
    """Build a policy from ``"tag: attr attr"`` specs (a bare ``"tag"`` allows no attributes).

    The same tag may appear in several specs; their attributes add up. ``"*: ..."``
    allows attributes on every allowed tag.

    >>> sorted(policy("a: href", "a: title", "br").tags)
    ['a', 'br']
    """
    attributes: dict[str, set[str]] = {}
    for spec in specs:
        tag, _, names = spec.partition(":")
        attributes.setdefault(tag.strip(), set()).update(names.split())
    return SanitizerPolicy(
        tags=frozenset(attributes) - {"*"},
        attributes={tag: frozenset(names) for tag, names in attributes.items() if names},
        data_prefix=data_prefix,
    )


_IFRAME = (
    "iframe: src width height title allow allowfullscreen frameborder scrolling referrerpolicy"
    " sandbox allowtransparency class"
)
_LINK = "a: href title"
_IFRAME_ONLY = policy(_IFRAME, "iframe: style")

#: Unknown providers (and discovered answers): text, links, images, own-host iframes.
DEFAULT_POLICY = policy(
    "*: class lang dir style",
    _LINK,
    "a: target",
    "img: src alt width height",
    _IFRAME,
    "blockquote: cite",
    "time: datetime",
    *sorted(
        _words("p br span div section em strong b i small ul ol li figure figcaption h2 h3 h4 cite")
    ),
    data_prefix=True,
)

_FEDIVERSE_POLICY = policy(
    _IFRAME,
    "iframe: style",
    "blockquote: class style data-embed-url",
    _LINK,
    "a: target style",
    "div: style class",
    "p: style lang",
    "span: style",
    "br",
)

#: Iframe permissions any provider may keep (``allow="fullscreen"``); platforms list more.
DEFAULT_ALLOW = frozenset({"fullscreen"})
_VIDEO_ALLOW = frozenset(
    {"autoplay", "encrypted-media", "fullscreen", "picture-in-picture", "clipboard-write"}
)


# -- the publisher's settings ------------------------------------------------------

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?$")


def parse_hosts(raw: str | Iterable[str] | None, *, source: str) -> frozenset[str]:
    """Host names from configuration: a list, or text separated by commas/whitespace.

    ``https://social.example/`` is read as ``social.example``. Anything that is not a
    host name is a :class:`~embedkit._errors.ConfigError` naming ``source``.

    >>> sorted(parse_hosts("social.example, https://News.Example/", source="x"))
    ['news.example', 'social.example']
    """
    if raw is None:
        return frozenset()
    items = re.split(r"[\s,]+", raw) if isinstance(raw, str) else list(raw)
    hosts: set[str] = set()
    for item in items:
        text = str(item).strip().lower()
        if not text:
            continue
        if "://" in text:
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or parts.path.strip("/"):
                raise ConfigError(f"{source}: {item!r} is not a host name")
            text = parts.netloc
        text = text.rstrip("/.")
        if not _HOST.match(text):
            raise ConfigError(f"{source}: {item!r} is not a host name")
        hosts.add(text)
    return frozenset(hosts)


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """What the publisher's configuration adds to the platform records.

    ``trusted_mastodon_instances``: hosts whose ``https://{host}/embed.js`` may run on
    the publisher's pages (their own instance, say); posts on any other instance render
    without a script. ``twitch_parent``: the host names of the publisher's pages, which
    Twitch's player requires as ``parent=``; without them Twitch links get a static card.
    """

    trusted_mastodon_instances: frozenset[str] = frozenset()
    twitch_parent: tuple[str, ...] = ()


# -- embed markup from the URL alone ------------------------------------------------


def _attr(value: str) -> str:
    return htmllib.escape(value, quote=True)


def _iframe(src: str, title: str, allow: str, *, width: int = 560, height: int = 315) -> str:
    return (
        f'<iframe src="{_attr(src)}" width="{width}" height="{height}" title="{_attr(title)}"'
        f' allow="{allow}" allowfullscreen referrerpolicy="strict-origin-when-cross-origin">'
        "</iframe>"
    )


def _link(url: str) -> str:
    return f'<a href="{_attr(url)}">{htmllib.escape(url)}</a>'


def _x_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    # widgets.js turns a blockquote holding a link to the status into the post
    link = f"https://twitter.com/i/status/{ref.post_id}"
    return (
        f'<blockquote class="twitter-tweet">{_link(link)}</blockquote>'
        '<script async src="https://platform.twitter.com/widgets.js"></script>'
    )


_YT_ALLOW = (
    "accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture;"
    " web-share; fullscreen"
)


def _youtube_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    parts = urlsplit(ref.url)
    if ref.post_id and parts.path == "/watch":
        src = f"https://www.youtube-nocookie.com/embed/{ref.post_id}"
    elif parts.path == "/playlist" and parts.query.startswith("list="):
        src = f"https://www.youtube-nocookie.com/embed/videoseries?{parts.query}"
    else:
        return None
    return _iframe(src, "YouTube video player", _YT_ALLOW)


def _vimeo_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    segments = [s for s in urlsplit(ref.url).path.split("/") if s]
    src = f"https://player.vimeo.com/video/{ref.post_id}"
    if len(segments) == 2:
        src += f"?h={segments[1]}"
    return _iframe(src, "Vimeo video player", "autoplay; fullscreen; picture-in-picture")


def _dailymotion_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    src = f"https://geo.dailymotion.com/player.html?video={ref.post_id}"
    return _iframe(src, "Dailymotion video player", "autoplay; fullscreen; picture-in-picture")


def _spotify_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    segments = [s for s in urlsplit(ref.url).path.split("/") if s]
    if not ref.post_id or len(segments) != 2:
        return None
    src = f"https://open.spotify.com/embed/{segments[0]}/{segments[1]}"
    height = 152 if segments[0] in ("track", "episode") else 352
    return _iframe(
        src, "Spotify player", "autoplay; clipboard-write; encrypted-media; fullscreen",
        width=500, height=height,
    )  # fmt: skip


def _soundcloud_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if len([s for s in urlsplit(ref.url).path.split("/") if s]) < 2:
        return None
    src = "https://w.soundcloud.com/player/?url=" + quote(ref.url, safe="")
    return _iframe(src, "SoundCloud player", "autoplay", width=500, height=166)


def _instagram_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    return (
        f'<blockquote class="instagram-media" data-instgrm-permalink="{_attr(ref.url)}"'
        f' data-instgrm-version="14">{_link(ref.url)}</blockquote>'
        '<script async src="https://www.instagram.com/embed.js"></script>'
    )


def _tiktok_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    return (
        f'<blockquote class="tiktok-embed" cite="{_attr(ref.url)}"'
        f' data-video-id="{_attr(ref.post_id)}"><section>{_link(ref.url)}</section></blockquote>'
        '<script async src="https://www.tiktok.com/embed.js"></script>'
    )


def _threads_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    return (
        f'<blockquote class="text-post-media" data-text-post-permalink="{_attr(ref.url)}"'
        f' data-text-post-version="0">{_link(ref.url)}</blockquote>'
        '<script async src="https://www.threads.net/embed.js"></script>'
    )


_FB_SDK = "https://connect.facebook.net/en_US/sdk.js"


def _facebook_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id:
        return None
    kind = "fb-video" if "/videos/" in ref.url or "video.php" in ref.url else "fb-post"
    return (
        f'<div class="{kind}" data-href="{_attr(ref.url)}" data-width="500"></div>'
        f'<script async src="{_FB_SDK}#xfbml=1&amp;version=v19.0"></script>'
    )


def _reddit_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not ref.post_id or ref.needs_redirect:
        return None
    return (
        f'<blockquote class="reddit-embed-bq">{_link(ref.url)}</blockquote>'
        '<script async src="https://embed.reddit.com/widgets.js"></script>'
    )


def _bluesky_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    segments = [s for s in urlsplit(ref.url).path.split("/") if s]
    # The embed script resolves DIDs; a handle in the URL is not enough for it.
    if not ref.post_id or len(segments) != 4 or not segments[1].startswith("did:"):
        return None
    uri = f"at://{segments[1]}/app.bsky.feed.post/{segments[3]}"
    return (
        f'<blockquote class="bluesky-embed" data-bluesky-uri="{_attr(uri)}">'
        f"<p>{_link(ref.url)}</p></blockquote>"
        '<script async src="https://embed.bsky.app/static/embed.js"></script>'
    )


def _mastodon_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    parts = urlsplit(ref.url)
    host = (parts.netloc or "").lower()
    if (
        not ref.post_id
        or parts.scheme != "https"
        or host not in settings.trusted_mastodon_instances
    ):
        return None  # only an instance the publisher trusts; never one a URL chose
    return (
        f'<iframe src="{_attr(ref.url)}/embed" class="mastodon-embed" width="400" height="400"'
        ' style="max-width: 100%; border: 0" allowfullscreen></iframe>'
        f'<script async src="https://{host}/embed.js"></script>'
    )


def _twitch_embed(ref: Ref, settings: PlatformSettings) -> str | None:
    if not settings.twitch_parent:
        return None  # Twitch's player refuses to play without the page's host as parent=
    parents = "".join(f"&parent={quote(p, safe='')}" for p in settings.twitch_parent)
    parts = urlsplit(ref.url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.hostname == "clips.twitch.tv" and ref.post_id:
        src = f"https://clips.twitch.tv/embed?clip={quote(ref.post_id, safe='')}{parents}"
    elif segments[:1] == ["videos"] and ref.post_id:
        src = f"https://player.twitch.tv/?video=v{ref.post_id}{parents}"
    elif segments[:1] == ["collections"] and ref.post_id:
        src = f"https://player.twitch.tv/?collection={quote(ref.post_id, safe='')}{parents}"
    elif ref.handle and len(segments) == 1:
        src = f"https://player.twitch.tv/?channel={quote(ref.handle, safe='')}{parents}"
    else:
        return None
    return _iframe(src, "Twitch player", "autoplay; fullscreen", width=620, height=378)


# -- the records --------------------------------------------------------------------

UrlEmbed = Callable[[Ref, PlatformSettings], "str | None"]


@dataclass(frozen=True, slots=True)
class Platform:
    """One network: its id, URL hosts, provider names, sanitizer policy, scripts, layout.

    ``hosts``: exact hosts whose URLs route to the platform's reference parser
    (``host_pattern``: a regex for a set of hosts such as Facebook's locale hosts).
    ``any_host``: the platform runs on anyone's server (the fediverse): its posts are
    recognised by path shape on any host. ``providers``: the provider names its
    registry entries go by; the first is :attr:`provider`. ``oembed=False``: the
    platform has no oEmbed endpoint (Twitch); ``url_embed`` then is its embed.
    ``scripts``: the exact script URLs its markup may load (https, no query).
    ``instance_scripts``: an instance's own ``/embed.js`` may load, when the publisher
    trusts that instance. ``iframe_hosts``: where its iframes may come from
    (``*.host`` includes subdomains, ``host/path`` requires a path prefix).
    ``iframe_allow``: the permission features its iframes may keep.
    ``author_in_url``: the handle in a post URL is part of the post's address, so it
    names the author (Bluesky, Mastodon); on X, TikTok, Threads and Instagram anyone
    can write any name before a real post id, so the URL alone never shows it.
    """

    id: str
    name: str
    providers: tuple[str, ...]
    layout: Layout
    hosts: tuple[str, ...] = ()
    host_pattern: str | None = None
    any_host: bool = False
    oembed: bool = True
    sanitizer: SanitizerPolicy = DEFAULT_POLICY
    iframe_hosts: frozenset[str] = frozenset()
    iframe_allow: frozenset[str] = DEFAULT_ALLOW
    scripts: frozenset[str] = frozenset()
    instance_scripts: bool = False
    author_in_url: bool = False
    url_embed: UrlEmbed | None = field(default=None, repr=False)

    @property
    def provider(self) -> str:
        """The provider name embeds carry (``Embed.provider``): ``"Twitter"`` for X."""
        return self.providers[0]


def _www(*names: str) -> tuple[str, ...]:
    """Each host name with and without ``www.``."""
    return tuple(host for name in names for host in (name, "www." + name))


_FB_VERSIONS = (
    [f"v2.{n}" for n in range(13)]
    + [f"v3.{n}" for n in range(4)]
    + [f"v{n}.0" for n in range(4, 26)]
)

_RECORDS: tuple[Platform, ...] = (
    Platform(
        id="x",
        name="X",
        providers=("Twitter", "X"),
        layout="post",
        hosts=(*_www("twitter.com", "x.com"), "mobile.twitter.com", "mobile.x.com"),
        sanitizer=policy(
            "blockquote: class lang data-theme data-lang data-dnt data-width data-conversation"
            " data-cards data-align data-media-max-width",
            "p: lang dir",
            _LINK,
            "br",
            "span",
        ),
        iframe_hosts=frozenset({"platform.twitter.com"}),
        scripts=frozenset({"https://platform.twitter.com/widgets.js"}),
        url_embed=_x_embed,
    ),
    Platform(
        id="youtube",
        name="YouTube",
        providers=("YouTube",),
        layout="video",
        hosts=(
            *_www("youtube.com", "youtu.be", "youtube-nocookie.com"),
            "m.youtube.com",
            "music.youtube.com",
            "youtube.googleapis.com",
        ),
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset(
            {"youtube.com", "www.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
        ),
        iframe_allow=frozenset(
            {
                "accelerometer",
                "autoplay",
                "clipboard-write",
                "encrypted-media",
                "gyroscope",
                "picture-in-picture",
                "web-share",
                "fullscreen",
            }
        ),
        url_embed=_youtube_embed,
    ),
    Platform(
        id="vimeo",
        name="Vimeo",
        providers=("Vimeo",),
        layout="video",
        hosts=(*_www("vimeo.com"), "player.vimeo.com"),
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"player.vimeo.com"}),
        iframe_allow=_VIDEO_ALLOW,
        url_embed=_vimeo_embed,
    ),
    Platform(
        id="dailymotion",
        name="Dailymotion",
        providers=("Dailymotion",),
        layout="video",
        hosts=(
            *_www("dailymotion.com", "dai.ly"),
            "m.dailymotion.com",
            "touch.dailymotion.com",
            "geo.dailymotion.com",
        ),
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"www.dailymotion.com", "geo.dailymotion.com"}),
        iframe_allow=frozenset({"autoplay", "fullscreen", "picture-in-picture", "web-share"}),
        url_embed=_dailymotion_embed,
    ),
    Platform(
        id="twitch",
        name="Twitch",
        providers=("Twitch",),
        layout="video",
        hosts=(
            *_www("twitch.tv"),
            "m.twitch.tv",
            "go.twitch.tv",
            "clips.twitch.tv",
            "player.twitch.tv",
        ),
        oembed=False,
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"player.twitch.tv", "clips.twitch.tv"}),
        iframe_allow=frozenset({"autoplay", "fullscreen"}),
        url_embed=_twitch_embed,
    ),
    Platform(
        id="bluesky",
        name="Bluesky",
        providers=("Bluesky", "Bluesky Social"),
        layout="post",
        hosts=_www("bsky.app"),
        sanitizer=policy(
            "blockquote: class lang data-bluesky-uri data-bluesky-cid"
            " data-bluesky-embed-color-mode",
            "p: lang dir",
            _LINK,
            "br",
            "span",
        ),
        iframe_hosts=frozenset({"embed.bsky.app"}),
        scripts=frozenset({"https://embed.bsky.app/static/embed.js"}),
        author_in_url=True,
        url_embed=_bluesky_embed,
    ),
    Platform(
        id="mastodon",
        name="Mastodon",
        providers=("Mastodon",),
        layout="post",
        any_host=True,
        sanitizer=_FEDIVERSE_POLICY,
        instance_scripts=True,
        author_in_url=True,
        url_embed=_mastodon_embed,
    ),
    Platform(
        id="pleroma",
        name="Pleroma",
        providers=("Pleroma", "Akkoma"),
        layout="post",
        any_host=True,
        sanitizer=_FEDIVERSE_POLICY,
    ),
    Platform(
        id="misskey",
        name="Misskey",
        providers=("Misskey",),
        layout="post",
        any_host=True,
        sanitizer=_FEDIVERSE_POLICY,
    ),
    Platform(
        id="gotosocial",
        name="GoToSocial",
        providers=("GoToSocial",),
        layout="post",
        any_host=True,
        sanitizer=_FEDIVERSE_POLICY,
        author_in_url=True,
    ),
    Platform(
        id="instagram",
        name="Instagram",
        providers=("Instagram",),
        layout="post",
        hosts=(*_www("instagram.com", "instagr.am"), "m.instagram.com"),
        sanitizer=policy(
            "blockquote: class style data-instgrm-captioned data-instgrm-permalink"
            " data-instgrm-version",
            "div: style",
            _LINK,
            "a: style target",
            "p: style",
            "time: style datetime title",
            _IFRAME,
            "br",
            "span",
        ),
        iframe_hosts=frozenset({"www.instagram.com", "instagram.com"}),
        scripts=frozenset(
            {"https://www.instagram.com/embed.js", "https://platform.instagram.com/en_US/embeds.js"}
        ),
        url_embed=_instagram_embed,
    ),
    Platform(
        id="threads",
        name="Threads",
        providers=("Threads",),
        layout="post",
        hosts=_www("threads.net", "threads.com"),
        sanitizer=policy(
            "blockquote: class style data-text-post-permalink data-text-post-version id",
            "div: style",
            _LINK,
            "a: style target",
            "span: style",
            "p: style",
            _IFRAME,
            "br",
        ),
        iframe_hosts=frozenset({"www.threads.net", "www.threads.com"}),
        scripts=frozenset({"https://www.threads.net/embed.js", "https://www.threads.com/embed.js"}),
        url_embed=_threads_embed,
    ),
    Platform(
        id="tiktok",
        name="TikTok",
        providers=("TikTok",),
        layout="post",
        hosts=(*_www("tiktok.com"), "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"),
        sanitizer=policy(
            "blockquote: class style cite data-video-id data-embed-from",
            _LINK,
            "a: target",
            "p",
            "section",
            _IFRAME,
            "br",
            "span",
        ),
        iframe_hosts=frozenset({"www.tiktok.com"}),
        iframe_allow=frozenset({"autoplay", "encrypted-media", "fullscreen", "picture-in-picture"}),
        scripts=frozenset({"https://www.tiktok.com/embed.js"}),
        url_embed=_tiktok_embed,
    ),
    Platform(
        id="facebook",
        name="Facebook",
        providers=("Facebook",),
        layout="post",
        hosts=(
            *_www("facebook.com", "fb.watch"),
            "m.facebook.com",
            "mbasic.facebook.com",
            "web.facebook.com",
            "touch.facebook.com",
        ),
        host_pattern=r"^[a-z]{2}-[a-z]{2}\.facebook\.com$",
        sanitizer=policy(
            "div: class data-href data-width data-show-text data-allowfullscreen data-lazy",
            "blockquote: cite class",
            _LINK,
            "p",
            _IFRAME,
            "iframe: style",
            "br",
            "span",
        ),
        iframe_hosts=frozenset({"www.facebook.com"}),
        iframe_allow=frozenset(
            {
                "autoplay",
                "clipboard-write",
                "encrypted-media",
                "picture-in-picture",
                "web-share",
                "fullscreen",
            }
        ),
        scripts=frozenset({_FB_SDK, *(f"{_FB_SDK}#xfbml=1&version={v}" for v in _FB_VERSIONS)}),
        url_embed=_facebook_embed,
    ),
    Platform(
        id="reddit",
        name="Reddit",
        providers=("Reddit",),
        layout="post",
        hosts=(
            *_www("reddit.com", "redd.it"),
            *_www(*(f"{n}.reddit.com" for n in ("old", "new", "np", "nm", "m", "i", "sh"))),
        ),
        sanitizer=policy(
            "blockquote: class style data-embed-height data-embed-showtitle data-embed-showedits"
            " data-embed-created data-embed-showusername data-embed-theme",
            _LINK,
            _IFRAME,
            "iframe: style",
            "br",
            "p",
            "span",
        ),
        iframe_hosts=frozenset({"embed.reddit.com", "www.redditmedia.com", "www.reddit.com/embed"}),
        scripts=frozenset(
            {
                "https://embed.reddit.com/widgets.js",
                "https://embed.redditmedia.com/widgets/platform.js",
            }
        ),
        url_embed=_reddit_embed,
    ),
    Platform(
        id="spotify",
        name="Spotify",
        providers=("Spotify",),
        layout="link",
        hosts=("open.spotify.com", "play.spotify.com", "spotify.link"),
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"open.spotify.com", "embed.spotify.com"}),
        iframe_allow=frozenset(
            {"autoplay", "clipboard-write", "encrypted-media", "fullscreen", "picture-in-picture"}
        ),
        url_embed=_spotify_embed,
    ),
    Platform(
        id="soundcloud",
        name="SoundCloud",
        providers=("SoundCloud",),
        layout="link",
        hosts=(
            *_www("soundcloud.com"),
            "m.soundcloud.com",
            "on.soundcloud.com",
            "w.soundcloud.com",
        ),
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"w.soundcloud.com"}),
        iframe_allow=frozenset({"autoplay"}),
        url_embed=_soundcloud_embed,
    ),
    Platform(
        id="flickr",
        name="Flickr",
        providers=("Flickr",),
        layout="photo",
        hosts=(*_www("flickr.com", "flic.kr"), "m.flickr.com", "secure.flickr.com"),
        sanitizer=policy(_LINK, "a: data-flickr-embed", "img: src width height alt"),
        scripts=frozenset({"https://embedr.flickr.com/assets/client-code.js"}),
    ),
    Platform(
        id="ted",
        name="TED",
        providers=("TED",),
        layout="video",
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"embed.ted.com"}),
        iframe_allow=_VIDEO_ALLOW,
    ),
    Platform(
        id="tumblr",
        name="Tumblr",
        providers=("Tumblr",),
        layout="post",
        sanitizer=policy("div: class data-href data-did", _LINK),
        scripts=frozenset({"https://assets.tumblr.com/post.js"}),
    ),
    Platform(
        id="imgur",
        name="Imgur",
        providers=("Imgur",),
        layout="photo",
        sanitizer=policy("blockquote: class lang data-id data-context", _LINK),
        scripts=frozenset({"https://s.imgur.com/min/embed.js"}),
    ),
    Platform(
        id="pinterest",
        name="Pinterest",
        providers=("Pinterest",),
        layout="link",
        sanitizer=policy(_IFRAME, _LINK, "a: data-pin-do", "img: src alt"),
        iframe_hosts=frozenset({"assets.pinterest.com"}),
        scripts=frozenset({"https://assets.pinterest.com/js/pinit.js"}),
    ),
    Platform(
        id="codepen",
        name="CodePen",
        providers=("CodePen",),
        layout="link",
        sanitizer=_IFRAME_ONLY,
        iframe_hosts=frozenset({"codepen.io"}),
    ),
)

#: Every platform, by id.
PLATFORMS: Mapping[str, Platform] = {record.id: record for record in _RECORDS}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_HOST: dict[str, Platform] = {host: p for p in _RECORDS for host in p.hosts}
_BY_PATTERN: tuple[tuple[re.Pattern[str], Platform], ...] = tuple(
    (re.compile(p.host_pattern), p) for p in _RECORDS if p.host_pattern
)
_BY_PROVIDER: dict[str, Platform] = {_key(name): p for p in _RECORDS for name in p.providers}


def get(platform_id: str | None) -> Platform | None:
    """The platform with this id, or ``None``."""
    return PLATFORMS.get(platform_id) if platform_id else None


def for_host(host: str) -> Platform | None:
    """The platform whose URLs live on ``host`` (lowercase), or ``None``."""
    found = _BY_HOST.get(host)
    if found is None:
        for pattern, platform in _BY_PATTERN:
            if pattern.match(host):
                return platform
    return found


def for_provider_name(name: str | None) -> Platform | None:
    """The platform a *configured* provider name belongs to (``"Bluesky Social"``...).

    For registry entries and providers files only: a name a provider's answer gives
    itself never selects a platform.
    """
    return _BY_PROVIDER.get(_key(name)) if name else None


def routed_domains() -> frozenset[str]:
    """Every host a record routes, and the domain of each host pattern (``facebook.com``).

    A URL whose host is none of these, nor under one of them, belongs to no platform
    by its host (fediverse posts are recognised by their path instead).
    """
    domains = {host for record in _RECORDS for host in record.hosts}
    for record in _RECORDS:
        if record.host_pattern:
            domains.update(host.removeprefix("www.") for host in record.hosts)
    return frozenset(domains)


def bundled_scripts() -> frozenset[str]:
    """Every script URL the platform records allow, exactly (https, no query)."""
    return frozenset().union(*(p.scripts for p in _RECORDS))


def url_embed(platform: Platform | None, ref: Ref, settings: PlatformSettings) -> str | None:
    """The embed markup the platform documents for ``ref`` from its URL alone, or ``None``.

    The markup is built here from the canonical URL (never from a provider answer) and
    is still sanitized with the platform's policy before it reaches a page.
    """
    if platform is None or platform.url_embed is None or ref.kind != platform.id:
        return None
    return platform.url_embed(ref, settings)
