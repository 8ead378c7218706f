"""The Wagtail embed finder: Wagtail asks, embedkit resolves.

Wagtail calls a finder with a URL and stores what it returns in its ``Embed``
model (until ``cache_until``). :class:`EmbedkitFinder` returns embedkit's
answer in that shape:

- ``html``: the embed's sanitized HTML (or its static fallback), followed by
  the ``<script>`` tags it needs from embedkit's allowlist, as a provider's own
  oEmbed HTML would carry them (Wagtail has no per-page script collection);
- ``type``, ``title``, ``author_name``, ``provider_name``, ``thumbnail_url``,
  ``width``, ``height`` from the oEmbed data;
- ``cache_until``: the embed's ``expires_at`` while the answer is good (fresh,
  cached, or a tombstone until its recheck), else ``retry`` seconds from now, so
  a fallback or a stale embed is asked again soon instead of being kept forever.

A post whose provider is down, slow or rate-limited gets its static fallback,
never Wagtail's ``EmbedNotFoundException``. An article URL that no provider or
discovery embeds gets its link card (``type`` "link", the page's headline as
``title``). A URL that nothing can embed (no provider, no discovery, no card: the
page layer's :func:`~embedkit.page.embeddable` rule) and an invalid reference
raise it, so the editor is told.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from embedkit._errors import ConfigError, InvalidReference
from embedkit._models import Embed
from embedkit.contrib._options import Options, parse_options, shared_resolver
from embedkit.page import embeddable, script_tags
from embedkit.page._render import has_consent_placeholder, placeholder_scripts
from embedkit.present import KNOWN_SCRIPTS
from embedkit.resolve import Resolver, parse_ref

try:
    from django.conf import settings
    from django.utils import timezone
    from wagtail.embeds.exceptions import EmbedNotFoundException
    from wagtail.embeds.finders.base import EmbedFinder

    from embedkit.contrib.django._settings import consent_script_url
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        f"embedkit.contrib.wagtail needs Wagtail: pip install 'embedkit[wagtail]' ({exc})"
    ) from exc

__all__ = ["DEFAULT_RETRY", "EmbedkitFinder", "embed_fields"]

#: Seconds before Wagtail asks again about a fallback or stale embed.
DEFAULT_RETRY = 300.0

_TYPES = frozenset({"video", "photo", "link", "rich"})
_GOOD = frozenset({"fresh", "cached", "gone"})


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and 0 < number < 100_000 else None


def _thumbnail(value: object) -> str:
    text = _text(value)
    return text if text.lower().startswith(("https://", "http://")) else ""


def _scripts(embed: Embed, consent_script_url: str) -> str:
    """The script tags ``embed`` needs, to store with its HTML.

    In consent mode, every consent placeholder carries the same first-party
    consent script whose allow list is embedkit's script allowlist plus the
    placeholder's own: the copy that loads first serves every button on the
    page, whatever the provider.
    """
    if has_consent_placeholder(embed.html):
        allow = [*sorted(KNOWN_SCRIPTS), *placeholder_scripts(embed.html)]
        return script_tags(allow, consent=True, consent_script_url=consent_script_url)
    return script_tags(embed.scripts)


def _when(timestamp: float) -> datetime:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment if settings.USE_TZ else timezone.make_naive(moment)


def embed_fields(
    embed: Embed, *, now: float, retry: float = DEFAULT_RETRY, consent_script_url: str
) -> dict[str, Any]:
    """What Wagtail's ``Embed`` model stores for ``embed`` (see the module docstring)."""
    data = embed.data
    kind = _text(data.get("type"))
    good = embed.status in _GOOD and embed.expires_at is not None and embed.expires_at > now
    until = embed.expires_at if good and embed.expires_at is not None else now + retry
    return {
        "type": kind if kind in _TYPES else "rich",
        "html": embed.html + _scripts(embed, consent_script_url),
        "title": _text(data.get("title")),
        "author_name": _text(data.get("author_name")),
        "provider_name": embed.provider or _text(data.get("provider_name")),
        "thumbnail_url": _thumbnail(data.get("thumbnail_url")),
        "width": _number(data.get("width")),
        "height": _number(data.get("height")),
        "cache_until": _when(until),
    }


class EmbedkitFinder(EmbedFinder):
    """``{"class": "embedkit.contrib.wagtail.EmbedkitFinder", **options}``.

    ``options`` are the integrations' shared ones (``cache``, ``providers``,
    ``timeout``, ``allow_private_networks``, ``consent``, ``consent_script_url``,
    ``offline``, ``discovery``, ``show_deleted_text``, ``template_dirs``,
    ``resolver``, ``env``) plus ``retry``: seconds before Wagtail asks again
    about a fallback (default 300). With no resolver option at all, the finder
    uses the Django integration's ``EMBEDKIT`` setting; either way, what is left
    out comes from the ``EMBEDKIT_*`` environment variables, and one resolver is
    shared per configuration and process.
    """

    def __init__(self, retry: float = DEFAULT_RETRY, **options: Any) -> None:
        if isinstance(retry, bool) or not isinstance(retry, int | float) or not retry >= 0:
            raise ConfigError(
                f"WAGTAILEMBEDS_FINDERS: retry must be a number of seconds >= 0, not {retry!r}"
            )
        self.retry = float(retry)
        if not options:
            options = dict(getattr(settings, "EMBEDKIT", {}))
        self.options: Options = parse_options(options, where="WAGTAILEMBEDS_FINDERS")

    @property
    def resolver(self) -> Resolver:
        """The shared resolver for this finder's options (built on first use)."""
        return shared_resolver(self.options)

    def accept(self, url: str) -> bool:
        """Every usable reference: providers, discovery and fallbacks decide the rest."""
        try:
            parse_ref(url)
        except InvalidReference:
            return False
        return True

    def find_embed(
        self, url: str, max_width: int | None = None, max_height: int | None = None
    ) -> dict[str, Any]:
        """Resolve ``url`` into the fields Wagtail stores; not-embeddable URLs raise."""
        resolver = self.resolver
        try:
            embed = resolver.resolve(url, maxwidth=max_width, maxheight=max_height)
        except InvalidReference as exc:
            raise EmbedNotFoundException(str(exc)) from exc
        if not embeddable(embed):  # no provider, no discovery, no link card
            raise EmbedNotFoundException(f"nothing can embed {embed.url}")
        return embed_fields(
            embed,
            now=resolver.clock(),
            retry=self.retry,
            consent_script_url=consent_script_url(self.options),
        )
