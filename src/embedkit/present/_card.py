"""Link cards: what an article page says about itself, shown without third-party code.

An article URL that no provider embeds becomes a card built from the page's own
metadata (:mod:`embedkit.resolve._cards` fetches the page and stores the card's
fields in the cache, marked with :data:`CARD_FORMAT`). :func:`present_card` turns
those fields into markup with the ``card.html`` template:

- the headline, linked to the address the author pasted (never to a URL the page
  declares: a page cannot send readers elsewhere);
- a one-line excerpt of the page's description, cut at a word boundary with "…"
  (:func:`excerpt`; text without spaces, such as Japanese or Chinese, is cut at a
  grapheme boundary, and wide characters count twice);
- the site name, the publication date and a "see more" link;
- the page's image, the only request a card makes to another host. It gets
  ``loading="lazy"``, ``referrerpolicy="no-referrer"``, ``decoding="async"``, an
  empty ``alt`` (the headline beside it says what it is) and ``width``/``height``:
  the page's ``og:image:width``/``og:image:height`` when it declares them, else
  :data:`GUESSED_IMAGE_SIZE` (1200×630, the size OpenGraph recommends). The stylesheet
  gives the image a fixed box either way, so nothing moves when it arrives. In consent
  mode the card has no image at all, and so no button: there is nothing else to load.

A deleted page (``gone``) shows ``tombstone.html`` with the card's headline as the
archived text. A card never carries a script or an iframe, in any status.

    >>> excerpt("A North Korean ballistic missile landed less than 60 km off the coast", 40)
    'A North Korean ballistic missile landed…'
    >>> excerpt("北朝鮮の弾道ミサイルが韓国沖に着弾した", 21)
    '北朝鮮の弾道ミサイル…'
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from embedkit._templating import httpurl
from embedkit._values import positive_int
from embedkit.present._snapshot import PostSnapshot

__all__ = [
    "CARD_FORMAT",
    "CARD_TEMPLATE",
    "EXCERPT_WIDTH",
    "GUESSED_IMAGE_SIZE",
    "CardView",
    "card_view",
    "excerpt",
    "is_card",
    "present_card",
]

#: Marker stored in a card's cached fields, so a card is told apart from oEmbed data.
CARD_FORMAT = "embedkit-card/1"
#: The template a card is rendered with (overridable like every template).
CARD_TEMPLATE = "card.html"
#: How wide an excerpt may be, in columns (a wide CJK character takes two).
EXCERPT_WIDTH = 150
#: ``width``/``height`` of an image whose page does not declare its size.
GUESSED_IMAGE_SIZE = (1200, 630)
ELLIPSIS = "…"
_TRAILING = " ,;:.、，；：。-–—"
_MAX_TEXT = 2000


def is_card(data: object) -> bool:
    """Whether cached ``data`` holds a link card's fields (not an oEmbed answer)."""
    return isinstance(data, Mapping) and data.get("format") == CARD_FORMAT


@functools.cache
def _graphemes() -> Any:
    import regex  # a core dependency, imported when the first card is cut

    return regex.compile(r"\X")


def _columns(cluster: str) -> int:
    return 2 if unicodedata.east_asian_width(cluster[0]) in ("W", "F") else 1


def excerpt(text: str | None, width: int = EXCERPT_WIDTH) -> str:
    """``text`` in at most ``width`` columns, cut at a word boundary with "…".

    White space is collapsed first. A text that fits is returned whole. Otherwise
    the cut goes before the last space that leaves room for the ellipsis, unless
    that would keep less than half of what fits (a text without spaces, or one
    very long word): then it goes after the last grapheme cluster that fits.
    Trailing commas, colons, full stops, dashes and spaces before the "…" are dropped. Reads at most
    ``width`` clusters of the text.
    """
    clean = " ".join((text or "").split())
    if not clean or width < 2:
        return ""
    used = 0  # columns before the current cluster, then up to its end
    fit_end = 0  # end of the last cluster that fits with room for the ellipsis
    space = -1  # the last space that text and ellipsis fit before
    for match in _graphemes().finditer(clean):
        cluster = match.group()
        if cluster == " " and used <= width - 1:
            space = match.start()
        used += _columns(cluster)
        if used > width:
            break
        if used <= width - 1:
            fit_end = match.end()
    else:
        return clean
    cut = space if space > 0 and space >= fit_end // 2 else fit_end
    kept = clean[:cut].rstrip(_TRAILING)
    return kept + ELLIPSIS if kept else ""


def _text(value: object, cap: int = _MAX_TEXT) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:cap] or None


def _date(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class CardView:
    """A card's fields as the template sees them (``card`` in ``card.html``).

    Every text is plain text (the template escapes it); ``image`` is an absolute
    http(s) URL or ``None``; ``image_width``/``image_height`` are the declared size,
    else :data:`GUESSED_IMAGE_SIZE` (``image_size_declared`` says which).
    """

    title: str
    excerpt: str
    description: str | None
    site_name: str | None
    author: str | None
    published: dt.datetime | None
    image: str | None
    image_width: int
    image_height: int
    image_size_declared: bool
    lang: str | None


def card_view(card: Mapping[str, Any], *, fallback_title: str) -> CardView:
    """Read a cached card's fields (untrusted: a cache is written by other processes)."""
    title = _text(card.get("title"), 500) or fallback_title
    description = _text(card.get("description"))
    image = httpurl(card.get("thumbnail_url")) or None
    width, height = (
        positive_int(card.get("thumbnail_width")),
        positive_int(card.get("thumbnail_height")),
    )
    declared = bool(image and width and height and max(width, height) < 100_000)
    if not declared or width is None or height is None:
        width, height = GUESSED_IMAGE_SIZE
    return CardView(
        title=title,
        excerpt=excerpt(description),
        description=description,
        site_name=_text(card.get("provider_name"), 200),
        author=_text(card.get("author_name"), 200),
        published=_date(card.get("published")),
        image=image,
        image_width=width,
        image_height=height,
        image_size_declared=declared,
        lang=_text(card.get("lang"), 35),
    )


def present_card(
    env: jinja2.Environment,
    *,
    url: str,
    card: Mapping[str, Any],
    status: str,
    consent: bool,
    show_deleted_text: bool,
    figure: Mapping[str, str],
    site: str,
) -> str:
    """The card in its ``embed.html`` figure (mode ``card``), or its tombstone when gone.

    ``url`` is the canonical form of what the author pasted: every link points
    there. ``figure`` holds the figure's ``provider_slug`` and ``provider_name``;
    ``site`` names the site when the card has no site name (the platform, or the host).
    """
    view = card_view(card, fallback_title=url)
    if status == "gone":
        snap = PostSnapshot(
            url=url,
            provider=view.site_name or site,
            layout="link",
            text=view.title,
            title=view.title,
            author_name=view.author,
            published=view.published,
        )
        body = env.get_template("tombstone.html").render(
            snap=snap,
            url=url,
            provider_name=view.site_name or site,
            noun="page",
            show_thumbnail=False,
            show_deleted_text=show_deleted_text,
        )
        mode = "tombstone"
    else:
        body = env.get_template(CARD_TEMPLATE).render(
            card=view, url=url, show_image=not consent, site=view.site_name or site
        )
        mode = "card"
    return env.get_template("embed.html").render(
        **figure, status=status, url=url, consent_scripts=None, mode=mode, body=Markup(body)
    )
