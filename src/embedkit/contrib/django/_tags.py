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
from typing import Any

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from embedkit._errors import InvalidReference
from embedkit._redaction import get_logger
from embedkit.contrib.django._settings import consent_script_url, get_options, get_resolver
from embedkit.page import RecordingSource, ScriptCollection, embeddable
from embedkit.page._render import embed_urls

__all__ = ["forget_pending", "register"]

log = get_logger("embedkit.contrib.django")

register = template.Library()

_REQUEST_ATTR = "_embedkit_collected"
_RENDER_KEY = "embedkit.collected"


_pending: contextvars.ContextVar[ScriptCollection | None] = contextvars.ContextVar(
    "embedkit_pending", default=None
)


def forget_pending(**kwargs: Any) -> None:
    """Drop what ``|embeds`` left for a tag (connected to ``request_started``)."""
    _pending.set(None)


def _collected(context: template.Context) -> ScriptCollection:
    request = getattr(context, "request", None)
    if request is not None:
        found = getattr(request, _REQUEST_ATTR, None)
        if not isinstance(found, ScriptCollection):
            found = ScriptCollection()
            setattr(request, _REQUEST_ATTR, found)
    else:
        # The render context's first dict lives as long as the whole render: each
        # template rendered inside it (an include) pushes a dict of its own on top.
        shared = context.render_context.dicts[0]
        found = shared.get(_RENDER_KEY)
        if not isinstance(found, ScriptCollection):
            found = shared[_RENDER_KEY] = ScriptCollection()
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
    recorder = RecordingSource(get_resolver())
    html, _scripts = embed_urls(text, recorder)
    pending = _pending.get()
    if pending is None:
        pending = ScriptCollection()
        _pending.set(pending)
    for found in recorder.embeds:
        if embeddable(found):  # the ones embed_urls put in the page
            pending.add(found)
    return mark_safe(html)  # the author's HTML, with sanitized embeds


@register.simple_tag(takes_context=True)
def embed_scripts(context: template.Context, nonce: str | None = None) -> str:
    """``{% embed_scripts nonce=csp_nonce %}``: the scripts the embeds so far need, once."""
    url = consent_script_url(get_options())
    tags = _collected(context).tags(nonce=nonce, consent_script_url=url)
    return mark_safe(tags)  # script_tags escapes every attribute
