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
   :func:`~embedkit.syndicate._truncate.best_cut` (sentence, clause, word, then
   grapheme boundary; "…"). With ``thread=True`` on X, Mastodon or Bluesky it is
   instead split over numbered posts (``1/3`` ...), the first with the title and URL.
3. Hashtags from the tags are added one by one, in order, each only if the post
   still fits.

How that stays fast: the template is rendered once with markers where the summary
and the hashtags go (the *frame*), and measured once. When every marker is set off
by a space or a line break, the post's length is the frame's plus the summary's plus
the hashtags', so the cut is found from a
:class:`~embedkit.syndicate._length.PrefixMeter` over the summary, without rendering
or counting any candidate. The chosen post is then rendered for real and counted in
full; only if it is not exactly the predicted text and length (a template that
transforms the summary, text that joins across a marker) is the post fitted again
the slow way, rendering and counting each candidate as before.

For Bluesky the post also gets link and tag facets (UTF-8 byte offsets into
the final text) and a link card.

Example::

    >>> post = format_post(article, "x")  # doctest: +SKIP
    >>> post.length <= post.limit  # doctest: +SKIP
    True
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2
import regex

from embedkit._errors import ConfigError, DoesNotFit
from embedkit.syndicate._facets import facets_for
from embedkit.syndicate._hashtags import hashtags_for
from embedkit.syndicate._length import (
    BLUESKY_MAX_BYTES,
    PLATFORMS,
    PrefixMeter,
    count_length,
    graphemes,
    limit,
)
from embedkit.syndicate._models import Article, LinkCard, Post
from embedkit.syndicate._truncate import CutPoints, best_cut, probe_reach, shorten

__all__ = ["THREAD_CHANNELS", "format_post", "template_names"]

#: Channels on which a long summary may become a thread of numbered posts.
THREAD_CHANNELS = ("x", "mastodon", "bluesky")
_CARD_DESCRIPTION_MAX = 300
_BLANK_LINES = regex.compile(r"\n{3,}")
# Private-use characters marking where the summary and the hashtags go in the frame.
_SUMMARY_MARK = "\ue000"
_HASHTAGS_MARK = "\ue001"
_MARKS = re.compile(f"([{_SUMMARY_MARK}{_HASHTAGS_MARK}])")


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


@functools.lru_cache(maxsize=8)
def _environment_for(folders: str) -> jinja2.Environment:
    """One environment per value of ``EMBEDKIT_TEMPLATES``, so its templates compile once."""
    from embedkit._templating import ENV_VAR, make_environment

    return make_environment(env={ENV_VAR: folders})


def _default_environment() -> jinja2.Environment:
    from embedkit._templating import ENV_VAR

    return _environment_for(os.environ.get(ENV_VAR, ""))


def _tidy(text: str) -> str:
    """Line ends normalized, trailing spaces dropped, blank-line runs collapsed, stripped.

    Line by line rather than with ``[ \\t]+$``, which retries from every space of a
    long run of spaces.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    tidy: str = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip(" \t") for line in lines))
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
        self.max_bytes = BLUESKY_MAX_BYTES if channel == "bluesky" else None
        self.title = " ".join(article.title.split())
        self.url = article.url.strip()
        self._rendered: dict[tuple[str, tuple[str, ...]], str] = {}
        self._lengths: dict[str, int] = {}

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
        if self.length(text) > self.limit:
            return False
        return self.max_bytes is None or len(text.encode("utf-8")) <= self.max_bytes

    def length(self, text: str) -> int:
        if text not in self._lengths:
            self._lengths[text] = count_length(text, self.channel, caption=self.caption)
        return self._lengths[text]

    def accepts(self, hashtags: tuple[str, ...] = (), suffix: str = "") -> Callable[[str], bool]:
        return lambda summary: self.fits(self.render(summary + suffix, hashtags))


# --- the exact way: render and count every candidate ------------------------------------


def _add_hashtags(renderer: _Renderer, summary: str, candidates: list[str]) -> tuple[str, ...]:
    chosen: tuple[str, ...] = ()
    for hashtag in candidates:
        trial = (*chosen, hashtag)
        if renderer.fits(renderer.render(summary, trial)):
            chosen = trial
    return chosen


def _follow_up_accept(renderer: _Renderer, marker: str) -> Callable[[str], bool]:
    return lambda text: renderer.fits(text + marker)


def _number(parts: list[str]) -> tuple[str, list[str]]:
    """The parts with their ``i/n`` markers; a first post that holds only the title and
    the URL (its part is empty) carries no marker, which might not fit beside them."""
    total = len(parts)
    numbered = [f"{part} {i}/{total}".strip() for i, part in enumerate(parts, 1)]
    if not parts[0]:
        numbered[0] = ""
    return numbered[0], numbered[1:]


def _piece_fits(accept: Callable[[str], bool], text: str, start: int) -> Callable[[int, str], bool]:
    return lambda end, tail: accept(text[start:end] + tail)


def _thread(renderer: _Renderer, summary: str) -> tuple[str, list[str]]:
    """Split ``summary`` into a first-post part and follow-up posts, numbered ``i/n``.

    Parts are sized with the widest marker (`` 9/9``, then `` 99/99`` ...), so the
    real, never longer, marker always fits. The places to cut are found once for the
    whole summary, and each part is looked for only about as far as it can reach.
    """
    cuts = CutPoints(summary)
    for width in (1, 2, 3):
        widest = f" {'9' * width}/{'9' * width}"
        parts: list[str] = []
        start = 0
        accept = renderer.accepts(suffix=widest)
        while start < len(summary):
            fits = _piece_fits(accept, summary, start)
            reach = probe_reach(summary, fits, start=start, cuts=cuts)
            if reach is None and accept(summary[start:]):
                parts.append(summary[start:])
                break
            cut = best_cut(summary, fits, start=start, reach=reach, ellipsis="", cuts=cuts)
            if cut is None and not parts:
                parts.append("")  # the first post holds only title + URL
            elif cut is None:
                raise DoesNotFit(
                    f"{renderer.channel}: cannot split the summary into posts of "
                    f"{renderer.limit} (at {summary[start : start + 30]!r})"
                )
            else:
                parts.append(cut.candidate(summary, start))
                start = cut.rest
                while start < len(summary) and summary[start].isspace():
                    start += 1
            accept = _follow_up_accept(renderer, widest)
        if len(parts) < 10**width:
            return _number(parts)
    raise DoesNotFit(f"{renderer.channel}: the summary needs more than 999 posts")


@dataclass(frozen=True)
class _Fitted:
    text: str
    summary: str
    hashtags: tuple[str, ...]
    follow_ups: tuple[str, ...]
    length: int


def _check_bare(renderer: _Renderer) -> None:
    """Raise :class:`DoesNotFit` unless the post fits with no summary and no hashtags."""
    bare = renderer.render("")
    if not renderer.fits(bare):
        size = ""
        if renderer.channel == "bluesky":
            size = f" ({len(bare.encode())} bytes of {BLUESKY_MAX_BYTES})"
        raise DoesNotFit(
            f"{renderer.channel}: title and URL alone are {renderer.length(bare)} long{size} "
            f"but the limit is {renderer.limit}"
        )


def _fit_exactly(
    renderer: _Renderer, summary: str, candidates: Callable[[str], list[str]], thread: bool
) -> _Fitted:
    """The reference fitting: every candidate rendered and counted."""
    follow_ups: list[str] = []
    if renderer.fits(renderer.render(summary)):
        kept = summary
    elif thread and renderer.channel in THREAD_CHANNELS:
        kept, follow_ups = _thread(renderer, summary)
    else:
        kept = shorten(summary, renderer.accepts())
    hashtags = _add_hashtags(renderer, kept, candidates(kept))
    text = renderer.render(kept, hashtags)
    return _Fitted(text, kept, hashtags, tuple(follow_ups), renderer.length(text))


# --- the fast way: measure the frame once, cut by prefix sums, check the result --------


@dataclass(frozen=True)
class _Frame:
    """The template rendered once around markers for the summary and the hashtags.

    ``pieces`` are the fixed texts between the markers, ``slots`` the markers in
    order; ``length`` and ``utf8`` measure the pieces alone. It is only built when
    each marker is set off by a space or a line break, so that lengths add up.
    """

    pieces: tuple[str, ...]
    slots: tuple[str, ...]
    length: int
    utf8: int

    def text(self, summary: str, hashtags: str) -> str:
        parts = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts += (summary if slot == _SUMMARY_MARK else hashtags), piece
        return "".join(parts)


def _frame(renderer: _Renderer, *, with_hashtags: bool) -> _Frame | None:
    rendered = renderer.render(_SUMMARY_MARK, (_HASHTAGS_MARK,) if with_hashtags else ())
    parts = _MARKS.split(rendered)
    pieces, slots = parts[0::2], parts[1::2]
    expected = [_SUMMARY_MARK, _HASHTAGS_MARK] if with_hashtags else [_SUMMARY_MARK]
    if sorted(slots) != expected:
        return None  # a marker dropped or repeated (a filter, a loop, a marker in the title)
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        if not piece:
            if 0 < index < last:
                return None  # two markers glued together
            continue
        if index > 0 and piece[0] not in " \n":
            return None
        if index < last and piece[-1] not in " \n":
            return None
    return _Frame(
        tuple(pieces),
        tuple(slots),
        sum(_piece_length(renderer, piece) for piece in pieces),
        sum(len(piece.encode("utf-8")) for piece in pieces),
    )


def _piece_length(renderer: _Renderer, piece: str) -> int:
    """A frame piece's length: its spaces and line breaks count one each on every
    platform, so frames that differ only there ("URL" and "URL ") share one count."""
    core = piece.strip(" \n")
    return len(piece) - len(core) + (renderer.length(core) if core else 0)


class _Budget:
    """What a piece of the summary may cost: platform length and (Bluesky) UTF-8 bytes."""

    def __init__(self, renderer: _Renderer, meter: PrefixMeter, length: int, utf8: int) -> None:
        self.renderer = renderer
        self.meter = meter
        self.length = length
        self.utf8 = utf8 if renderer.max_bytes is not None else None
        self._tails: dict[str, int] = {"": 0}

    def tail(self, tail: str) -> int:
        if tail not in self._tails:
            self._tails[tail] = self.renderer.length(tail)
        return self._tails[tail]

    def fits(self, start: int) -> Callable[[int, str], bool]:
        meter = self.meter

        def fits_at(end: int, tail: str) -> bool:
            if meter.length(start, end) + self.tail(tail) > self.length:
                return False
            return self.utf8 is None or meter.utf8(start, end) + len(tail.encode()) <= self.utf8

        return fits_at

    def reach(self, start: int) -> int:
        return self.meter.reach(start, self.length, utf8=self.utf8)


def _thread_quickly(
    renderer: _Renderer, frame: _Frame, summary: str, meter: PrefixMeter, cuts: CutPoints
) -> tuple[str, list[str]] | None:
    """Like :func:`_thread`, by prefix sums; ``None`` to leave the verdict to it."""
    max_bytes = renderer.max_bytes or 0
    for width in (1, 2, 3):
        widest = f" {'9' * width}/{'9' * width}"
        marker = renderer.length(widest)
        budget = _Budget(
            renderer,
            meter,
            renderer.limit - frame.length - marker,
            max_bytes - frame.utf8 - len(widest),
        )
        others = _Budget(renderer, meter, renderer.limit - marker, max_bytes - len(widest))
        parts: list[str] = []
        start = 0
        while start < len(summary):
            reach = budget.reach(start)
            if reach >= len(summary):
                parts.append(summary[start:])
                break
            cut = best_cut(
                summary, budget.fits(start), start=start, reach=reach, ellipsis="", cuts=cuts
            )
            if cut is None and parts:
                return None
            if cut is None:
                parts.append("")  # the first post holds only title + URL
            else:
                parts.append(cut.candidate(summary, start))
                start = cut.rest
                while start < len(summary) and summary[start].isspace():
                    start += 1
            budget = others
        if len(parts) < 10**width:
            return _number(parts)
    return None


def _fit_quickly(
    renderer: _Renderer, summary: str, candidates: Callable[[str], list[str]], thread: bool
) -> _Fitted | None:
    """The post fitted by prediction and checked once; ``None`` when the check fails."""
    frame = _frame(renderer, with_hashtags=False)
    meter = PrefixMeter.for_text(summary, renderer.channel) if summary else None
    if frame is None or meter is None:
        return None
    budget = _Budget(
        renderer,
        meter,
        renderer.limit - frame.length,
        (renderer.max_bytes or 0) - frame.utf8,
    )
    follow_ups: list[str] = []
    reach = budget.reach(0)
    if reach >= len(summary):
        kept, kept_length = summary, meter.length(0, len(summary))
    else:
        cuts = CutPoints(summary, urls=meter.urls)
        if thread and renderer.channel in THREAD_CHANNELS:
            split = _thread_quickly(renderer, frame, summary, meter, cuts)
            if split is None or not all(renderer.fits(post) for post in split[1]):
                return None
            (kept, follow_ups), kept_length = split, renderer.length(split[0])
        else:
            cut = best_cut(summary, budget.fits(0), reach=reach, cuts=cuts)
            if cut is None:
                return None  # only the title and URL fit: the exact way says so
            kept = cut.candidate(summary)
            kept_length = meter.length(0, cut.kept) + budget.tail(cut.tail)
    hashtags: tuple[str, ...] = ()
    length = frame.length + kept_length
    available = candidates(kept)
    if available:
        tagged = _frame(renderer, with_hashtags=True)
        if tagged is None:
            return None
        base = tagged.length + kept_length
        base_utf8 = tagged.utf8 + len(kept.encode("utf-8"))
        tags_length = tags_utf8 = -1  # "#a #b": the joining spaces, one fewer than the tags
        for hashtag in available:
            trial = tags_length + 1 + renderer.length(hashtag)
            trial_utf8 = tags_utf8 + 1 + len(hashtag.encode("utf-8"))
            if base + trial <= renderer.limit and (
                renderer.max_bytes is None or base_utf8 + trial_utf8 <= renderer.max_bytes
            ):
                hashtags += (hashtag,)
                tags_length, tags_utf8 = trial, trial_utf8
        if hashtags:
            frame, length = tagged, base + tags_length
    text = renderer.render(kept, hashtags)
    if text != frame.text(kept, " ".join(hashtags)) or renderer.length(text) != length:
        return None  # the prediction was wrong: fit again the exact way
    if length > renderer.limit or (
        renderer.max_bytes is not None and len(text.encode("utf-8")) > renderer.max_bytes
    ):
        return None
    return _Fitted(text, kept, hashtags, tuple(follow_ups), length)


def _card_description(summary: str, meter: PrefixMeter | None) -> str:
    """The link card's description: at most 300 graphemes, shortened like a post."""

    def within(text: str) -> bool:
        return len(graphemes(text)) <= _CARD_DESCRIPTION_MAX

    if meter is not None and meter.platform == "bluesky":
        reach = meter.reach(0, _CARD_DESCRIPTION_MAX)
        if reach >= len(summary):
            return summary
        cut = best_cut(
            summary,
            lambda end, tail: meter.length(0, end) + len(graphemes(tail)) <= _CARD_DESCRIPTION_MAX,
            reach=reach,
        )
        if cut is not None and within(cut.candidate(summary)):
            return cut.candidate(summary)
    return shorten(summary, within)


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
    :class:`~embedkit.DoesNotFit` when the title and URL alone are too
    long, :class:`~embedkit.ConfigError` for an unknown channel or a
    broken template. Linear in the length of the summary.
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

    full_summary = " ".join(article.summary.split())

    def candidates(kept: str) -> list[str]:
        return hashtags_for(article.tags, f"{renderer.title} {kept}")

    # A post that fits holds the bare post's text, so when the quick way succeeds the
    # title and URL fit; when it does not, the exact way checks them first.
    fitted = _fit_quickly(renderer, full_summary, candidates, thread)
    if fitted is None:
        _check_bare(renderer)
        fitted = _fit_exactly(renderer, full_summary, candidates, thread)
    text = fitted.text

    facets = facets_for(text) if channel == "bluesky" else ()
    card = None
    if channel == "bluesky":
        card = LinkCard(
            url=renderer.url,
            title=renderer.title,
            description=_card_description(
                full_summary, PrefixMeter.for_text(full_summary, channel)
            ),
            thumb=article.image,
        )
    return Post(
        channel=channel,
        article_id=article.id,
        text=text,
        length=fitted.length,
        limit=renderer.limit,
        facets=facets,
        card=card,
        image=article.image,
        image_file=article.image_file,
        lang=article.lang,
        thread=fitted.follow_ups,
        text_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
