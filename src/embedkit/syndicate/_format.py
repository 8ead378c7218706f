"""Format an article into one channel's post, within that platform's length rule.

Each channel has a Jinja2 template, ``posts/<channel>.txt.j2``, found through
:func:`embedkit._templating.make_environment` (user folders first, so any template
can be overridden by name). An article's language picks a more specific one when
it exists: ``lang: ja`` or ``ja-JP`` uses ``posts/x.ja.txt.j2`` before
``posts/x.txt.j2``.

Templates see ``title``, ``url``, ``summary``, ``hashtags`` (``"#Japan #Trade"``
or ``""``), ``hashtag_list``, ``author``, ``lang``, ``published_at``, ``image``
and ``article``. The rendered text is tidied (trailing spaces dropped, runs of
blank lines collapsed) and measured with
:func:`~embedkit.syndicate._length.count_length`.

How a post is fitted:

1. Rendered with an empty summary and no hashtags, the post must fit, or
   :class:`~embedkit._errors.DoesNotFit` names the channel, the length and the
   limit: the title and the URL are never cut.
2. The summary is kept whole when it fits; otherwise it is shortened with
   :func:`~embedkit.syndicate._truncate.shorten` (sentence, clause, word, then
   grapheme boundary; "…"), re-rendering each time. With ``thread=True`` on X,
   Mastodon or Bluesky it is instead split over numbered posts (``1/3`` ...),
   the first with the title and URL.
3. Hashtags from the tags are added one by one, in order, each only if the post
   still fits.

For Bluesky the post also gets link and tag facets (UTF-8 byte offsets into
the final text) and a link card.

Example::

    >>> post = format_post(article, "x")  # doctest: +SKIP
    >>> post.length <= post.limit  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import jinja2
import regex

from embedkit._errors import ConfigError, DoesNotFit
from embedkit.syndicate._facets import facets_for
from embedkit.syndicate._hashtags import hashtags_for
from embedkit.syndicate._length import (
    BLUESKY_MAX_BYTES,
    PLATFORMS,
    count_length,
    fits,
    graphemes,
    limit,
)
from embedkit.syndicate._models import Article, LinkCard, Post
from embedkit.syndicate._truncate import shorten, split_at_best_cut

__all__ = ["THREAD_CHANNELS", "format_post", "template_names"]

#: Channels on which a long summary may become a thread of numbered posts.
THREAD_CHANNELS = ("x", "mastodon", "bluesky")
_CARD_DESCRIPTION_MAX = 300
_BLANK_LINES = regex.compile(r"\n{3,}")
_TRAILING_SPACES = regex.compile(r"[ \t]+$", regex.MULTILINE)


def template_names(channel: str, lang: str | None) -> list[str]:
    """Template names to try for ``channel`` and ``lang``, most specific first.

    >>> template_names("x", "ja-JP")
    ['posts/x.ja-jp.txt.j2', 'posts/x.ja.txt.j2', 'posts/x.txt.j2']
    """
    names: list[str] = []
    if lang:
        tag = lang.strip().lower().replace("_", "-")
        base = tag.split("-")[0]
        if tag != base:
            names.append(f"posts/{channel}.{tag}.txt.j2")
        if base:
            names.append(f"posts/{channel}.{base}.txt.j2")
    names.append(f"posts/{channel}.txt.j2")
    return names


def _slack_escape(value: object) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_DISCORD_MARKDOWN = regex.compile(r"([\\*_~`|<>\[\]])|^([#>-])")


def _discord_escape(value: object) -> str:
    """Backslash-escape Discord Markdown, so a title cannot make a disguised ``[link](url)``."""
    escaped: str = _DISCORD_MARKDOWN.sub(lambda m: "\\" + m.group(), str(value))
    return escaped


def _default_environment() -> jinja2.Environment:
    from embedkit._templating import make_environment

    return make_environment()


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n")
    text = _TRAILING_SPACES.sub("", text)
    tidy: str = _BLANK_LINES.sub("\n\n", text)
    return tidy.strip()


class _Renderer:
    """Renders one article's template with a given summary and hashtags, and measures."""

    def __init__(
        self,
        template: jinja2.Template,
        article: Article,
        channel: str,
        *,
        caption: bool,
        max_characters: int | None,
    ) -> None:
        self.template = template
        self.article = article
        self.channel = channel
        self.caption = caption
        self.limit = limit(channel, caption=caption, max_characters=max_characters)
        self.max_characters = max_characters
        self.title = " ".join(article.title.split())
        self.url = article.url.strip()
        self._rendered: dict[tuple[str, tuple[str, ...]], str] = {}

    def render(self, summary: str, hashtags: tuple[str, ...] = ()) -> str:
        key = (summary, hashtags)
        if key not in self._rendered:
            self._rendered[key] = self._render(summary, hashtags)
        return self._rendered[key]

    def _render(self, summary: str, hashtags: tuple[str, ...]) -> str:
        context: dict[str, Any] = {
            "title": self.title,
            "url": self.url,
            "summary": summary,
            "hashtags": " ".join(hashtags),
            "hashtag_list": list(hashtags),
            "author": self.article.author or "",
            "lang": self.article.lang or "",
            "published_at": self.article.published_at,
            "image": self.article.image or "",
            "article": self.article,
        }
        try:
            return _tidy(self.template.render(context))
        except jinja2.TemplateError as exc:
            raise ConfigError(f"template {self.template.name}: {exc}") from exc

    def fits(self, text: str) -> bool:
        return fits(text, self.channel, caption=self.caption, max_characters=self.max_characters)

    def length(self, text: str) -> int:
        return count_length(text, self.channel, caption=self.caption)

    def accepts(self, hashtags: tuple[str, ...] = (), suffix: str = "") -> Callable[[str], bool]:
        return lambda summary: self.fits(self.render(summary + suffix, hashtags))


def _add_hashtags(renderer: _Renderer, summary: str, candidates: list[str]) -> tuple[str, ...]:
    chosen: tuple[str, ...] = ()
    for hashtag in candidates:
        trial = (*chosen, hashtag)
        if renderer.fits(renderer.render(summary, trial)):
            chosen = trial
    return chosen


def _follow_up_accept(renderer: _Renderer, marker: str) -> Callable[[str], bool]:
    return lambda text: renderer.fits(text + marker)


def _thread(renderer: _Renderer, summary: str) -> tuple[str, list[str]]:
    """Split ``summary`` into a first-post part and follow-up posts, numbered ``i/n``.

    Parts are sized with the widest marker (`` 9/9``, then `` 99/99`` ...), so the
    real, never longer, marker always fits.
    """
    for width in (1, 2, 3):
        widest = f" {'9' * width}/{'9' * width}"
        parts: list[str] = []
        rest = summary
        accept = renderer.accepts(suffix=widest)
        while rest:
            if accept(rest):
                parts.append(rest)
                break
            cut = split_at_best_cut(rest, accept, ellipsis="")
            if cut is None and not parts:
                parts.append("")  # the first post holds only title + URL
            elif cut is None:
                raise DoesNotFit(
                    f"{renderer.channel}: cannot split the summary into posts of "
                    f"{renderer.limit} (at {rest[:30]!r})"
                )
            else:
                parts.append(cut[0])
                rest = cut[1]
            accept = _follow_up_accept(renderer, widest)
        if len(parts) < 10**width:
            total = len(parts)
            numbered = [f"{part} {i}/{total}".strip() for i, part in enumerate(parts, 1)]
            return numbered[0], numbered[1:]
    raise DoesNotFit(f"{renderer.channel}: the summary needs more than 999 posts")


def format_post(
    article: Article,
    channel: str,
    *,
    env: jinja2.Environment | None = None,
    thread: bool = False,
    max_characters: int | None = None,
    caption: bool | None = None,
) -> Post:
    """The post announcing ``article`` on ``channel``, fitted to the platform's limit.

    ``max_characters`` overrides the platform limit (a Mastodon instance's);
    ``caption`` selects Telegram's photo-caption limit (default: when the article
    has an image). ``thread=True`` splits a long summary into follow-up posts on
    X, Mastodon and Bluesky instead of shortening it. Raises
    :class:`~embedkit._errors.DoesNotFit` when the title and URL alone are too
    long, :class:`~embedkit._errors.ConfigError` for an unknown channel or a
    broken template.
    """
    if channel not in PLATFORMS:
        raise ConfigError(f"unknown channel {channel!r}; expected one of {', '.join(PLATFORMS)}")
    environment = env or _default_environment()
    environment.filters.setdefault("slack_escape", _slack_escape)
    environment.filters.setdefault("discord_escape", _discord_escape)
    try:
        template = environment.select_template(template_names(channel, article.lang))
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"no post template for channel {channel!r} ({exc})") from exc
    use_caption = bool(article.image or article.image_file) if caption is None else caption
    renderer = _Renderer(
        template, article, channel, caption=use_caption, max_characters=max_characters
    )

    bare = renderer.render("")
    if not renderer.fits(bare):
        size = ""
        if channel == "bluesky":
            size = f" ({len(bare.encode())} bytes of {BLUESKY_MAX_BYTES})"
        raise DoesNotFit(
            f"{channel}: title and URL alone are {renderer.length(bare)} long{size} "
            f"but the limit is {renderer.limit}"
        )

    full_summary = " ".join(article.summary.split())
    follow_ups: list[str] = []
    if renderer.fits(renderer.render(full_summary)):
        summary = full_summary
    elif thread and channel in THREAD_CHANNELS:
        summary, follow_ups = _thread(renderer, full_summary)
    else:
        summary = shorten(full_summary, renderer.accepts())

    visible = f"{renderer.title} {summary}"
    hashtags = _add_hashtags(renderer, summary, hashtags_for(article.tags, visible))
    text = renderer.render(summary, hashtags)

    facets = facets_for(text) if channel == "bluesky" else ()
    card = None
    if channel == "bluesky":
        description = shorten(full_summary, lambda s: len(graphemes(s)) <= _CARD_DESCRIPTION_MAX)
        card = LinkCard(
            url=renderer.url, title=renderer.title, description=description, thumb=article.image
        )
    return Post(
        channel=channel,
        article_id=article.id,
        text=text,
        length=renderer.length(text),
        limit=renderer.limit,
        facets=facets,
        card=card,
        image=article.image,
        image_file=article.image_file,
        lang=article.lang,
        thread=tuple(follow_ups),
        text_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
