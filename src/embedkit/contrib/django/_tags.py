"""The template library behind ``{% load embedkit %}``.

- ``{% embed url maxwidth=550 %}``: the embed's HTML (sanitized already).
- ``{{ value|embeds }}``: standalone URLs in an HTML field become embeds, by the
  page layer's own autoembed rule (:func:`embedkit.page._render.embed_urls`, the
  code :func:`embedkit.render_html` runs). A value that is not safe HTML is
  escaped first, as Django escapes any text, so a plain-text field works too.
- ``{% embed_scripts nonce=csp_nonce %}``: the ``<script>`` tags the embeds
  rendered so far need, each once per response; in consent mode, the one
  consent script with its allow list.

Where the scripts are collected: on the request when the template has one
(``render(request, ...)``, every Wagtail page; included templates and blocks
rendered separately share it), else on the top-level render. A filter gets no
template context, so ``|embeds`` leaves its scripts in a context variable
(per thread, per asyncio task) that the next ``embed`` or ``embed_scripts`` tag
of the same render takes over; Django's ``request_started`` signal empties it,
so nothing crosses from one request to the next.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from embedkit._errors import InvalidReference
from embedkit._models import Embed
from embedkit._redaction import get_logger
from embedkit.contrib.django._settings import consent_script_url, get_options, get_resolver
from embedkit.page import embeddable, script_tags
from embedkit.page._render import embed_urls, has_consent_placeholder, placeholder_scripts
from embedkit.resolve import Resolver

__all__ = ["Collected", "forget_pending", "register"]

log = get_logger("embedkit.contrib.django")

register = template.Library()

_REQUEST_ATTR = "_embedkit_collected"
_RENDER_KEY = "embedkit.collected"


class Collected:
    """The scripts one response's embeds need, in first-seen order, and those emitted."""

    def __init__(self) -> None:
        self.scripts: dict[str, None] = {}
        self.consent = False
        self.emitted: set[str] = set()

    def add(self, embed: Embed) -> None:
        """Note what ``embed`` needs: its scripts, or its consent placeholder's."""
        if has_consent_placeholder(embed.html):
            self.consent = True
            self.scripts.update(dict.fromkeys(placeholder_scripts(embed.html)))
        else:
            self.scripts.update(dict.fromkeys(embed.scripts))

    def take(self, other: Collected) -> None:
        self.consent = self.consent or other.consent
        self.scripts.update(other.scripts)


_pending: contextvars.ContextVar[Collected | None] = contextvars.ContextVar(
    "embedkit_pending", default=None
)


def forget_pending(**kwargs: Any) -> None:
    """Drop what ``|embeds`` left for a tag (connected to ``request_started``)."""
    _pending.set(None)


def _collected(context: template.Context) -> Collected:
    request = getattr(context, "request", None)
    if request is not None:
        found = getattr(request, _REQUEST_ATTR, None)
        if not isinstance(found, Collected):
            found = Collected()
            setattr(request, _REQUEST_ATTR, found)
    else:
        # The render context's first dict lives as long as the whole render: each
        # template rendered inside it (an include) pushes a dict of its own on top.
        shared = context.render_context.dicts[0]
        found = shared.get(_RENDER_KEY)
        if not isinstance(found, Collected):
            found = shared[_RENDER_KEY] = Collected()
    pending = _pending.get()
    if pending is not None:
        found.take(pending)
        _pending.set(None)
    return found


@register.simple_tag(takes_context=True)
def embed(context: template.Context, url: Any, **params: Any) -> str:
    """``{% embed url maxwidth=550 %}``: the embed for ``url``.

    ``params`` are the resolver's (``maxwidth``, ``maxheight``, ``theme``,
    ``lang``, ``dnt``...). An invalid reference is shown as escaped text; an
    empty value as nothing.
    """
    if url is None or url == "":
        return ""
    try:
        found = get_resolver().resolve(str(url), **params)
    except InvalidReference as exc:
        log.info("not embedding %s", exc)
        return escape(str(url))
    _collected(context).add(found)
    return mark_safe(found.html)  # the resolver's sanitized markup


class _Recorder:
    """An :class:`~embedkit.page.EmbedSource` that remembers what it resolved."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.embeds: list[Embed] = []

    @property
    def consent(self) -> bool:
        return self.resolver.consent

    def resolve_many(self, refs: Iterable[str]) -> Sequence[Embed]:
        found = self.resolver.resolve_many(refs)
        self.embeds.extend(found)
        return found


@register.filter(needs_autoescape=True)
def embeds(value: Any, autoescape: bool = True) -> SafeString:
    """``{{ body|embeds }}``: standalone URLs in ``body`` become embeds.

    A safe ``body`` (``|safe``, or an object with ``__html__`` such as Wagtail's
    ``RichText``) is read as HTML; anything else is escaped first, as Django
    would show it.
    """
    if value is None or value == "":
        return mark_safe("")
    text = str(conditional_escape(value)) if autoescape else str(value)
    recorder = _Recorder(get_resolver())
    html, _scripts = embed_urls(text, recorder)
    pending = _pending.get()
    if pending is None:
        pending = Collected()
        _pending.set(pending)
    for found in recorder.embeds:
        if embeddable(found):  # the ones embed_urls put in the page
            pending.add(found)
    return mark_safe(html)  # the author's HTML, with sanitized embeds


@register.simple_tag(takes_context=True)
def embed_scripts(context: template.Context, nonce: str | None = None) -> str:
    """``{% embed_scripts nonce=csp_nonce %}``: the scripts the embeds so far need, once."""
    collected = _collected(context)
    url = consent_script_url(get_options())
    tags = script_tags(
        collected.scripts,
        nonce=nonce,
        consent=collected.consent,
        consent_script_url=url,
        present=collected.emitted,
    )
    collected.emitted.update(collected.scripts)
    if collected.consent:
        collected.emitted.add(url)
    return mark_safe(tags)  # script_tags escapes every attribute
