"""A Jinja2 extension: the ``embed`` filter and ``embed_scripts()`` for CMS templates.

Add :class:`EmbedExtension` to your environment and give it a resolver the
Jinja way, as an environment attribute::

    >>> import jinja2
    >>> from embedkit import Resolver
    >>> env = jinja2.Environment(extensions=[EmbedExtension], autoescape=True)
    >>> env.embedkit_resolver = Resolver(cache="memory://", offline=True)
    >>> page = env.from_string(
    ...     "{{ url | embed(maxwidth=550) }}\\n{{ embed_scripts() }}"
    ... ).render(url="https://x.com/Reuters/status/1636212467429621760")
    >>> "March 16, 2023" in page
    True

``{{ url | embed(**params) }}`` resolves ``url`` (``params`` are the resolver's
``maxwidth``, ``maxheight``, ``theme``, ``lang``, ``dnt``...) and returns the
embed's HTML as :class:`~markupsafe.Markup` (it is sanitized already). A
reference that is not valid is returned as escaped text, as ``render_html``
leaves it. ``None`` or an empty string gives an empty string.

``{{ embed_scripts(nonce=csp_nonce) }}``, at the end of the page, returns the
``<script>`` tags the embeds rendered so far need, each once; in consent mode
the one first-party consent script instead (its URL is
``env.embedkit_consent_script_url``, default ``embedkit-consent.js``). The
scripts are collected per render, not globally: two pages rendered at the
same time by one environment never see each other's scripts, and templates
pulled in with ``{% include %}`` share their page's collection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.ext import Extension
from jinja2.runtime import Context
from markupsafe import Markup

from embedkit._errors import ConfigError, InvalidReference
from embedkit._redaction import get_logger
from embedkit.page._render import CONSENT_SCRIPT_NAME
from embedkit.page._scripts import ScriptCollection

if TYPE_CHECKING:
    from embedkit.resolve._resolver import Resolver

__all__ = ["EmbedExtension"]

log = get_logger(__name__)

#: The context variable holding a render's script collection.
_KEY = "__embedkit_collected__"


def _context_class(base: type[Context]) -> type[Context]:
    """A context class that starts each top-level render with an empty collection.

    Included templates get a context built from their page's variables, so
    they find the page's collection and add to it.
    """

    class EmbedkitContext(base):  # type: ignore[valid-type, misc]
        def __init__(
            self,
            environment: jinja2.Environment,
            parent: dict[str, Any],
            name: str | None,
            blocks: dict[str, Any],
            globals: Any = None,
        ) -> None:
            if _KEY not in parent:
                parent = {**parent, _KEY: ScriptCollection()}
            super().__init__(environment, parent, name, blocks, globals=globals)

    return EmbedkitContext


def _collected(context: Context) -> ScriptCollection:
    found = context.get(_KEY)
    if not isinstance(found, ScriptCollection):  # a context made without the extension's class
        raise ConfigError("embed_scripts() needs the EmbedExtension's template context")
    return found


@jinja2.pass_context
def _embed(context: Context, url: Any, **params: Any) -> Markup:
    resolver: Resolver | None = getattr(context.environment, "embedkit_resolver", None)
    if resolver is None:
        raise ConfigError(
            "the embed filter needs a resolver: set env.embedkit_resolver = Resolver(...)"
        )
    if url is None or url == "":
        return Markup("")
    try:
        embed = resolver.resolve(str(url), **params)
    except InvalidReference as exc:
        log.info("not embedding %s", exc)
        return Markup.escape(url)
    _collected(context).add(embed)
    return Markup(embed.html)


@jinja2.pass_context
def _embed_scripts(context: Context, nonce: str | None = None) -> Markup:
    url = getattr(context.environment, "embedkit_consent_script_url", CONSENT_SCRIPT_NAME)
    return Markup(_collected(context).tags(nonce=nonce, consent_script_url=url))


class EmbedExtension(Extension):
    """Adds the ``embed`` filter and the ``embed_scripts()`` global.

    Configure it with ``env.embedkit_resolver = resolver`` (required before the
    first ``embed``) and optionally ``env.embedkit_consent_script_url``. It also
    works on a resolver's own environment:
    ``resolver.environment.add_extension(EmbedExtension)``.
    """

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.extend(
            embedkit_resolver=None,
            embedkit_consent_script_url=CONSENT_SCRIPT_NAME,
        )
        environment.filters["embed"] = _embed
        environment.globals["embed_scripts"] = _embed_scripts
        environment.context_class = _context_class(environment.context_class)
